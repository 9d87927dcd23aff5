// Loading scenario files: every error names the file and the place.
#include "fake.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace pushcheck::test;
namespace fs = std::filesystem;

namespace {

std::string load_error(const std::string& text) {
    return config_error([&] { parse_scenario(text, "x.json"); });
}

// A valid minimal scenario with `steps` replaced.
std::string with_steps(const std::string& steps) {
    return R"({"id": "t.x", "title": "t", "clients": [{"name": "a"}, {"name": "m", "count": 3}], "steps": )" + steps + "}";
}

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("pushcheck-engine-" + std::to_string(::getpid()) + "-" +
                                                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

} // namespace

TEST_CASE("a valid scenario loads with its metadata and step positions", "[loader]") {
    Scenario s = parse_scenario(R"({
  "id": "lifecycle.close_bye",
  "title": "Close request is answered by bye",
  "description": "d",
  "level": "should",
  "tags": ["x"],
  "clients": [{"name": "a"}],
  "steps": [
    {"step": "join", "client": "a"},
    {"step": "expect", "client": "a", "match": {"$profile": "welcome.match"}}
  ],
  "checks": [{"check": "ordering", "client": "a", "nothing_after": {"$profile": "bye.match"}}]
})",
                                "s.json");
    CHECK(s.id == "lifecycle.close_bye");
    CHECK(s.group() == "lifecycle");
    CHECK(s.level == Level::should);
    CHECK(s.tags == std::vector<std::string>{"x"});
    REQUIRE(s.step_lines.size() == 2);
    CHECK(s.step_lines[0] == std::pair<int, int>{9, 5});
    CHECK(s.step_lines[1] == std::pair<int, int>{10, 5});
    CHECK(s.checks.size() == 1);
}

TEST_CASE("JSON syntax errors carry file:line:column", "[loader]") {
    CHECK(load_error("{\n  \"id\": \"a.b\",\n  \"title\" \"x\"\n}") ==
          "x.json:3:13: JSON syntax error: syntax error while parsing object separator - unexpected string literal; expected ':'");
    CHECK(load_error("{\"id\": \"a.b\",}").rfind("x.json:1:14: JSON syntax error:", 0) == 0);
    CHECK(load_error("").rfind("x.json:1:1: JSON syntax error: the file is empty", 0) == 0);
    // A number too large for a double was nlohmann's out_of_range, not a ConfigError: no file,
    // no position, and `pushcheck validate` stopped with an internal error (found by fuzzing).
    CHECK(load_error("{\"id\": \"a.b\",\n \"count\": 27E777777}") ==
          "x.json:2:11: number out of range: 27E777777 does not fit a double");
}

TEST_CASE("a long scenario id is checked in bounded stack", "[loader][regression]") {
    // The id was checked with a std::regex, whose matcher recursed once per character: a
    // 20,000-character id overflowed the stack (found by fuzzing).
    const std::string id = std::string(300000, 'a') + ".b";
    CHECK(parse_scenario(R"({"id": ")" + id + R"(", "title": "t", "clients": [{"name": "a"}], "steps": [{"step": "sleep", "for_ms": 1}]})",
                         "x.json").id == id);
    for (const char* bad : {"a..b", ".a.b", "a.b.", "A.b", "a.b-c", "", "."})
        CHECK(load_error(std::string(R"({"id": ")") + bad + R"(", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})")
                  .find("/id: expected a dotted lower-case id") != std::string::npos);
}

TEST_CASE("structural errors name the JSON pointer", "[loader]") {
    CHECK(load_error("[]") == "x.json: expected a JSON object (a scenario) at the top level, got an array");
    CHECK(load_error(R"({"id": "nodot", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})") ==
          "x.json: /id: expected a dotted lower-case id such as \"lifecycle.close_bye\" (group.name), got \"nodot\"");
    CHECK(load_error(R"({"id": "a.b", "clients": [{"name":"a"}], "steps": []})") == "x.json: missing \"title\"");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"a"}], "steps": []})") ==
          "x.json: /steps: expected a non-empty array of steps");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "titel": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})") ==
          "x.json: /titel: unknown key \"titel\" in a scenario (did you mean \"title\"?); allowed keys: $schema, id, title, "
          "description, level, tags, requires, clients, steps, checks");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "level": "must_not", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})") ==
          "x.json: /level: expected must, should or may, got \"must_not\"");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"a"}, {"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})") ==
          "x.json: /clients/1/name: duplicate client name \"a\"");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"m", "count": 2}, {"name":"m1"}], "steps": [{"step":"sleep","for_ms":1}]})") ==
          "x.json: /clients/1/name: client \"m1\" is declared twice (a group member and a client)");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"m", "count": 0}], "steps": [{"step":"sleep","for_ms":1}]})") ==
          "x.json: /clients/0/count: expected an integer from 1 to 100000, got 0");
}

