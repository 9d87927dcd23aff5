// The runner: groups, verdict grading by level, the time budget, stale events, the schema.
#include "fake.hpp"

#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/step.hpp"

#include <fstream>
#include <sstream>

using namespace pushcheck::test;

namespace {
const json kWelcome = {{"$profile", "welcome.match"}};
}

TEST_CASE("a group of 20 clients joins and expects concurrently", "[runner][group]") {
    Fake f({{"clients", {{{"name", "m"}, {"count", 20}}}},
            {"steps", {{{"step", "join"}, {"client", "m"}}, {{"step", "expect"}, {"client", "m"}, {"match", kWelcome}}}}});
    f.start();
    auto connects = f.of_kind(Command::Kind::connect);
    REQUIRE(connects.size() == 20);
    CHECK(connects.front().client == "m1");
    CHECK(connects.back().client == "m20");
    for (int i = 1; i <= 19; ++i) f.connected("m" + std::to_string(i));
    // The step waits for every member.
    f.welcome("m1");
    CHECK_FALSE(f.done());
    f.connected("m20");
    for (int i = 2; i <= 20; ++i) {
        CHECK_FALSE(f.done());
        f.welcome("m" + std::to_string(i));
    }
    REQUIRE(f.done());
    CHECK(f.of_kind(Command::Kind::release).size() == 20);
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.findings.size() == 2);
}

TEST_CASE("a failing group member ends the run and is named", "[runner][group]") {
    Fake f({{"clients", {{{"name", "a"}}, {{"name", "m"}, {"count", 20}}}},
            {"steps", {{{"step", "join"}, {"client", "*"}}, {{"step", "expect"}, {"client", {"a", "m"}}, {"match", kWelcome}}}}});
    f.start();
    f.accept_all();
    for (int i = 1; i <= 6; ++i) f.welcome("m" + std::to_string(i));
    f.msg("m7", {{"status", 500}, {"event", "notification"}, {"data", "x"}});
    REQUIRE(f.done());
    CHECK(f.of_kind(Command::Kind::release).size() == 21);
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason == "m7: message {\"data\":\"x\",\"event\":\"notification\",\"status\":500} does not match: at /status: expected 200, got 500");
}

TEST_CASE("verdicts are graded by the level of the step, check or scenario", "[runner][verdict]") {
    auto fail_with = [](json scenario_level, json step_level) {
        json step = {{"step", "expect"}, {"client", "a"}, {"match", kWelcome}, {"within_ms", 10}};
        if (!step_level.is_null()) step["level"] = step_level;
        json s = {{"steps", {{{"step", "join"}, {"client", "a"}}, step}}};
        if (!scenario_level.is_null()) s["level"] = scenario_level;
        Fake f(s);
        f.start();
        f.accept_all();
        f.advance(10ms);
        return f.result();
    };
    CHECK(fail_with(nullptr, nullptr).verdict == Verdict::fail);
    CHECK(fail_with("should", nullptr).verdict == Verdict::non_strict);
    CHECK(fail_with("may", nullptr).verdict == Verdict::informational);
    CHECK(fail_with("must", "should").verdict == Verdict::non_strict);
    CHECK(fail_with("may", "must").verdict == Verdict::fail);
    auto r = fail_with(nullptr, "may");
    CHECK(r.verdict == Verdict::informational);
    CHECK(r.findings.back().level == Level::may);
    CHECK(r.reason == "a: no message matching an object with \"data\": a string, \"event\": \"notification\", \"status\": 200 within 10 ms");
}

