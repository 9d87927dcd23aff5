// The parameter rules of ParamSpec, checked once (check_param / check_params) for the loader's
// literal values and again by Params after $profile references are resolved.
#include "fake.hpp"

#include "pushcheck/engine/params.hpp"

using namespace pushcheck::test;

namespace {

std::string problem(const ParamSpec& spec, const json& value) { return check_param(spec, value, "x.json", "/steps/0/p"); }

} // namespace

TEST_CASE("param rule: the JSON type", "[params]") {
    CHECK(problem({"p", ParamType::string}, "x") == "");
    CHECK(problem({"p", ParamType::string}, 1) == "expected a string, got 1");
    CHECK(problem({"p", ParamType::boolean}, "yes") == "expected true or false, got \"yes\"");
    CHECK(problem({"p", ParamType::strings}, json::array({"a", 1})) == "expected an array of strings, got [\"a\",1]");
    CHECK(problem({"p", ParamType::headers}, {{"h", 1}}) == "expected header \"h\" to be a string, got 1");
    CHECK(problem({"p", ParamType::pointer}, "data") ==
          "expected a JSON pointer (\"\" or starting with \"/\"), got \"data\"");
}

TEST_CASE("param rule: an integer is a whole number", "[params]") {
    CHECK(problem({"p", ParamType::integer}, 3) == "");
    CHECK(problem({"p", ParamType::integer}, 3.0) == "");
    CHECK(problem({"p", ParamType::integer}, 2.5) == "expected an integer, got 2.5");
    CHECK(problem({"p", ParamType::integers}, json::array({1, 2.5})) == "expected an array of integers, got [1,2.5]");
}

TEST_CASE("param rule: choices", "[params]") {
    const ParamSpec spec{"p", ParamType::choice, false, {"gaps", "none"}};
    CHECK(problem(spec, "gaps") == "");
    CHECK(problem(spec, "all") == "expected one of gaps, none, got \"all\"");
    CHECK(problem(spec, 1) == "expected one of gaps, none, got 1");
}

TEST_CASE("param rule: min", "[params]") {
    CHECK(problem({"p", ParamType::integer, false, {}, 1}, 1) == "");
    CHECK(problem({"p", ParamType::integer, false, {}, 1}, 0) == "expected an integer >= 1, got 0");
    CHECK(problem({"p", ParamType::number, false, {}, 0}, -0.5) == "expected a number >= 0, got -0.5");
    // A duration is never negative, and its own min may be higher.
    CHECK(problem({"p", ParamType::duration}, -1) == "expected a number >= 0, got -1");
    CHECK(problem({"p", ParamType::duration, false, {}, 1}, 0.5) == "expected a number >= 1, got 0.5");
}

TEST_CASE("param rule: max", "[params]") {
    CHECK(problem({"p", ParamType::integer, false, {}, 1000, 4999}, 4999) == "");
    CHECK(problem({"p", ParamType::integer, false, {}, 1000, 4999}, 5000) == "expected an integer from 1000 to 4999, got 5000");
    CHECK(problem({"p", ParamType::integer, false, {}, 1000, 4999}, 999) == "expected an integer from 1000 to 4999, got 999");
    CHECK(problem({"p", ParamType::number, false, {}, -std::numeric_limits<double>::infinity(), 10}, 11) ==
          "expected a number <= 10, got 11");
    // A duration is at most one day.
    CHECK(problem({"p", ParamType::duration}, 86'400'001) ==
          "expected a duration in milliseconds up to 86400000 (one day), got 86400001");
}

TEST_CASE("param rule: a profile reference is checked once resolved", "[params]") {
    CHECK(problem({"p", ParamType::integer, false, {}, 1}, {{"$profile", "x.y"}}) == "");
}

TEST_CASE("param rule: required", "[params]") {
    const std::vector<ParamSpec> specs{{"count", ParamType::integer, true, {}, 1}, {"skip", ParamType::string}};
    CHECK_NOTHROW(check_params(specs, {{"count", 2}}, "step receive", "x.json", "/steps/0"));
    CHECK(config_error([&] { check_params(specs, {{"skip", "s"}}, "step receive", "x.json", "/steps/0"); }) ==
          "x.json: /steps/0: step receive needs \"count\"");
    CHECK(config_error([&] { check_params(specs, {{"count", 0}}, "step receive", "x.json", "/steps/0"); }) ==
          "x.json: /steps/0/count: expected an integer >= 1, got 0");
}

TEST_CASE("param rules apply again to values a profile reference resolves to", "[params]") {
    Profile profile = test_profile();
    profile.values["n"] = {{"zero", 0}, {"big", 5000}, {"ms", 0.5}};
    auto bind_error = [&](json step) {
        json s = {{"steps", {{{"step", "join"}, {"client", "a"}}, step}}};
        return config_error([&] { Fake f(s, profile); });
    };
    CHECK(bind_error({{"step", "close"}, {"client", "a"}, {"code", {{"$profile", "n.big"}}}}) ==
          "test.json: /steps/1/code: expected an integer from 1000 to 4999, got 5000");
    CHECK(bind_error({{"step", "receive"}, {"client", "a"}, {"match", {{"$any", true}}}, {"count", {{"$profile", "n.zero"}}},
                      {"each_within_ms", 10}}) == "test.json: /steps/1/count: expected an integer >= 1, got 0");
    CHECK(bind_error({{"step", "flood"}, {"client", "a"}, {"ping", "p"}, {"count", 1}, {"for_ms", {{"$profile", "n.ms"}}}}) ==
          "test.json: /steps/1/for_ms: expected a number >= 1, got 0.5");
}
