// pushcheck load in-process: the scenario it builds, its usage errors, a run's figures.
#include "cli_support.hpp"
#include "pushcheck/run/app.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using cli_test::cli;
using cli_test::Outcome;

json scenario_of(std::vector<std::string> args) {
    args.insert(args.begin(), "load");
    args.push_back("--print-scenario");
    auto o = cli(args);
    INFO(o.err);
    REQUIRE(o.code == 0);
    return json::parse(o.out);
}

} // namespace

TEST_CASE("load --print-scenario builds one scenario in the suite's language", "[cli][load]") {
    json s = scenario_of({"--clients", "10", "--rooms", "/room-{1..3}", "--ramp", "50", "--duration", "2"});
    CHECK(s["id"] == "load.run");
    REQUIRE(s["clients"].size() == 3);
    CHECK(s["clients"][0] == json{{"name", "r1"}, {"count", 4}});
    CHECK(s["clients"][2] == json{{"name", "r3"}, {"count", 3}});
    CHECK(s["steps"][0]["path"] == "/room-1");
    CHECK(s["steps"][0]["ramp_per_s"] == 50);
    CHECK(s["steps"][0]["expect"] == "attempt");
    CHECK(s["steps"][3]["step"] == "hold");
    CHECK(s["steps"][3]["for_ms"] == 2000);
    CHECK(s["checks"][0]["check"] == "delivery");
    CHECK(s["checks"][1]["check"] == "latency");

    json churn = scenario_of({"--clients", "10", "--churn", "0.2"});
    REQUIRE(churn["clients"].size() == 2);
    CHECK(churn["clients"][1] == json{{"name", "x1"}, {"count", 2}});
    std::vector<std::string> kinds;
    for (const auto& st : churn["steps"]) kinds.push_back(st["step"]);
    CHECK(kinds == std::vector<std::string>{"join", "join", "hold", "send", "expect", "expect_close", "reconnect", "hold",
                                            "disconnect_abruptly", "reconnect", "hold"});
}

TEST_CASE("load --stalled K: K members of the first room stop reading and flood; the others are judged",
          "[cli][load][stalled]") {
    json s = scenario_of({"--clients", "10", "--stalled", "2", "--duration", "6"});
    REQUIRE(s["clients"].size() == 2);
    CHECK(s["clients"][0] == json{{"name", "s"}, {"count", 2}});
    CHECK(s["clients"][1] == json{{"name", "r1"}, {"count", 8}});
    CHECK(s["steps"][0]["recv_buffer"] == 4096);
    std::vector<std::string> kinds;
    for (const auto& st : s["steps"]) kinds.push_back(st["step"]);
    CHECK(kinds == std::vector<std::string>{"join", "join", "hold", "pause_reading", "flood", "hold"});
    CHECK(s["checks"][0]["client"] == json::array({"r1"}));  // delivery: the members that keep reading
    CHECK(s["checks"][2] == json{{"check", "stall_outcome"}, {"client", "s1"}, {"level", "may"}});
    auto o = cli({"load", "--clients", "3", "--stalled", "3"});
    CHECK(o.code == 2);
    CHECK(o.err.find("3 stalled members leave none of the 3 clients of /nowtime to watch") != std::string::npos);
    o = cli({"load", "--clients", "30", "--stalled", "1", "--churn", "0.1"});
    CHECK(o.code == 2);
}

TEST_CASE("load usage errors exit 2 and name the option", "[cli][load][exit2]") {
    auto o = cli({"load"});
    CHECK(o.code == 2);
    CHECK(o.err.find("--clients is required") != std::string::npos);
    o = cli({"load", "--clients", "0"});
    CHECK(o.code == 2);
    o = cli({"load", "--clients", "5", "--rooms", "nowtime"});
    CHECK(o.code == 2);
    CHECK(o.err.find("--rooms: expected a path starting with '/' (the profile has no join.path, so rooms are paths), got 'nowtime'") != std::string::npos);
    o = cli({"load", "--clients", "2", "--rooms", "/r-{1..5}"});
    CHECK(o.code == 2);
    CHECK(o.err.find("5 rooms for 2 clients") != std::string::npos);
    o = cli({"load", "--clients", "2", "--filter", "push.*"});
    CHECK(o.code == 2);
    CHECK(o.err.find("do not apply to load") != std::string::npos);
    o = cli({"load", "--clients", "2", "--churn", "2"});
    CHECK(o.code == 2);
    for (const char* bad : {"0/4", "5/4", "x", "2/", "1/0"}) {
        o = cli({"load", "--clients", "2", "--shard", bad});
        INFO(bad << ": " << o.err);
        CHECK(o.code == 2);
        CHECK(o.err.find("--shard: expected K/N with 1 <= K <= N") != std::string::npos);
    }
    o = cli({"merge"});
    CHECK(o.code == 2);
    o = cli({"merge", "/no/such/shard.json"});
    CHECK(o.code == 2);
    CHECK(o.err.find("/no/such/shard.json: cannot open the file") != std::string::npos);
    o = cli({"load", "--clients", "2", "--progress", "sometimes"});
    CHECK(o.code == 2);
}

