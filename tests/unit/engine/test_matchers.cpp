// Matchers: every operator, every mismatch explanation, timestamps, nesting limit.
#include "fake.hpp"

#include "pushcheck/engine/matcher.hpp"

using namespace pushcheck::test;

namespace {

PatternPtr P(const json& spec) { return Pattern::compile(spec, "t.json", "/m"); }

// The explanation for a mismatch, or "MATCHED".
std::string why(const json& spec, const json& value) {
    std::string w;
    if (P(spec)->matches(value, &w)) return "MATCHED";
    return w;
}

std::string why_text(const json& spec, const std::string& text, int depth = 64) {
    std::string w;
    if (P(spec)->matches(parse_message(text, false, depth), &w)) return "MATCHED";
    return w;
}

} // namespace

TEST_CASE("plain objects match as subsets, scalars by value", "[matchers]") {
    CHECK(why({{"status", 200}}, {{"status", 200}, {"event", "x"}}) == "MATCHED");
    CHECK(why({{"status", 200}}, {{"status", 200.0}}) == "MATCHED");  // numbers by value
    CHECK(why({{"status", 200}}, {{"status", 404}}) == "at /status: expected 200, got 404");
    CHECK(why({{"status", 200}}, {{"event", "x"}}) == "at /status: expected 200, got nothing (no such key)");
    CHECK(why({{"status", 200}}, json::array({1})) == "expected an object, got [1]");
    CHECK(why({{"a", {{"b", "x"}}}}, {{"a", {{"b", "y"}}}}) == "at /a/b: expected \"x\", got \"y\"");
    CHECK(why({{"a/b", 1}}, {{"a/b", 2}}) == "at /a~1b: expected 1, got 2");
    CHECK(why("x", "x") == "MATCHED");
    CHECK(why(true, false) == "expected true, got false");
    CHECK(why(nullptr, nullptr) == "MATCHED");
}

TEST_CASE("arrays match element by element with equal length", "[matchers]") {
    CHECK(why(json::array({1, 2}), json::array({1, 2})) == "MATCHED");
    CHECK(why(json::array({1, 2}), json::array({1, 2, 3})) == "expected an array of 2 elements, got 3: [1,2,3]");
    CHECK(why(json::array({1, 2}), json::array({1, 5})) == "at /1: expected 2, got 5");
    CHECK(why(json::array({1}), "x") == "expected an array, got \"x\"");
}

TEST_CASE("$any matches everything, including non-JSON and binary", "[matchers]") {
    auto p = P({{"$any", true}});
    CHECK(p->matches(json(1)));
    CHECK(p->matches(parse_message("not json", false, 64)));
    CHECK(p->matches(parse_message("\x01\x02", true, 64)));
    CHECK(p->is_any());
}

TEST_CASE("$type", "[matchers]") {
    CHECK(why({{"$type", "string"}}, "x") == "MATCHED");
    CHECK(why({{"$type", "string"}}, 42) == "expected a string, got 42");
    CHECK(why({{"$type", "number"}}, 1.5) == "MATCHED");
    CHECK(why({{"$type", "integer"}}, 3) == "MATCHED");
    CHECK(why({{"$type", "integer"}}, 3.0) == "MATCHED");
    CHECK(why({{"$type", "integer"}}, 3.5) == "expected an integer, got 3.5");
    CHECK(why({{"$type", "boolean"}}, true) == "MATCHED");
    CHECK(why({{"$type", "null"}}, 0) == "expected null, got 0");
    CHECK(why({{"$type", "object"}}, json::object()) == "MATCHED");
    CHECK(why({{"$type", "array"}}, json::object()) == "expected an array, got {}");
    CHECK(why({{"d", {{"$type", "string"}}}}, {{"d", 1}}) == "at /d: expected a string, got 1");
}