TEST_CASE("unknown steps and checks list the known ones", "[loader]") {
    CHECK(load_error(with_steps(R"([{"step":"sleep","for_ms":1}, {"step":"sleep","for_ms":1}, {"step":"jion","client":"a"}])")) ==
          "x.json: /steps/2/step: unknown step \"jion\" (did you mean \"join\"?); known steps: close, discard, disconnect_abruptly, "
          "expect, expect_close, expect_pong, expect_silence, flood, hold, join, leave, pause_reading, ping, receive, reconnect, "
          "resume_reading, send, sleep");
    std::string e = load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}],
                                   "checks": [{"check": "latancy"}]})");
    CHECK(e == "x.json: /checks/0/check: unknown check \"latancy\" (did you mean \"latency\"?); known checks: broadcast, "
               "delivery, heartbeat, interval, latency, ordering, stall_outcome");
    CHECK(load_error(with_steps(R"([{"client":"a"}])")).find("x.json: /steps/0: missing \"step\" (known steps: close,") == 0);
}

TEST_CASE("unknown keys, wrong types and missing parameters are errors", "[loader]") {
    CHECK(load_error(with_steps(R"([{"step":"expect","client":"a","match":{},"withn_ms":5}])")) ==
          "x.json: /steps/0/withn_ms: unknown key \"withn_ms\" for step expect (did you mean \"within_ms\"?); allowed keys: "
          "step, client, level, explain, match, skip, within_ms, capture");
    CHECK(load_error(with_steps(R"([{"step":"expect","client":"a","match":{},"within_ms":"soon"}])")) ==
          "x.json: /steps/0/within_ms: expected a duration in milliseconds (a number >= 0), got \"soon\"");
    CHECK(load_error(with_steps(R"([{"step":"expect","client":"a","match":{},"within_ms":-1}])")) ==
          "x.json: /steps/0/within_ms: expected a number >= 0, got -1");
    CHECK(load_error(with_steps(R"([{"step":"expect","client":"a"}])")) == "x.json: /steps/0: step expect needs \"match\"");
    CHECK(load_error(with_steps(R"([{"step":"expect","match":{}}])")) ==
          "x.json: /steps/0: step expect needs \"client\" (a name, a group, a list or \"*\")");
    CHECK(load_error(with_steps(R"([{"step":"join","client":"b"}])")) ==
          "x.json: /steps/0/client: unknown client \"b\" (did you mean \"a\"?); clients: a, m (group m1..m3)");
    CHECK(load_error(with_steps(R"([{"step":"join","client":"a","expect":"maybe"}])")) ==
          "x.json: /steps/0/expect: expected one of open, refused, any, attempt, got \"maybe\"");
    CHECK(load_error(with_steps(R"([{"step":"receive","client":"a","match":{},"count":0}])")) ==
          "x.json: /steps/0/count: expected an integer >= 1, got 0");
    CHECK(load_error(with_steps(R"([{"step":"sleep","client":"a","for_ms":1}])")) ==
          "x.json: /steps/0/client: unknown key \"client\" for step sleep; allowed keys: step, level, explain, for_ms");
    CHECK(load_error(with_steps(R"([{"step":"sleep","for_ms":1,"level":"urgent"}])")) ==
          "x.json: /steps/0/level: expected must, should or may, got \"urgent\"");
    CHECK(load_error(with_steps(R"([{"step":"send","client":"a"}])")) ==
          "x.json: /steps/0: step send needs exactly one of \"json\", \"text\" or \"binary_hex\"");
    CHECK(load_error(with_steps(R"([{"step":"send","client":"a","text":"x","json":{}}])")) ==
          "x.json: /steps/0: step send needs exactly one of \"json\", \"text\" or \"binary_hex\"");
    CHECK(load_error(with_steps(R"([{"step":"send","client":"a","binary_hex":"0g"}])")) ==
          "x.json: /steps/0/binary_hex: not a hex digit at offset 1");
    CHECK(load_error(with_steps(R"([{"step":"expect","client":"a","match":{"data":{"$regex":"(["}}}])"))
              .rfind("x.json: /steps/0/match/data/$regex: bad regex \"([\":", 0) == 0);
    CHECK(load_error(with_steps(R"([{"step":"expect","client":"a","match":{"$profile":"welcome.match","time":2}}])")) ==
          "x.json: /steps/0/match/time: unknown key \"time\" in a profile reference (allowed: $profile, times, plus, templates)");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}],
                         "checks": [{"check": "ordering", "client": "a"}]})") ==
          "x.json: /checks/0: check ordering needs at least one of \"first\", \"nothing_after\" or \"before\"");
    CHECK(load_error(R"({"id": "a.b", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}],
                         "checks": [{"check": "interval", "grade": "strict"}]})") ==
          "x.json: /checks/0/grade: expected one of gaps, none, got \"strict\"");
}