TEST_CASE("the scenario verdict is the worst finding, with its reason", "[runner][verdict]") {
    Fake f({{"clients", {{{"name", "a"}}}},
            {"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 100}}}},
            {"checks",
             {{{"check", "ordering"}, {"client", "a"}, {"first", {{"x", 1}}}, {"level", "may"}},
              {{"check", "ordering"}, {"client", "a"}, {"first", {{"x", 2}}}, {"level", "should"}},
              {{"check", "ordering"}, {"client", "a"}, {"first", {{"x", 3}}}},
              {{"check", "ordering"}, {"client", "a"}, {"first", {{"x", 4}}}}}}});
    f.start();
    f.accept_all();
    f.msg("a", {{"x", 4}});
    f.advance(100ms);
    auto r = f.result();
    CHECK(finding(r, "checks/0").verdict == Verdict::informational);
    CHECK(finding(r, "checks/1").verdict == Verdict::non_strict);
    CHECK(finding(r, "checks/2").verdict == Verdict::fail);
    CHECK(finding(r, "checks/3").verdict == Verdict::pass);
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason == finding(r, "checks/2").reason);
    CHECK(r.reason == "a: the first message of connection 0 ({\"x\":4}) does not match: at /x: expected 3, got 4");
}

TEST_CASE("past the time budget the run ends as a harness error", "[runner][budget]") {
    Fake f(json{{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "expect"}, {"client", "a"}, {"match", kWelcome}}}}});
    f.start();
    // join 500 + 250 grace, expect 300; the margin is 2 s.
    CHECK(f.r()->budget() == std::chrono::milliseconds(3050));
    CHECK(f.r()->next_deadline() == f.t0 + 750ms);
    // A stalled driver calls on_time only once, long after every deadline.
    f.now += 3050ms;
    f.event(f.make(EventKind::error, "x"));  // an event of an unknown client changes nothing
    CHECK_FALSE(f.done());
    auto cmds = f.r()->on_time(f.now);
    REQUIRE(f.done());
    CHECK(cmds.size() == 1);
    CHECK(cmds[0].kind == Command::Kind::release);
    auto r = f.result();
    CHECK(r.verdict == Verdict::harness_error);
    CHECK(r.reason == "scenario exceeded its time budget of 3050 ms (step 0, join, was still running)");
    CHECK(r.transcript.events.size() == 1);  // the unknown client's event is recorded all the same
}

TEST_CASE("the budget scales with --timeout-scale", "[runner][budget]") {
    RunOptions o;
    o.timeout_scale = 2;
    Fake f({{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "expect_silence"}, {"client", "a"}, {"for_ms", 1000}}}}},
           test_profile(), o);
    // join 2 x 500 + 250; silence 1000 unscaled; margin 2 s.
    CHECK(f.r()->budget() == std::chrono::milliseconds(1250 + 1000 + 2000));
    o.timeout_scale = 0;
    CHECK(config_error([&] { Fake g({{"steps", {{{"step", "sleep"}, {"for_ms", 1}}}}}, test_profile(), o); }) ==
          "run options: the timeout scale must be a number > 0, got 0");
}

TEST_CASE("events are timestamped from the start; nothing happens after done", "[runner]") {
    Fake f(json{{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 100}}}}});
    f.start();
    f.advance(7ms);
    f.connected("a");
    f.advance(1500us);
    f.welcome("a");
    f.advance(100ms);
    REQUIRE(f.done());
    CHECK_FALSE(f.r()->next_deadline().has_value());
    CHECK(f.r()->on_time(f.now + 1h).empty());
    auto after = f.r()->on_event(f.make(EventKind::received, "a"), f.now);
    CHECK(after.empty());
    auto r = f.result();
    REQUIRE(r.transcript.events.size() == 2);
    CHECK(r.transcript.events[0].t_us == 7000);
    CHECK(r.transcript.events[1].t_us == 8500);
    CHECK(r.duration_ms == 107.0);  // the sleep ended at 7 + 100 ms
    CHECK(r.id == "test.scenario");
    CHECK(r.group == "test");
    CHECK(r.file == "test.json");
}

TEST_CASE("a closed event ends the connection for later steps", "[runner]") {
    Fake f(json{{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 10}}, {{"step", "ping"}, {"client", "a"}}}}});
    f.start();
    f.accept_all();
    f.closed("a", 1001, true, "going away");
    f.advance(10ms);
    auto r = f.result();
    CHECK(r.reason == "client a is not connected: its connection has ended");
    CHECK(finding(r, "steps/2").evidence == std::vector<std::size_t>{1});
}

