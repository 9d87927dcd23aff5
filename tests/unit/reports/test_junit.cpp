// JUnit XML: golden output, the strict Ant schema, the mapping of verdicts, hostile text.
#include "fixture.hpp"
#include "pushcheck/reports/escape.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include <filesystem>
#include <regex>

using namespace pushcheck;
using namespace pushcheck::test;

namespace {

const std::string kSchema = PUSHCHECK_JUNIT_XSD;

/// Validates a report file against the strict schema; returns xmllint's exit status.
int xmllint(const std::string& file) {
    INFO("xmllint: " PUSHCHECK_XMLLINT " (Debian: libxml2-utils); schema " << kSchema);
    REQUIRE(std::string(PUSHCHECK_XMLLINT) != "");
    REQUIRE(std::filesystem::exists(kSchema));
    int rc = run_command(std::string(PUSHCHECK_XMLLINT) + " --noout --schema '" + kSchema + "' '" + file + "'",
                         file + ".xmllint.log");
    INFO(read_text(file + ".xmllint.log"));
    return rc;
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
    return n;
}

} // namespace

TEST_CASE("JUnit report matches the golden file", "[junit]") {
    check_golden("report.junit.xml", junit_of(make_run()));
}

TEST_CASE("JUnit report validates against the strict Ant schema", "[junit][xmllint]") {
    auto file = write_artifact("report.junit.xml", junit_of(make_run()));
    CHECK(xmllint(file) == 0);
}

TEST_CASE("the schema check rejects a report that breaks the strict schema", "[junit][xmllint]") {
    // Proves the validation above can fail: hostname is required by the Ant schema.
    std::string xml = junit_of(make_run());
    xml = std::regex_replace(xml, std::regex(" hostname=\"[^\"]*\""), "");
    auto file = write_artifact("broken.junit.xml", xml);
    CHECK(xmllint(file) != 0);
}

TEST_CASE("JUnit maps verdicts to suites, failures and skips", "[junit]") {
    const std::string xml = junit_of(make_run());
    // One main suite per driver, plus a SHOULD suite where a driver has SHOULD requirements.
    CHECK(count(xml, "<testsuite ") == 3);
    CHECK(xml.find("<testsuite name=\"pushcheck.async\" package=\"pushcheck\" id=\"0\" timestamp=\"2026-11-26T13:02:48\" "
                   "hostname=\"ci-runner-7\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\"") != std::string::npos);
    CHECK(xml.find("<testsuite name=\"pushcheck.async.should\" package=\"pushcheck\" id=\"1\"") != std::string::npos);
    CHECK(xml.find("<testsuite name=\"pushcheck.sync\" package=\"pushcheck\" id=\"2\"") != std::string::npos);
    // classname is the group, name is the id: stable between runs.
    CHECK(xml.find("<testcase name=\"lifecycle.close_bye\" classname=\"lifecycle\" time=\"2.104\">") != std::string::npos);
    CHECK(xml.find("<failure message=\"at /message: expected &quot;bye&quot;") != std::string::npos);
    // The proving events are in the failure text: the close request and the push after it.
    CHECK(xml.find("+250.000 ms  a     -&gt; text 17 B  {&quot;event&quot;:&quot;close&quot;}") != std::string::npos);
    CHECK(xml.find("+401.000 ms  a     &lt;- text 64 B") != std::string::npos);
    // non_strict passes the main suite and fails the SHOULD suite.
    CHECK(xml.find("<testcase name=\"push.cadence\" classname=\"push\" time=\"1.530\"/>") != std::string::npos);
    CHECK(xml.find("<testcase name=\"push.cadence (should)\" classname=\"push\" time=\"1.530\">\n      <failure "
                   "message=\"gap 3 of 9 was 312.0 ms, outside 200 ms +- 50 ms\" type=\"non_strict\">") !=
          std::string::npos);
    // harness_error is skipped, with the reason.
    CHECK(xml.find("<skipped message=\"harness_error: could not open 50 client connections") != std::string::npos);
    // Properties and latency figures.
    CHECK(xml.find("<property name=\"target\" value=\"ws://127.0.0.1:5000/nowtime\"/>") != std::string::npos);
    CHECK(xml.find("<property name=\"profile.push.interval_ms\" value=\"200\"/>") != std::string::npos);
    CHECK(xml.find("<property name=\"driver\" value=\"sync\"/>") != std::string::npos);
    CHECK(xml.find("<property name=\"pushcheck.version\" value=\"" + fixture_version() + "\"/>") != std::string::npos);
    CHECK(xml.find("latency (ms)") != std::string::npos);
}

