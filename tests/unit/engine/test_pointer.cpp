// JSON pointers into received messages, through JSON held in strings (Pusher's "data"), and the
// checks that read a message by pointer: latency, delivery and broadcast.
#include "fake.hpp"

#include "engine/pointer.hpp"

using namespace pushcheck::test;

namespace {

MessagePointer ptr(const std::string& text) { return MessagePointer(json::json_pointer(text)); }

// The value at `p` in `root`, or "NONE".
json at(const json& root, const std::string& p) {
    PointerScratch scratch;
    const json* v = resolve_pointer(root, ptr(p), scratch);
    return v ? *v : json("NONE");
}

// A Pusher-style push: the payload is a JSON string inside the message.
json pusher_push(const std::string& time) {
    return {{"event", "nowtime"}, {"channel", "c"}, {"data", json{{"time", time}, {"room", "/nowtime"}}.dump()}};
}

Profile pusher_profile() {
    Profile p = test_profile();
    p.values["push"]["match"] = {{"event", "nowtime"}, {"data", {{"$json", {{"time", {{"$timestamp", "iso8601-utc"}}}}}}}};
    p.values["push"]["timestamp_pointer"] = "/data/time";
    return p;
}

std::int64_t wall_now(const Fake& f) {
    return f.wall_base + std::chrono::duration_cast<std::chrono::microseconds>(f.now - f.t0).count();
}

} // namespace

TEST_CASE("pointer: tokens are split and unescaped once", "[pointer]") {
    CHECK(ptr("").tokens().empty());
    const auto t = ptr("/a~1b/~0c/0/01/-/").tokens();
    REQUIRE(t.size() == 6);
    CHECK(t[0].key == "a/b");
    CHECK(t[1].key == "~c");
    CHECK(t[2].key == "0");
    CHECK(t[2].index == 0);
    CHECK(t[3].index == MessagePointer::kNoIndex);  // a leading zero is no array index
    CHECK(t[4].index == MessagePointer::kNoIndex);
    CHECK(t[5].key.empty());
    CHECK(ptr("/~01").tokens()[0].key == "~1");
}

TEST_CASE("pointer: plain values resolve as nlohmann's at() does, without copying", "[pointer]") {
    const json v = {{"data", {{"time", "t"}, {"list", {10, 20}}, {"a/b", 1}, {"", 2}}}, {"n", nullptr}};
    PointerScratch scratch;
    const json* found = resolve_pointer(v, ptr("/data/time"), scratch);
    CHECK(found == &v["data"]["time"]);  // a pointer into the message itself
    CHECK(scratch.decoded.is_null());    // nothing was decoded
    CHECK(resolve_pointer(v, ptr(""), scratch) == &v);
    CHECK(at(v, "/data/list/1") == 20);
    CHECK(at(v, "/data/a~1b") == 1);
    CHECK(at(v, "/data/") == 2);
    CHECK(at(v, "/n").is_null());
    for (const char* none : {"/x", "/data/list/2", "/data/list/-", "/data/list/01", "/data/list/x", "/data/list/99999999999999999999",
                             "/n/x", "/data/list/0/x", "/data/time/x"})
        CHECK(at(v, none) == "NONE");
}

TEST_CASE("pointer: a token that steps into a string reads the JSON it holds", "[pointer]") {
    const json v = pusher_push("2026-11-30T15:53:16.347Z");
    CHECK(at(v, "/data/time") == "2026-11-30T15:53:16.347Z");
    CHECK(at(v, "/data") == v["data"]);  // the pointer ends at the string: the string itself
    CHECK(at(v, "/data/room") == "/nowtime");
    CHECK(at(v, "/data/nothing") == "NONE");
    // Strings in strings, arrays and a string that is the whole message.
    const json twice = {{"data", json{{"inner", json{{"t", 1}}.dump()}}.dump()}};
    CHECK(at(twice, "/data/inner/t") == 1);
    CHECK(at(json(R"([5,[6]])"), "/1/0") == 6);
    CHECK(at(json{{"data", "[1,2]"}}, "/data/1") == 2);
    // Not JSON, too deep, a JSON scalar: nothing there.
    CHECK(at(json{{"data", "not json"}}, "/data/x") == "NONE");
    CHECK(at(json{{"data", "\"{}\""}}, "/data/x") == "NONE");
    CHECK(at(json{{"data", "3"}}, "/data/x") == "NONE");
    CHECK(at(json{{"data", std::string(65, '[') + std::string(65, ']')}}, "/data/0") == "NONE");
    CHECK(at(json{{"data", std::string(64, '[') + std::string(64, ']')}}, "/data/0").is_array());
    CHECK(at(json{{"data", std::string(100000, '[')}}, "/data/0") == "NONE");
    CHECK(at(json{{"data", std::string("{\"x\":\"\xff\"}")}}, "/data/x") == "NONE");  // not UTF-8: not JSON
    // The scratch holds what the result points into, until the next call.
    PointerScratch scratch;
    const json* t = resolve_pointer(v, ptr("/data/time"), scratch);
    REQUIRE(t);
    CHECK(*t == "2026-11-30T15:53:16.347Z");
    CHECK(scratch.decoded.is_object());
    const json* again = resolve_pointer(twice, ptr("/data/inner/t"), scratch);
    REQUIRE(again);
    CHECK(*again == 1);
}

