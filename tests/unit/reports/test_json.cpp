// The results document: golden output, round trip, errors naming the JSON pointer, the schema.
#include "fixture.hpp"
#include "pushcheck/engine/error.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace pushcheck;
using namespace pushcheck::test;
using nlohmann::json;

namespace {

engine::RunResult read(const std::string& text) {
    std::istringstream in(text);
    return reports::read_json(in, "results.json");
}

/// Validates documents against reports/results.schema.json with Python's jsonschema.
int validate(const std::vector<std::string>& files, const std::string& log) {
    INFO("python: " PUSHCHECK_PYTHON " with jsonschema (Debian: python3-jsonschema)");
    REQUIRE(std::string(PUSHCHECK_PYTHON) != "");
    static const char* script = R"(import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    for e in validator.iter_errors(json.load(open(path, encoding="utf-8"))):
        bad += 1
        print(path, "/" + "/".join(str(p) for p in e.absolute_path), e.message[:300])
sys.exit(1 if bad else 0)
)";
    std::string py = write_artifact("validate_results.py", script);
    std::string cmd = std::string(PUSHCHECK_PYTHON) + " '" + py + "' '" PUSHCHECK_RESULTS_SCHEMA "'";
    for (const auto& f : files) cmd += " '" + f + "'";
    int rc = run_command(cmd, log);
    INFO(read_text(log));
    return rc;
}

/// Expects read_json to reject `doc` with a ConfigError at `pointer` mentioning `problem`.
void expect_error(const json& doc, const std::string& pointer, const std::string& problem) {
    try {
        read(doc.dump());
        FAIL("accepted a malformed document; expected an error at " << pointer);
    } catch (const engine::ConfigError& e) {
        INFO(e.what());
        CHECK(e.file() == "results.json");
        CHECK(e.where() == pointer);
        CHECK(e.problem().find(problem) != std::string::npos);
    }
}

} // namespace

TEST_CASE("results JSON matches the golden file", "[json]") {
    check_golden("results.json", json_of(make_run()));
}

TEST_CASE("results JSON round-trips: write, read, write gives identical text", "[json]") {
    for (const auto& run : {make_run(), make_hostile_run()}) {
        const std::string first = json_of(run);
        const std::string second = json_of(read(first));
        CHECK(first == second);
    }
}

TEST_CASE("reports re-rendered from the JSON equal the direct ones", "[json]") {
    for (const auto& run : {make_run(), make_hostile_run()}) {
        const auto back = read(json_of(run));
        CHECK(junit_of(back) == junit_of(run));
        CHECK(html_of(back) == html_of(run));
    }
}

TEST_CASE("payloads that are not UTF-8 survive exactly, as base64", "[json]") {
    const auto run = make_hostile_run();
    const auto back = read(json_of(run));
    REQUIRE(back.scenarios.size() == run.scenarios.size());
    const auto& a = run.scenarios[0].transcript.events;
    const auto& b = back.scenarios[0].transcript.events;
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].data == b[i].data);
        CHECK(a[i].binary == b[i].binary);
        CHECK(a[i].t_us == b[i].t_us);
    }
    CHECK(json_of(run).find("\"data_base64\"") != std::string::npos);
}

TEST_CASE("latency histograms from several result files merge exactly", "[json]") {
    auto r1 = make_run();
    auto r2 = make_run();
    r2.scenarios[0].latency.add(123456, 3);
    r2.recompute_summary();
    engine::Histogram direct = r1.latency;
    direct.merge(r2.latency);
    engine::Histogram merged = read(json_of(r1)).latency;
    merged.merge(read(json_of(r2)).latency);
    CHECK(merged.buckets() == direct.buckets());
    CHECK(merged.count() == direct.count());
    CHECK(merged.quantile(0.99) == direct.quantile(0.99));
    CHECK(merged.max() == 123456);
}

TEST_CASE("malformed results name the JSON pointer", "[json]") {
    const json good = json::parse(json_of(make_run()));
    REQUIRE_NOTHROW(read(good.dump()));
    auto with = [&](const std::string& ptr, const json& value) {
        json d = good;
        d[json::json_pointer(ptr)] = value;
        return d;
    };
    expect_error(json::array(), "/", "expected an object");
    expect_error(json::object(), "/", "missing required member \"schema_version\"");
    expect_error(with("/schema_version", 2), "/schema_version", "unsupported version 2");
    expect_error(with("/scenarios/1/verdict", "great"), "/scenarios/1/verdict", "expected one of pass, fail");
    expect_error(with("/scenarios/0/duration_ms", "fast"), "/scenarios/0/duration_ms", "expected a number, got a string");
    expect_error(with("/scenarios/0/transcript/2/kind", 5), "/scenarios/0/transcript/2/kind", "expected a string");
    expect_error(with("/scenarios/0/transcript/2/data_base64", "!!"), "/scenarios/0/transcript/2",
                 "both \"data\" and \"data_base64\"");
    expect_error(with("/scenarios/1/findings/1/evidence/0", 99), "/scenarios/1/findings/1/evidence/0",
                 "past the transcript's 6 events");
    expect_error(with("/scenarios/0/latency/histogram/buckets/0", json::array({1})),
                 "/scenarios/0/latency/histogram/buckets/0", "expected [index, count]");
    expect_error(with("/scenarios/0/latency/histogram/buckets/0", json::array({1000000, 1})),
                 "/scenarios/0/latency/histogram/buckets/0", "bucket index out of range");
    expect_error(with("/scenarios/0/latency/histogram/sub_bits", 4), "/scenarios/0/latency/histogram/sub_bits",
                 "expected 5");
    json no_id = good;
    no_id["scenarios"][2].erase("id");
    expect_error(no_id, "/scenarios/2", "missing required member \"id\"");
    json bad_b64 = good;
    bad_b64["scenarios"][0]["transcript"][0].erase("data");
    bad_b64["scenarios"][0]["transcript"][0]["data_base64"] = "a=bc";
    expect_error(bad_b64, "/scenarios/0/transcript/0/data_base64", "not valid base64");
}