TEST_CASE("profile references are checked when the scenario is bound", "[loader][profile]") {
    Profile p = test_profile();
    Scenario s = parse_scenario(with_steps(R"([{"step":"join","client":"a"},
        {"step":"expect","client":"a","match":{"$profile":"welcome.matc"}}])"),
                                "x.json");
    CHECK(config_error([&] { ScenarioRunner r(s, p, {}); }) ==
          "x.json: /steps/1/match: profile \"test\" has no value at \"welcome.matc\" (test-profile.json)");
    Scenario t = parse_scenario(with_steps(R"([{"step":"sleep","for_ms":{"$profile":"bye.match","times":2}}])"), "x.json");
    CHECK(config_error([&] { validate_scenario(t, p); }) ==
          "x.json: /steps/0/for_ms: \"times\"/\"plus\" need a number, but profile value \"bye.match\" is {\"message\":\"bye\"}");
    Scenario u = parse_scenario(with_steps(R"([{"step":"sleep","for_ms":{"$profile":"rooms.valid.0"}}])"), "x.json");
    // The resolved value meets the same rule as a literal one (the step's ParamSpec).
    CHECK(config_error([&] { validate_scenario(u, p); }) ==
          "x.json: /steps/0/for_ms: expected a duration in milliseconds (a number >= 0), got \"/nowtime\"");
    Scenario v = parse_scenario(with_steps(R"([{"step":"join","client":"a"},{"step":"sleep","for_ms":{"$profile":"push.interval_ms","times":1.5,"plus":10}}])"), "x.json");
    ScenarioRunner ok(v, p, {});
    // join: 500 ms + 250 ms grace; sleep: 160 ms; margin 2 s.
    CHECK(ok.budget() == std::chrono::milliseconds(500 + 250 + 160 + 2000));
    Scenario w = parse_scenario(with_steps(R"([{"step":"reconnect","client":"a"}])"), "x.json");
    CHECK(config_error([&] { validate_scenario(w, p); }) == "x.json: /steps/0/client: reconnect of client \"a\" before any join of it");
}

TEST_CASE("a missing profile default names the profile key and the user", "[loader][profile]") {
    Profile p = test_profile();
    p.values["unknown_room"].erase("within_ms");
    Scenario s = parse_scenario(with_steps(R"([{"step":"join","client":"a"},
        {"step":"expect_close","client":"a","within_ms":{"$profile":"unknown_room.within_ms"}}])"),
                                "x.json");
    CHECK(config_error([&] { validate_scenario(s, p); }) ==
          "x.json: /steps/1/within_ms: profile \"test\" has no value at \"unknown_room.within_ms\" (test-profile.json)");
    Profile q = test_profile();
    q.values["close"].erase("codes");
    Scenario t = parse_scenario(with_steps(R"([{"step":"join","client":"a"},{"step":"expect_close","client":"a"}])"), "x.json");
    CHECK(config_error([&] { validate_scenario(t, q); }) ==
          "test-profile.json: /close/codes: missing; x.json /steps/1 needs it as the default of \"codes\"");
}