TEST_CASE("validate_scenario binds without running", "[runner]") {
    Scenario s = scenario_of({{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "expect"}, {"client", "a"}, {"match", kWelcome}}}}});
    CHECK_NOTHROW(validate_scenario(s, test_profile()));
    Profile p = test_profile();
    p.values["welcome"]["match"] = {{"data", {{"$regex", "(["}}}};
    CHECK(config_error([&] { validate_scenario(s, p); }).rfind("test.json: /steps/1/match/data/$regex: bad regex", 0) == 0);
}

TEST_CASE("the JSON Schema knows every step and check with their parameters", "[runner][schema]") {
    std::ifstream in(std::string(PUSHCHECK_SOURCE_DIR) + "/scenarios/scenario.schema.json");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    json schema = json::parse(ss.str());
    const json& defs = schema.at("$defs");
    for (const auto* info : step_types()) {
        INFO("step " << info->name);
        REQUIRE(defs.contains("step_" + info->name));
        const json& props = defs["step_" + info->name]["properties"];
        std::vector<std::string> want{"step", "level", "explain"}, have;
        if (info->takes_client) want.push_back("client");
        for (const auto& p : info->params) want.push_back(p.name);
        for (const auto& [k, v] : props.items()) have.push_back(k);
        std::sort(want.begin(), want.end());
        CHECK(have == want);
        CHECK(defs["step_" + info->name]["properties"]["step"]["const"] == info->name);
    }
    for (const auto* info : check_types()) {
        INFO("check " << info->name);
        REQUIRE(defs.contains("check_" + info->name));
        const json& props = defs["check_" + info->name]["properties"];
        std::vector<std::string> want{"check", "client", "level", "explain"}, have;
        for (const auto& p : info->params) want.push_back(p.name);
        for (const auto& [k, v] : props.items()) have.push_back(k);
        std::sort(want.begin(), want.end());
        CHECK(have == want);
    }
}

TEST_CASE("the documented example scenario loads and runs against the shipped profile", "[runner][docs]") {
    // The example at the top of docs/scenarios.md.
    std::ifstream in(std::string(PUSHCHECK_SOURCE_DIR) + "/docs/scenarios.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    auto start = doc.find("```json\n");
    REQUIRE(start != std::string::npos);
    start += 8;
    const std::string example = doc.substr(start, doc.find("```", start) - start);
    Scenario s = parse_scenario(example, "docs/scenarios.md");
    Profile p = load_profile("nowtime", {std::string(PUSHCHECK_SOURCE_DIR) + "/scenarios/profiles"});
    Fake f(json::parse(example), p);
    f.start();
    f.accept_all();
    f.msg("a", {{"status", 200}, {"event", "notification"}, {"data", "Welcome"}});
    auto sends = f.of_kind(Command::Kind::send_text);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].data == "{\"event\":\"close\"}");
    f.push("a");
    f.msg("a", {{"message", "bye"}});
    f.closed("a", 1000, true);
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.findings.size() == 6);
}

TEST_CASE("every scenario of the suite loads and binds to every shipped profile it applies to", "[runner][suite]") {
    const std::string root = PUSHCHECK_SOURCE_DIR;
    std::vector<Scenario> all;
    REQUIRE_NOTHROW(all = load_scenarios({root + "/scenarios/suite"}));
    CHECK(all.size() >= 10);
    for (const char* name : {"nowtime", "socketio-nowtime", "pusher-nowtime", "graphql-nowtime"}) {
        Profile p = load_profile(name, {root + "/scenarios/profiles"});
        std::size_t bound = 0;
        for (const auto& s : all) {
            if (!missing_sections(s, p.values).empty()) continue;
            INFO(name << ": " << s.file);
            CHECK_NOTHROW(validate_scenario(s, p));
            ++bound;
        }
        INFO(name);
        CHECK(bound >= 12);
    }
}

TEST_CASE("a failed step's finding keeps its definition, $profile references resolved", "[runner][definition]") {
    Fake f(json{{"steps", {{{"step", "join"}, {"client", "a"}},
                       {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "bye.match"}}}, {"within_ms", 10}}}}});
    f.start();
    f.accept_all();
    f.advance(20ms);
    auto r = f.result();
    const Finding& join = finding(r, "steps/0");
    const Finding& expect = finding(r, "steps/1");
    CHECK(join.definition.is_null());  // passed: nothing to explain
    CHECK(expect.definition == json{{"step", "expect"}, {"client", "a"}, {"match", {{"message", "bye"}}}, {"within_ms", 10}});
}