TEST_CASE("load shows a live progress line when asked, and none with -q or never", "[cli][load][progress]") {
    auto run = [](std::vector<std::string> extra) {
        std::vector<std::string> args = {"load", "--clients", "20", "--duration", "3", "--embedded-interval-ms", "100"};
        args.insert(args.end(), extra.begin(), extra.end());
        return cli(args);
    };
    auto o = run({"--progress", "always"});
    INFO(o.out << o.err);
    CHECK(o.code == 0);
    // Drawn from the run's third second on: clients, pushes per second, p99, failures.
    CHECK(o.out.find("\r\033[K[0/1] 20/20 clients connected, ") != std::string::npos);
    CHECK(o.out.find(" pushes/s, p99 ") != std::string::npos);
    CHECK(o.out.find(" ms, 0 failed") != std::string::npos);
    for (auto extra : {std::vector<std::string>{"--progress", "always", "-q"}, std::vector<std::string>{"--progress", "never"},
                       std::vector<std::string>{}}) {  // the tests' output is not a terminal
        auto q = run(extra);
        INFO("with " << (extra.empty() ? std::string("no option") : extra[1] + (extra.size() > 2 ? " " + extra[2] : "")) << ": "
                     << q.out);
        CHECK(q.code == 0);
        CHECK(q.out.find("pushes/s") == std::string::npos);
        CHECK(q.out.find("\033[K") == std::string::npos);
    }
}

TEST_CASE("a load run against the embedded server passes and writes its figures", "[cli][load][exit0]") {
    std::random_device rd;
    const fs::path dir = fs::temp_directory_path() / ("pushcheck-load-test-" + std::to_string(rd()));
    fs::create_directories(dir);
    const std::string file = (dir / "load.json").string();
    auto o = cli({"load", "--clients", "40", "--rooms", "/nowtime", "--duration", "2", "--churn", "0.25",
                  "--embedded-interval-ms", "100", "--json", file});
    INFO(o.out << o.err);
    CHECK(o.code == 0);
    CHECK(o.out.find("load: 40 of 40 clients connected") != std::string::npos);
    std::ifstream in(file);
    json doc = json::parse(in);
    CHECK(doc["clients"]["connected"] == 40);
    CHECK(doc["messages"]["missed"] == 0);
    CHECK(doc["messages"]["duplicates"] == 0);
    CHECK(doc["messages"]["received"].get<int>() >= 40 * 15);
    CHECK(doc["latency_us"]["p99"].get<std::int64_t>() > 0);
    CHECK(doc["welcome_us"]["samples"].get<int>() >= 40);  // every join, and the churners' rejoins
    CHECK(doc["welcome_us"]["p50"].get<std::int64_t>() >= doc["connect_us"]["p50"].get<std::int64_t>());
    CHECK(doc["harness"]["cpu_s"].get<double>() > 0);
    CHECK(doc["harness"]["peak_rss_bytes"].get<std::int64_t>() > 0);
    CHECK(doc["load"]["per_second"].size() >= 2);
    fs::remove_all(dir);
}

TEST_CASE("a load run that ended in a harness error exits 1: nothing was judged", "[cli][load][exit1]") {
    using pushcheck::engine::RunResult;
    using pushcheck::engine::ScenarioResult;
    using pushcheck::engine::Verdict;
    RunResult r;
    ScenarioResult s;
    s.id = "load.run";
    s.verdict = Verdict::harness_error;
    s.reason = "scenario exceeded its time budget of 42 s";
    r.scenarios.push_back(s);
    r.recompute_summary();
    CHECK(pushcheck::run::exit_code_of(r, true) == 1);
    CHECK(pushcheck::run::exit_code_of(r, false) == 0);  // conformance: a harness error is reported, never blamed
    r.scenarios[0].verdict = Verdict::pass;
    r.recompute_summary();
    CHECK(pushcheck::run::exit_code_of(r, true) == 0);
    r.scenarios[0].verdict = Verdict::fail;
    r.recompute_summary();
    CHECK(pushcheck::run::exit_code_of(r, false) == 1);
    r.target_unreachable = true;
    CHECK(pushcheck::run::exit_code_of(r, true) == 3);
}
