// Profiles: loading the shipped nowtime profile, overrides and validation.
#include "fake.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace pushcheck::test;

namespace {
const std::string kProfiles = std::string(PUSHCHECK_SOURCE_DIR) + "/scenarios/profiles";
}

TEST_CASE("the shipped nowtime profile loads by name and validates", "[profile]") {
    Profile p = load_profile("nowtime", {"/nonexistent", kProfiles});
    CHECK(p.name == "nowtime");
    CHECK(p.file == kProfiles + "/nowtime.json");
    CHECK(p.at("push.interval_ms") == 3000);
    CHECK(p.at("rooms.valid.0") == "/nowtime");
    CHECK(p.find("rooms.valid.7") == nullptr);
    CHECK(config_error([&] { p.at("push.nope"); }) == kProfiles + "/nowtime.json: /push/nope: missing profile value \"push.nope\"");
    Profile by_file = load_profile(kProfiles + "/nowtime.json", {});
    CHECK(by_file.values == p.values);
}

TEST_CASE("an unknown profile name lists the known ones", "[profile]") {
    CHECK(config_error([] { load_profile("nowtim", {kProfiles}); }) ==
          "nowtim: no such profile (looked for nowtim.json in " + kProfiles + "); known profiles: graphql-nowtime, nowtime, pusher-nowtime, socketio-nowtime");
}

TEST_CASE("overrides replace existing values of the same type", "[profile]") {
    Profile p = test_profile();
    apply_override(p, "push.interval_ms=200");
    CHECK(p.at("push.interval_ms") == 200);
    apply_override(p, "push.tolerance_pct=12.5");  // integer or float: both numbers
    CHECK(p.at("push.tolerance_pct") == 12.5);
    apply_override(p, "rooms.valid.0=/other");  // not JSON: taken as a string
    CHECK(p.at("rooms.valid.0") == "/other");
    apply_override(p, "welcome.match={\"status\":201}");
    CHECK(p.at("welcome.match") == json{{"status", 201}});
    apply_override(p, "close.codes=[1000,1001]");
    CHECK(p.at("close.codes") == json::array({1000, 1001}));
    apply_override(p, "name=123");  // a string stays a string
    CHECK(p.at("name") == "123");
}

TEST_CASE("override errors name the key and the problem", "[profile]") {
    Profile p = test_profile();
    CHECK(config_error([&] { apply_override(p, "push.intervall_ms=200"); }) ==
          "--set push.intervall_ms=200: unknown profile key \"push.intervall_ms\"; did you mean push.interval_ms?");
    CHECK(config_error([&] { apply_override(p, "push.zzzzzzzzzzzz=1"); }) ==
          "--set push.zzzzzzzzzzzz=1: unknown profile key \"push.zzzzzzzzzzzz\"; known keys under push: "
          "push.interval_ms, push.match, push.timestamp_pointer, push.tolerance_min_ms, push.tolerance_pct");
    CHECK(config_error([&] { apply_override(p, "push.interval_ms=fast"); }) ==
          "--set push.interval_ms=fast: push.interval_ms is a number (now 100), got \"fast\"");
    CHECK(config_error([&] { apply_override(p, "close.codes=1000"); }) ==
          "--set close.codes=1000: close.codes is an array (now [1000]), got 1000");
    CHECK(config_error([&] { apply_override(p, "push.interval_ms"); }) ==
          "--set push.interval_ms: expected KEY=VALUE, e.g. push.interval_ms=200");
    CHECK(config_error([&] { apply_override(p, "push.interval_ms=-5"); }) ==
          "--set push.interval_ms=-5: expected a number > 0 and at most 86400000 (the nominal push interval), got -5");
    CHECK(config_error([&] { apply_override(p, "push.interval_ms=1e12"); }).rfind("--set push.interval_ms=1e12: ", 0) == 0);
    CHECK(p.at("push.interval_ms") == 100);  // untouched by the failed overrides
}

TEST_CASE("validate_profile reports the first problem by pointer", "[profile]") {
    Profile p = test_profile();
    p.values["push"]["interval_ms"] = 0;
    CHECK(config_error([&] { validate_profile(p); }) ==
          "test-profile.json: /push/interval_ms: expected a number > 0 and at most 86400000 (the nominal push interval), got 0");
    p = test_profile();
    p.values["timeouts"].erase("message_ms");
    CHECK(config_error([&] { validate_profile(p); }) ==
          "test-profile.json: /timeouts/message_ms: missing (required: the deadline of an expected message)");
    p = test_profile();
    p.values["welcome"]["match"]["data"] = {{"$regex", "("}};
    CHECK(config_error([&] { validate_profile(p); }).rfind("test-profile.json: /welcome/match/data/$regex: bad regex", 0) == 0);
    p = test_profile();
    p.values["unknown_room"]["close_codes"] = {1000, 99};
    CHECK(config_error([&] { validate_profile(p); }) ==
          "test-profile.json: /unknown_room/close_codes: expected close codes (integers 1000..4999), got 99");
    p = test_profile();
    p.values["rooms"]["valid"] = json::array({"nowtime"});
    CHECK(config_error([&] { validate_profile(p); }) ==
          "test-profile.json: /rooms/valid/0: expected a path starting with \"/\" (rooms are request paths unless the profile "
          "has join.path), got \"nowtime\"");
    p = test_profile();
    p.values["push"]["timestamp_pointer"] = "data";
    CHECK(config_error([&] { validate_profile(p); }) ==
          "test-profile.json: /push/timestamp_pointer: expected a JSON pointer such as \"/data\", got \"data\"");
    p = test_profile();
    p.values["push"]["timestamp_format"] = "epoch-us";
    CHECK(config_error([&] { validate_profile(p); }) ==
          "test-profile.json: /push/timestamp_format: expected \"iso8601-utc\", \"epoch-s\" or \"epoch-ms\", got \"epoch-us\"");
}

TEST_CASE("a profile that is not an object, or has a syntax error, is rejected", "[profile]") {
    CHECK(config_error([] { make_profile(json::array(), "p.json"); }) == "p.json: expected a JSON object (a profile) at the top level");
    const std::string file = std::filesystem::temp_directory_path() / ("pushcheck-profile-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << "{\n  \"name\": \"x\",\n  \"rooms\": {\"valid\": [\"/a\",]}\n}\n";
    CHECK(config_error([&] { load_profile(file, {}); }) ==
          file + ":3:28: JSON syntax error: syntax error while parsing value - unexpected ']'; expected '[', '{', or a literal");
    std::filesystem::remove(file);
}
