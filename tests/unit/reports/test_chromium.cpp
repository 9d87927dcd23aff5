// The HTML report rendered by a real browser (Debian's headless Chromium): the script runs,
// the verdicts and figures are in the DOM, the filter works, hostile payloads stay text.
#include "fixture.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

using namespace pushcheck;
using namespace pushcheck::test;

namespace {

/// A fresh Chromium profile directory, so parallel runs never share state; removed afterwards.
struct Profile {
    std::string dir;
    Profile() {
        char tmpl[] = "/tmp/pushcheck-chromium-XXXXXX";
        const char* d = mkdtemp(tmpl);
        REQUIRE(d != nullptr);
        dir = d;
    }
    ~Profile() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Profile(const Profile&) = delete;
    Profile& operator=(const Profile&) = delete;
};

int chromium(const std::string& args, const std::string& log, const std::string& err_log = "") {
    INFO("chromium: " PUSHCHECK_CHROMIUM " (Debian: chromium)");
    REQUIRE(std::string(PUSHCHECK_CHROMIUM) != "");
    Profile profile;
    return run_command(std::string(PUSHCHECK_CHROMIUM) +
                           " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                           " --disable-background-networking --disable-component-update --disable-sync"
                           " --hide-scrollbars --user-data-dir=" + profile.dir + " " + args,
                       log, err_log);
}

/// The DOM after scripts ran, for file:// URL `url`.
std::string dump_dom(const std::string& url, const std::string& name) {
    const std::string out = artifact_dir() + "/" + name;
    // stdout is the DOM; Chromium's own stderr chatter goes to a log beside it.
    int rc = chromium("--dump-dom '" + url + "'", out, out + ".log");
    INFO(read_text(out + ".log"));
    REQUIRE(rc == 0);
    return read_text(out);
}

std::string ms(std::int64_t us) {
    double v = static_cast<double>(us) / 1000.0;
    return v < 10 ? fmt::format("{:.2f}", v) : fmt::format("{:.1f}", v);
}

} // namespace

TEST_CASE("Chromium renders the report: verdicts, figures, working script", "[html][chromium]") {
    const auto run = make_run();
    const std::string file = write_artifact("report.html", html_of(run));
    const std::string dom = dump_dom("file://" + file, "report.dom.html");

    CHECK(dom.find("data-js=\"ready\"") != std::string::npos);  // the inline script ran to the end
    CHECK(dom.find("Showing 6 of 6 scenarios") != std::string::npos);
    for (const auto& s : run.scenarios) {
        INFO(s.id);
        CHECK(dom.find(s.id) != std::string::npos);
    }
    for (const char* label : {">PASS<", ">FAIL<", ">NON-STRICT<", ">INFO<", ">ERROR<"}) {
        INFO(label);
        CHECK(dom.find(label) != std::string::npos);
    }
    // Figures computed independently of the writer.
    CHECK(dom.find("p99 " + ms(run.latency.quantile(0.99)) + " ms") != std::string::npos);
    CHECK(dom.find("<td class=\"num\">" + std::to_string(run.latency.count()) + "</td>") != std::string::npos);
    CHECK(dom.find("gap 3 of 9 was 312.0 ms") != std::string::npos);
    CHECK(dom.find("<svg class=\"chart-svg\"") != std::string::npos);

    // A screenshot for people to look at, kept as a test artifact.
    const std::string png = artifact_dir() + "/report.png";
    std::filesystem::remove(png);
    int rc = chromium("--screenshot='" + png + "' --window-size=1280,2000 'file://" + file + "'",
                      artifact_dir() + "/report.png.log");
    REQUIRE(rc == 0);
    const std::string img = read_text(png);
    REQUIRE(img.size() > 20000);
    CHECK(img.substr(0, 8) == "\x89PNG\r\n\x1a\n");
}

TEST_CASE("Chromium applies the filter from the URL fragment", "[html][chromium]") {
    const std::string file = write_artifact("report-filter.html", html_of(make_run()));
    const std::string dom = dump_dom("file://" + file + "#verdict=fail,non_strict", "report-filter.dom.html");
    CHECK(dom.find("Showing 2 of 6 scenarios") != std::string::npos);
    CHECK(dom.find("<tr data-verdict=\"pass\" data-ref=\"s0\" hidden=\"\">") != std::string::npos);
    CHECK(dom.find("<tr data-verdict=\"fail\" data-ref=\"s1\">") != std::string::npos);
    CHECK(dom.find("data-filter=\"fail\" aria-pressed=\"true\"") != std::string::npos);

    const std::string by_text = dump_dom("file://" + file + "#q=robustness", "report-text.dom.html");
    CHECK(by_text.find("Showing 1 of 6 scenarios") != std::string::npos);
}

TEST_CASE("Chromium shows hostile payloads as text", "[html][chromium][hostile]") {
    const std::string file = write_artifact("hostile-browser.html", html_of(make_hostile_run()));
    const std::string dom = dump_dom("file://" + file, "hostile.dom.html");
    CHECK(dom.find("data-js=\"ready\"") != std::string::npos);
    CHECK(dom.find("<img") == std::string::npos);
    CHECK(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(dom.find("Showing 3 of 3 scenarios") != std::string::npos);
}