TEST_CASE("results that are not JSON name the line and column", "[json]") {
    try {
        read("{\n  \"schema_version\": 1,\n  \"scenarios\": [tru]\n}");
        FAIL("accepted invalid JSON");
    } catch (const engine::ConfigError& e) {
        INFO(e.what());
        CHECK(e.where().rfind("line 3, column", 0) == 0);
        CHECK(e.problem().find("not valid JSON") != std::string::npos);
    }
    std::string deep(100000, '[');
    CHECK_THROWS_AS(read(deep + std::string(100000, ']')), engine::ConfigError);
}

TEST_CASE("written results validate against results.schema.json", "[json][schema]") {
    engine::RunResult unreachable;
    unreachable.target = "ws://127.0.0.1:9/";
    unreachable.target_unreachable = true;
    std::vector<std::string> files{write_artifact("results.json", json_of(make_run())),
                                   write_artifact("hostile.results.json", json_of(make_hostile_run())),
                                   write_artifact("unreachable.results.json", json_of(unreachable))};
    CHECK(validate(files, artifact_dir() + "/schema-valid.log") == 0);
}

TEST_CASE("the schema rejects documents that break it", "[json][schema]") {
    // Proves the validation above can fail.
    json doc = json::parse(json_of(make_run()));
    doc.erase("summary");
    auto f1 = write_artifact("broken1.results.json", doc.dump());
    doc = json::parse(json_of(make_run()));
    doc["scenarios"][0]["verdict"] = "great";
    auto f2 = write_artifact("broken2.results.json", doc.dump());
    CHECK(validate({f1}, artifact_dir() + "/schema-broken1.log") != 0);
    CHECK(validate({f2}, artifact_dir() + "/schema-broken2.log") != 0);
}

TEST_CASE("results JSON keeps handshakes, definitions, start offsets, interruption, server and dialled URLs",
          "[json][interrupted][handshake]") {
    const auto run = make_interrupted_run();
    const std::string text = json_of(run);
    const auto back = read(text);
    CHECK(json_of(back) == text);
    REQUIRE(back.interrupted);
    CHECK(back.interrupted->signal == "SIGINT");
    REQUIRE(back.interrupted->unfinished.size() == 2);
    CHECK(back.interrupted->unfinished[1].id == "rooms.broadcast_consistency");
    CHECK(back.interrupted->unfinished[1].driver == "sync");
    REQUIRE(back.server);
    CHECK(back.server->pid == 4242);
    CHECK(back.server->log_tail == run.server->log_tail);
    CHECK(back.dialled == run.dialled);
    CHECK(back.scenarios[2].started_ms == 20.0);
    const auto& h = back.scenarios[0].transcript.events[0].handshake;
    REQUIRE(h);
    CHECK(h->status == 101);
    CHECK(h->subprotocol == "nowtime.v1");
    CHECK(h->headers == run.scenarios[0].transcript.events[0].handshake->headers);
    CHECK(back.scenarios[1].findings[1].definition["within_ms"] == 3000);
    CHECK(back.scenarios[1].findings[0].definition.is_null());  // passed: not kept
    CHECK(junit_of(back) == junit_of(run));
    CHECK(html_of(back) == html_of(run));
    auto f = write_artifact("interrupted.results.json", text);
    CHECK(validate({f}, artifact_dir() + "/schema-interrupted.log") == 0);
}

TEST_CASE("results written before the new fields still read", "[json]") {
    json doc = json::parse(json_of(make_run()));
    doc.erase("dialled");
    for (auto& s : doc["scenarios"]) {
        s.erase("started_ms");
        for (auto& f : s["findings"]) f.erase("definition");
        for (auto& e : s["transcript"]) e.erase("handshake");
    }
    const auto back = read(doc.dump());
    CHECK(back.dialled.empty());
    CHECK(back.scenarios[1].started_ms == 0);
    CHECK_FALSE(back.scenarios[0].transcript.events[0].handshake);
    CHECK_FALSE(back.interrupted);
    CHECK_FALSE(back.server);
    auto f = write_artifact("old.results.json", doc.dump());
    CHECK(validate({f}, artifact_dir() + "/schema-old.log") == 0);
}