TEST_CASE("$regex searches with ECMAScript syntax", "[matchers]") {
    CHECK(why({{"$regex", "^W"}}, "Welcome") == "MATCHED");
    CHECK(why({{"$regex", "com"}}, "Welcome") == "MATCHED");  // search, not full match
    CHECK(why({{"$regex", "^W"}}, "welcome") == "expected a string matching /^W/, got \"welcome\"");
    CHECK(why({{"$regex", "^W"}}, 5) == "expected a string matching /^W/, got 5");
}

TEST_CASE("$regex matches a server's long string in bounded stack", "[matchers][regression]") {
    // libstdc++'s default (depth-first) matcher recursed once per character, so a 200 KB
    // string from the server against ^(a|b)*$ or ^[a-z]+$ overflowed the stack and crashed
    // the harness (found while writing the matcher fuzz target).
    const std::string text(200000, 'a');
    CHECK(why({{"$regex", "^(a|b)*$"}}, text) == "MATCHED");
    CHECK(why({{"data", {{"$regex", "^[a-z]+$"}}}}, {{"data", text + "!"}}).rfind("at /data: expected a string matching /^[a-z]+$/, got \"aaa", 0) == 0);
}

TEST_CASE("$timestamp accepts real ISO-8601 UTC date-times only", "[matchers]") {
    json ts = {{"$timestamp", "iso8601-utc"}};
    CHECK(why(ts, "2026-11-26T13:02:48.542529Z") == "MATCHED");
    CHECK(why(ts, "2026-11-26T13:02:48Z") == "MATCHED");
    CHECK(why(ts, "2024-02-29T00:00:00Z") == "MATCHED");   // leap year
    CHECK(why(ts, "2016-12-31T23:59:60Z") == "MATCHED");   // leap second
    CHECK(why({{"data", ts}}, {{"data", "2026-11-26 13:02:48"}}) ==
          "at /data: expected an ISO-8601 UTC timestamp, got \"2026-11-26 13:02:48\"");
    for (const char* bad : {"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
                            "2026-04-31T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T23:60:00Z", "2026-11-26T23:59:61Z",
                            "2026-11-26T13:02:48", "2026-11-26T13:02:48+00:00", "2026-11-26T13:02:48.Z",
                            "2026-11-26t13:02:48Z", "2026-11-26T13:02:48Zx", "26-11-26T13:02:48Z", ""}) {
        INFO(bad);
        CHECK_FALSE(parse_iso8601_utc(bad).has_value());
    }
    CHECK(parse_iso8601_utc("1970-01-01T00:00:01.5Z") == 1'500'000);
    CHECK(parse_iso8601_utc("2000-03-01T00:00:00Z") == 951'868'800'000'000);
    CHECK(parse_iso8601_utc("1970-01-01T00:00:00.000001999Z") == 1);  // digits past microseconds are cut
}

TEST_CASE("$range with closed and open ends", "[matchers]") {
    CHECK(why({{"$range", {1, 10}}}, 10) == "MATCHED");
    CHECK(why({{"$range", {1, 10}}}, 1) == "MATCHED");
    CHECK(why({{"$range", {1, 10}}}, 11) == "expected a number in [1, 10], got 11");
    CHECK(why({{"$range", {1, nullptr}}}, 0.5) == "expected a number >= 1, got 0.5");
    CHECK(why({{"$range", {nullptr, 10}}}, 100) == "expected a number <= 10, got 100");
    CHECK(why({{"$range", {nullptr, 10}}}, "5") == "expected a number <= 10, got \"5\"");
}