TEST_CASE("latency reads /data/time through a JSON string (Pusher-style pushes)", "[checks][latency][pointer]") {
    json sc = {{"clients", {{{"name", "a"}}}},
               {"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 5000}}}},
               {"checks", {{{"check", "latency"}, {"client", "a"}}}}};
    Fake f(sc, pusher_profile());
    f.start();
    f.accept_all();
    for (int i = 1; i <= 10; ++i) {
        f.advance(10ms);
        f.msg("a", pusher_push(iso(wall_now(f) - i * 1000)));  // i ms old
    }
    f.advance(10s);
    const Finding c = finding(f.result(), "checks/0");
    INFO(c.reason);
    CHECK(c.verdict == Verdict::pass);
    CHECK(c.measurements["samples"] == 10);
    CHECK(c.measurements["max_ms"] == 10.0);
    CHECK(c.measurements["unreadable_samples"] == 0);

    // A string that holds no such key is unreadable, and the reason names the pointer.
    Profile p = pusher_profile();
    p.values["push"]["match"] = {{"event", "nowtime"}};
    Fake g(sc, p);
    g.start();
    g.accept_all();
    g.advance(10ms);
    g.msg("a", {{"event", "nowtime"}, {"data", R"({"when":"x"})"}});
    g.advance(10s);
    const Finding bad = finding(g.result(), "checks/0");
    CHECK(bad.verdict == Verdict::fail);
    CHECK(bad.reason.rfind("at /data/time: expected an ISO-8601 UTC timestamp, got nothing (no such key)", 0) == 0);
}

TEST_CASE("delivery and broadcast key pushes through a JSON string", "[checks][delivery][broadcast][pointer]") {
    SECTION("delivery: the same time twice in a row is a duplicate; latency comes from /data/time") {
        Profile p = pusher_profile();
        p.values["push"]["interval_ms"] = 100;
        json sc = {{"clients", {{{"name", "c"}, {"count", 1}}}},
                   {"steps",
                    {{{"step", "join"}, {"client", "c"}, {"expect", "attempt"}},
                     {{"step", "hold"}, {"client", "c"}, {"for_ms", 350}, {"allow_disconnect", true}}}},
                   {"checks", {{{"check", "delivery"}, {"client", "c"}}}}};
        Fake f(sc, p);
        f.start();
        f.accept_all();
        std::string last;
        for (int k = 0; k < 3; ++k) {
            f.advance(100ms);
            last = iso(wall_now(f) - 4000);  // 4 ms old
            f.msg("c1", pusher_push(last));
        }
        f.msg("c1", pusher_push(last));
        f.advance(100ms);
        const Finding d = finding(f.result(), "checks/0");
        INFO(d.measurements.dump());
        CHECK(d.measurements["messages"]["received"] == 4);
        CHECK(d.measurements["messages"]["duplicates"] == 1);
        CHECK(d.measurements["latency_us"]["max"] == 4000);
    }
    SECTION("broadcast: members that got the same times pass; a member that missed one fails") {
        json sc = {{"clients", {{{"name", "m"}, {"count", 2}}}},
                   {"steps", {{{"step", "join"}, {"client", "m"}}, {{"step", "sleep"}, {"for_ms", 5000}}}},
                   {"checks", {{{"check", "broadcast"}, {"client", "m"}, {"key", "/data/time"}}}}};
        for (bool gap : {false, true}) {
            Fake f(sc, pusher_profile());
            f.start();
            f.accept_all();
            for (int k = 0; k < 4; ++k) {
                f.advance(100ms);
                // The two members' strings differ (key order), their times do not.
                const std::string t = "2026-11-26T13:02:1" + std::to_string(k) + "Z";
                f.msg("m1", {{"event", "nowtime"}, {"data", R"({"time":")" + t + R"(","n":1})"}});
                if (!(gap && k == 1)) f.msg("m2", {{"event", "nowtime"}, {"data", R"({"n": 1, "time": ")" + t + "\"}"}});
            }
            f.advance(10s);
            const Finding b = finding(f.result(), "checks/0");
            INFO(b.reason);
            CHECK(b.verdict == (gap ? Verdict::fail : Verdict::pass));
            if (gap) CHECK(b.reason.find("\"2026-11-26T13:02:11Z\"") != std::string::npos);
        }
    }
}