TEST_CASE("JUnit escapes hostile text and stays valid XML", "[junit][xmllint][hostile]") {
    const std::string xml = junit_of(make_hostile_run());
    CHECK(reports::is_valid_utf8(xml));
    // No control character but line feed and tab: nothing XML 1.0 forbids, nothing a terminal obeys.
    CHECK(std::count_if(xml.begin(), xml.end(), [](unsigned char c) { return c < 0x20 && c != '\n' && c != '\t'; }) == 0);
    CHECK(xml.find("<script") == std::string::npos);
    CHECK(xml.find("<img") == std::string::npos);
    CHECK(xml.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt; &quot;dq&quot; &apos;sq&apos;") != std::string::npos);
    CHECK(xml.find("ctl:\\x01\\x07\\x1b[31m\\x00\\x0b\\x0c\\x7f\\u0085 nonchar:\\uFFFE\\uFFFF") != std::string::npos);
    CHECK(xml.find("bad:\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD(|") != std::string::npos);
    CHECK(xml.find("timestamp=\"1970-01-01T00:00:00\"") != std::string::npos);
    auto file = write_artifact("hostile.junit.xml", xml);
    CHECK(xmllint(file) == 0);
}

TEST_CASE("JUnit reports an unreachable target and an empty run validly", "[junit][xmllint]") {
    engine::RunResult run;
    run.pushcheck_version = "0.0.0";
    run.target = "ws://127.0.0.1:9/nowtime";
    run.drivers = {"async"};
    run.target_unreachable = true;
    const std::string xml = junit_of(run);
    CHECK(xml.find("<testcase name=\"target.reachable\" classname=\"target\" time=\"0.000\">") != std::string::npos);
    CHECK(xml.find("hostname=\"localhost\"") != std::string::npos);
    CHECK(xmllint(write_artifact("unreachable.junit.xml", xml)) == 0);

    engine::RunResult empty;
    CHECK(xmllint(write_artifact("empty.junit.xml", junit_of(empty))) == 0);
}

namespace {
/// The time attribute of the named suite.
std::string suite_time(const std::string& xml, const std::string& suite) {
    std::smatch m;
    std::regex re("<testsuite name=\"" + suite + "\" [^>]* time=\"([0-9.]+)\">");
    REQUIRE(std::regex_search(xml, m, re));
    return m[1];
}
} // namespace

TEST_CASE("JUnit suite time is the wall time of scenarios that ran side by side", "[junit]") {
    const auto run = make_run();
    const std::string xml = junit_of(run);
    // async: starts 5, 10, 20 ms with durations 1012.25, 2104, 1530.5 ms: the last ends at 2114 ms.
    // The sum of the cases (4646.75 ms) would be longer than the run itself.
    CHECK(suite_time(xml, "pushcheck.async") == "2.109");
    CHECK(suite_time(xml, "pushcheck.sync") == "1.407");  // 3000..4407 ms, not 650 + 12 + 1207
    // Cases keep their own durations.
    CHECK(xml.find("<testcase name=\"lifecycle.close_bye\" classname=\"lifecycle\" time=\"2.104\">") != std::string::npos);
}

TEST_CASE("JUnit suite time without start offsets (older results) is the sum, at most the run", "[junit]") {
    auto run = make_run();
    for (auto& s : run.scenarios) s.started_ms = 0;
    run.duration_ms = 4000;
    const std::string xml = junit_of(run);
    CHECK(suite_time(xml, "pushcheck.sync") == "1.869");   // 650 + 12 + 1207
    CHECK(suite_time(xml, "pushcheck.async") == "4.000");  // 4646.75 capped at the run's 4000 ms
}

TEST_CASE("JUnit lists the scenarios an interruption left unfinished as skipped", "[junit][xmllint][interrupted]") {
    const std::string xml = junit_of(make_interrupted_run());
    CHECK(xml.find("<testcase name=\"push.latency\" classname=\"push\" time=\"0.000\">\n      <skipped message=\"interrupted "
                   "by SIGINT before it finished\">") != std::string::npos);
    CHECK(xml.find("<testcase name=\"rooms.broadcast_consistency\" classname=\"rooms\" time=\"0.000\">\n      <skipped "
                   "message=\"interrupted by SIGINT") != std::string::npos);
    // sync: two finished (one harness_error, skipped) and two unfinished.
    CHECK(xml.find("<testsuite name=\"pushcheck.sync\" package=\"pushcheck\" id=\"2\" timestamp=\"2026-11-26T13:02:48\" "
                   "hostname=\"ci-runner-7\" tests=\"4\" failures=\"0\" errors=\"0\" skipped=\"3\"") != std::string::npos);
    CHECK(xml.find("INTERRUPTED by SIGINT: the reports hold the 2 scenario(s) that finished; 2 scenario(s) of this driver "
                   "did not finish") != std::string::npos);
    CHECK(xmllint(write_artifact("interrupted.junit.xml", xml)) == 0);
}

TEST_CASE("JUnit puts the server's log tail in system-err when something failed", "[junit][server]") {
    auto run = make_interrupted_run();
    const std::string xml = junit_of(run);
    CHECK(count(xml, "server under test: ./my-server --port 5000 (pid 4242), signal SIGTERM\nlast lines of its output:\n"
                     "listening on :5000\nroom nowtime: 3 members\nerror: ticker stalled for 812 ms\n") == 2);
    // A clean run keeps the log out of the report.
    engine::RunResult clean;
    clean.drivers = {"async"};
    clean.scenarios.push_back(make_run().scenarios[0]);
    clean.server = run.server;
    clean.recompute_summary();
    CHECK(junit_of(clean).find("ticker stalled") == std::string::npos);
}