TEST_CASE("$one_of, $not, $eq, $absent", "[matchers]") {
    json one = {{"$one_of", {"a", {{"$type", "number"}}}}};
    CHECK(why(one, "a") == "MATCHED");
    CHECK(why(one, 3) == "MATCHED");
    CHECK(why(one, "b") == "expected \"a\" or a number, got \"b\"");

    CHECK(why({{"$not", "a"}}, "b") == "MATCHED");
    CHECK(why({{"$not", "a"}}, "a") == "expected anything but \"a\", got \"a\"");

    CHECK(why({{"$eq", {{"a", 1}}}}, {{"a", 1}}) == "MATCHED");
    CHECK(why({{"$eq", {{"a", 1}}}}, {{"a", 1}, {"b", 2}}) == "expected exactly {\"a\":1}, got {\"a\":1,\"b\":2}");

    json absent = {{"error", {{"$absent", true}}}};
    CHECK(why(absent, {{"ok", 1}}) == "MATCHED");
    CHECK(why(absent, {{"error", 5}}) == "at /error: expected no such key, got 5");
}

TEST_CASE("messages that are not JSON, binary or too deep", "[matchers]") {
    json obj = {{"status", 200}};
    CHECK(why_text(obj, "hello") == "expected an object with \"status\": 200, got a message that is not JSON: \"hello\"");
    std::string w;
    CHECK_FALSE(P(obj)->matches(parse_message("abc", true, 64), &w));
    CHECK(w == "expected an object with \"status\": 200, got a binary message of 3 bytes");
    // $not of an object pattern matches a message that is not JSON.
    CHECK(why_text({{"$not", obj}}, "hello") == "MATCHED");
    CHECK(why_text({{"$one_of", {obj, {{"$any", true}}}}}, "hello") == "MATCHED");
    // Too deep: treated as not JSON, with its own explanation.
    std::string deep = std::string(10, '[') + std::string(10, ']');
    CHECK(parse_message(deep, false, 10).kind == ParsedMessage::Kind::json);
    CHECK(parse_message(deep, false, 9).kind == ParsedMessage::Kind::too_deep);
    CHECK(why_text(json::array(), deep, 9).rfind("message nests deeper than 9 levels", 0) == 0);
    // Brackets inside strings do not count.
    CHECK(json_nesting_depth("{\"a\":\"[[[[[[\"}", 3) == 1);
    CHECK(json_nesting_depth("{\"a\":\"\\\"[[[[\"}", 3) == 1);
}

TEST_CASE("bad patterns are ConfigErrors naming the pointer", "[matchers]") {
    CHECK(config_error([] { P({{"data", {{"$regex", "("}}}}); }).rfind("t.json: /m/data/$regex: bad regex \"(\"", 0) == 0);
    CHECK(config_error([] { P({{"$regex", "(a)\\1"}}); }) ==
          "t.json: /m/$regex: bad regex \"(a)\\\\1\": back-references are not supported (messages are matched "
          "without backtracking, in stack that does not grow with their length)");
    CHECK(config_error([] { P({{"$regx", "a"}}); }) ==
          "t.json: /m/$regx: unknown operator \"$regx\" (did you mean \"$regex\"?); known operators: $any, $type, $regex, "
          "$timestamp, $range, $one_of, $not, $eq, $absent, $json");
    CHECK(config_error([] { P({{"$type", "text"}}); }) ==
          "t.json: /m/$type: expected one of string, number, integer, boolean, null, object, array, got \"text\"");
    CHECK(config_error([] { P({{"$timestamp", "rfc2822"}}); }) ==
          "t.json: /m/$timestamp: expected a timestamp format: \"iso8601-utc\", \"epoch-s\" or \"epoch-ms\", got \"rfc2822\"");
    CHECK(config_error([] { P({{"$range", {5, 1}}}); }) == "t.json: /m/$range: min is greater than max: [5,1]");
    CHECK(config_error([] { P({{"$range", {1}}}); }) ==
          "t.json: /m/$range: expected [min, max] of numbers (null for an open end), got [1]");
    CHECK(config_error([] { P({{"$one_of", json::array()}}); }) ==
          "t.json: /m/$one_of: expected a non-empty array of patterns, got []");
    CHECK(config_error([] { P({{"$absent", true}}); }) == "t.json: /m: $absent is only allowed as the value of an object member");
    CHECK(config_error([] { P({{"$any", true}, {"$type", "string"}}); }).find("an operator object has exactly one key, got 2") !=
          std::string::npos);
    CHECK(config_error([] { P({{"$any", false}}); }) == "t.json: /m/$any: expected true");
}