TEST_CASE("malformed new fields name the JSON pointer", "[json]") {
    const json good = json::parse(json_of(make_interrupted_run()));
    auto with = [&](const std::string& ptr, const json& value) {
        json d = good;
        d[json::json_pointer(ptr)] = value;
        return d;
    };
    expect_error(with("/scenarios/0/transcript/0/handshake/headers/1", json::array({"Server"})),
                 "/scenarios/0/transcript/0/handshake/headers/1", "expected [name, value]");
    expect_error(with("/scenarios/0/transcript/0/handshake/status", "101"), "/scenarios/0/transcript/0/handshake/status",
                 "expected an integer");
    expect_error(with("/scenarios/1/findings/1/definition", "expect"), "/scenarios/1/findings/1/definition",
                 "expected an object");
    expect_error(with("/interrupted/unfinished/0", json::object()), "/interrupted/unfinished/0",
                 "missing required member \"id\"");
    expect_error(with("/server/pid", -1), "/server/pid", "out of range");
    expect_error(with("/dialled/0", 5), "/dialled/0", "expected a string");
}

TEST_CASE("a partial transcript keeps each event's seq and the count recorded", "[json][partial]") {
    auto run = make_run();
    auto& t = run.scenarios[0].transcript;
    REQUIRE(t.events.size() >= 3);
    for (std::size_t i = 0; i < t.events.size(); ++i) t.events[i].seq = i == 0 ? 0 : 100 + i;  // a hole after the first
    t.recorded = 100 + t.events.size() + 7;
    const std::string text = json_of(run);
    const json doc = json::parse(text);
    CHECK(doc["scenarios"][0]["events_recorded"] == t.recorded);
    CHECK(doc["scenarios"][0]["transcript"][1]["seq"] == 101);
    CHECK_FALSE(doc["scenarios"][1].contains("events_recorded"));  // a whole transcript is written as before
    const auto back = read(text);
    CHECK(back.scenarios[0].transcript.recorded == t.recorded);
    CHECK(back.scenarios[0].transcript.events[2].seq == 102);
    CHECK(json_of(back) == text);
    CHECK(validate({write_artifact("partial.results.json", text)}, artifact_dir() + "/schema-partial.log") == 0);
    const std::string html = html_of(run);
    CHECK(html.find("100 events not kept") != std::string::npos);
    std::ostringstream console_text;
    reports::print_scenario_line(run.scenarios[0], {.verbose = true}, console_text);
    CHECK(console_text.str().find(std::to_string(t.events.size()) + " of " + std::to_string(t.recorded) + " events kept") !=
          std::string::npos);

    json bad = doc;
    bad["scenarios"][0]["transcript"][2]["seq"] = 1;
    expect_error(bad, "/scenarios/0/transcript/2/seq", "above the previous event's seq 101");
    bad = doc;
    bad["scenarios"][0]["events_recorded"] = 3;
    expect_error(bad, "/scenarios/0/events_recorded", "expected at least");
}

TEST_CASE("a load run's figures round-trip through the JSON and get their own HTML section", "[json][html][load]") {
    auto run = make_run();
    run.load = json::parse(R"({
      "clients": {"total": 3, "connected": 3, "failed": 0},
      "messages": {"received": 30, "missed": 2, "duplicates": 0},
      "latency_us": {"p50": 1000, "p90": 2000, "p99": 3000, "p999": 3100, "max": 3200, "samples": 30},
      "harness": {"cpu_s": 0.5, "peak_rss_bytes": 1048576},
      "load": {"clients": 3, "per_second": [{"t_s": 0, "connected": 3, "pushes": 12, "p99_us": 2500},
                                            {"t_s": 1, "connected": 2, "pushes": 18, "p99_us": 3000}]}})");
    const std::string text = json_of(run);
    const json doc = json::parse(text);
    CHECK(doc["messages"]["missed"] == 2);
    CHECK(doc["harness"]["peak_rss_bytes"] == 1048576);
    const auto back = read(text);
    CHECK(back.load == run.load);
    CHECK(json_of(back) == text);
    CHECK(validate({write_artifact("load.results.json", text)}, artifact_dir() + "/schema-load.log") == 0);
    const std::string html = html_of(run);
    CHECK(html.find("<section id=\"load\"><h2>Load</h2>") != std::string::npos);
    CHECK(html.find("messages.missed</td><td class=\"num\">2<") != std::string::npos);
    CHECK(html.find("p99 latency per second") != std::string::npos);
    CHECK(html.find("second of the run") != std::string::npos);
    CHECK(html_of(make_run()).find("id=\"load\"") == std::string::npos);  // only load runs have it
    json bad = doc;
    bad["messages"] = 5;
    expect_error(bad, "/messages", "expected an object");
}