TEST_CASE("load_scenario and load_scenarios read files and directories", "[loader]") {
    TempDir dir;
    const std::string ok = R"({"id": "g.one", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})";
    dir.write("b.json", ok);
    dir.write("a.json", R"({"id": "g.two", "title": "t", "clients": [{"name":"a"}], "steps": [{"step":"sleep","for_ms":1}]})");
    dir.write("notes.txt", "ignored");
    auto all = load_scenarios({dir.path.string()});
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == "g.two");  // sorted by file name
    CHECK(all[1].id == "g.one");
    CHECK(all[0].file == (dir.path / "a.json").string());

    const std::string dup = dir.write("c.json", ok);
    CHECK(config_error([&] { load_scenarios({dir.path.string()}); }) ==
          dup + ": /id: duplicate scenario id \"g.one\" (also in " + (dir.path / "b.json").string() + ")");
    CHECK(config_error([&] { load_scenario((dir.path / "none.json").string()); }) ==
          (dir.path / "none.json").string() + ": cannot read the file: No such file or directory");
    CHECK(config_error([&] { load_scenarios({(dir.path / "nothing").string()}); }) ==
          (dir.path / "nothing").string() + ": no such file or directory");
}

TEST_CASE("id globs", "[loader]") {
    CHECK(id_matches("lifecycle.close_bye", "lifecycle.*"));
    CHECK(id_matches("lifecycle.close_bye", "*.close_?ye"));
    CHECK(id_matches("lifecycle.close_bye", "push.*,lifecycle.close_bye"));
    CHECK_FALSE(id_matches("lifecycle.close_bye", "push.*"));
    CHECK_FALSE(id_matches("lifecycle.close_bye", "lifecycle"));
    CHECK(id_matches("a.b", "*"));
}

TEST_CASE("every step and check type is registered, with a description", "[loader]") {
    std::vector<std::string> steps, checks;
    for (const auto& [name, text] : known_steps()) {
        steps.push_back(name);
        CHECK_FALSE(text.empty());
    }
    for (const auto& [name, text] : known_checks()) {
        checks.push_back(name);
        CHECK_FALSE(text.empty());
    }
    CHECK(steps == std::vector<std::string>{"close", "discard", "disconnect_abruptly", "expect", "expect_close",
                                            "expect_pong", "expect_silence", "flood", "hold", "join", "leave", "pause_reading", "ping",
                                            "receive", "reconnect", "resume_reading", "send", "sleep"});
    CHECK(checks == std::vector<std::string>{"broadcast", "delivery", "heartbeat", "interval", "latency", "ordering", "stall_outcome"});
}

TEST_CASE("requires names the profile sections a scenario needs", "[loader][requires]") {
    const std::string head = R"({"id": "t.x", "title": "t", "clients": [{"name": "a"}], "steps": [{"step":"join","client":"a"}], )";
    Scenario s = parse_scenario(head + R"("requires": ["close_request", "bye"]})", "x.json");
    CHECK(s.needs == std::vector<std::string>{"close_request", "bye"});
    json profile = {{"close_request", {{"json", {{"event", "close"}}}}}, {"push", json::object()}};
    CHECK(missing_sections(s, profile) == std::vector<std::string>{"bye"});
    profile["bye"] = {{"match", {{"message", "bye"}}}};
    CHECK(missing_sections(s, profile).empty());
    CHECK(load_error(head + R"("requires": "bye"})") == "x.json: /requires: expected an array of profile sections, got a string");
    CHECK(load_error(head + R"("requires": ["bye", "Close-Request"]})") ==
          "x.json: /requires/1: expected the name of a profile section such as \"close_request\" (or a dotted key such as "
          "\"unknown_room.match\", or \"json_frames\"), got \"Close-Request\"");
}