TEST_CASE("describe says what a pattern accepts", "[matchers]") {
    CHECK(P({{"$timestamp", "iso8601-utc"}})->describe() == "an ISO-8601 UTC timestamp");
    CHECK(P({{"message", "bye"}})->describe() == "an object with \"message\": \"bye\"");
    CHECK(P({{"a", {{"$absent", true}}}})->describe() == "an object with no \"a\"");
    CHECK(P(json::array({1, 2}))->describe() == "an array of 2 elements");
}

TEST_CASE("$timestamp reads epoch seconds and milliseconds, as numbers or digit strings", "[matchers][timestamp]") {
    const json s = {{"$timestamp", "epoch-s"}}, ms = {{"$timestamp", "epoch-ms"}};
    CHECK(why(s, 1764162168) == "MATCHED");
    CHECK(why(s, 1764162168.25) == "MATCHED");
    CHECK(why(s, "1764162168") == "MATCHED");
    CHECK(why(ms, 1764162168000) == "MATCHED");
    CHECK(why(ms, "1764162168000.5") == "MATCHED");
    // Milliseconds read as seconds lie past 2200; a counter is not a time either way.
    CHECK(why(s, 1764162168000) == "expected a timestamp in epoch seconds, got 1764162168000");
    CHECK(why(ms, -5) == "expected a timestamp in epoch milliseconds, got -5");
    CHECK(why(s, "17e8") == "expected a timestamp in epoch seconds, got \"17e8\"");
    CHECK(why(s, " 1764162168") != "MATCHED");
    CHECK(why(s, true) != "MATCHED");
    CHECK(why(s, "2025-11-26T13:02:48Z") != "MATCHED");
    CHECK(why({{"$timestamp", "iso8601-utc"}}, 1764162168) == "expected an ISO-8601 UTC timestamp, got 1764162168");
    CHECK(timestamp_us(json(1764162168.25), TimestampFormat::epoch_s) == 1764162168250000);
    CHECK(timestamp_us(json("1764162168123"), TimestampFormat::epoch_ms) == 1764162168123000);
    CHECK(timestamp_us(json("2025-11-26T13:02:48.125Z"), TimestampFormat::iso8601_utc) == 1764162168125000);
    CHECK_FALSE(timestamp_us(json(nullptr), TimestampFormat::epoch_ms));
}

TEST_CASE("$json matches the JSON a string holds", "[matchers][json]") {
    const json p = {{"event", "tick"}, {"data", {{"$json", {{"ts", {{"$timestamp", "epoch-ms"}}}, {"room", "lobby"}}}}}};
    CHECK(why(p, {{"event", "tick"}, {"data", "{\"ts\":1764162168000,\"room\":\"lobby\"}"}}) == "MATCHED");
    CHECK(why(p, {{"event", "tick"}, {"data", "{\"ts\":1764162168000,\"room\":\"hall\"}"}}) ==
          "at /data (decoded)/room: expected \"lobby\", got \"hall\"");
    CHECK(why(p, {{"event", "tick"}, {"data", "not json"}}).rfind("at /data: expected a string holding JSON: ", 0) == 0);
    CHECK(why(p, {{"event", "tick"}, {"data", {{"ts", 1}}}}).rfind("at /data: expected a string holding JSON", 0) == 0);
    CHECK(why({{"$json", {{"$type", "array"}}}}, std::string(200, '[') + std::string(200, ']')) != "MATCHED");  // too deep
    CHECK(P({{"$json", {{"a", 1}}}})->describe() == "a string holding JSON: an object with \"a\": 1");
    CHECK(config_error([] { P({{"$json", {{"$regx", "a"}}}}); }).rfind("t.json: /m/$json/$regx: unknown operator", 0) == 0);
}