TEST_CASE("a failed check's finding keeps its definition", "[runner][definition]") {
    Fake f({{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 50}}}},
            {"checks", {{{"check", "ordering"}, {"client", "a"}, {"first", {{"$profile", "welcome.match"}}}}}}});
    f.start();
    f.accept_all();
    f.msg("a", {{"message", "bye"}});
    f.advance(60ms);
    auto r = f.result();
    const Finding& c = finding(r, "checks/0");
    REQUIRE(c.verdict == Verdict::fail);
    CHECK(c.definition["first"]["event"] == "notification");
}

TEST_CASE("explain puts the scenario's words before the engine's reason", "[runner][explain]") {
    Fake f(json{{"steps", {{{"step", "join"}, {"client", "a"}},
                       {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "bye.match"}}},
                        {"skip", {{"$profile", "push.match"}}}, {"within_ms", 10},
                        {"explain", "pushes went on but the close request was never answered"}}}}});
    f.start();
    f.accept_all();
    f.push("a");
    f.advance(20ms);
    auto r = f.result();
    CHECK(r.reason.rfind("pushes went on but the close request was never answered (a: no message matching an object with "
                         "\"message\": \"bye\" within 10 ms; meanwhile 1 message matching skip ",
                         0) == 0);
    CHECK(r.reason.back() == ')');
}

TEST_CASE("explain must be one line of text", "[runner][explain]") {
    auto load = [](json explain) {
        return config_error([&] {
            scenario_of({{"steps", {{{"step", "join"}, {"client", "a"}, {"explain", explain}}}}});
        });
    };
    CHECK(load(5) == "test.json: /steps/0/explain: expected a non-empty string (one line), got 5");
    CHECK(load("two\nlines") == "test.json: /steps/0/explain: expected one line of text without control characters");
    CHECK(load("").rfind("test.json: /steps/0/explain: expected a non-empty string", 0) == 0);
}

TEST_CASE("robustness scenarios say the cause: pushes went on, the close request was not answered", "[runner][explain][suite]") {
    std::ifstream in(std::string(PUSHCHECK_SOURCE_DIR) + "/scenarios/suite/robustness.not_json.json");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    Fake f(json::parse(ss.str()));
    f.start();
    f.accept_all();
    f.welcome("a");
    for (int i = 0; i < 2; ++i) {  // pushes go on after the bad input
        f.advance(100ms);
        f.push("a");
    }
    for (int i = 0; i < 3; ++i) {  // and after the close request, but no bye comes
        f.advance(100ms);
        f.push("a");
    }
    f.advance(1s);
    auto r = f.result();
    CHECK(r.verdict == Verdict::non_strict);
    CHECK(r.reason.rfind("pushes went on but the close request after the bad input was never answered (a: no message "
                         "matching an object with \"message\": \"bye\" within 300 ms; meanwhile 2 messages matching skip",
                         0) == 0);
}

TEST_CASE("explain leads a failed check's reason, not a measurement's", "[runner][explain]") {
    auto run = [](json check) {
        Fake f(json{{"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 500}}}},
                    {"checks", {std::move(check)}}});
        f.start();
        f.accept_all();
        for (int i = 0; i < 5; ++i) {
            f.advance(100ms);
            f.push("a");
        }
        f.advance(1s);
        return finding(f.result(), "checks/0");
    };
    const Finding failed = run({{"check", "ordering"}, {"client", "a"}, {"first", {{"$profile", "welcome.match"}}},
                                {"explain", "the welcome must come first"}});
    CHECK(failed.reason.rfind("the welcome must come first (", 0) == 0);
    const Finding measured = run({{"check", "interval"}, {"client", "a"}, {"grade", "none"}, {"level", "may"},
                                  {"explain", "the welcome must come first"}});
    CHECK(measured.verdict == Verdict::informational);
    CHECK(measured.reason.find("the welcome must come first") == std::string::npos);
}
