// The stalled-member steps (pause_reading, resume_reading, flood, join's recv_buffer) and the
// stall_outcome check, driven by a fake clock and a fake transport.
#include "fake.hpp"

using namespace pushcheck::test;

namespace {

json steps(json s, json checks = json::array()) {
    return {{"clients", json::array({{{"name", "a"}}})}, {"steps", std::move(s)}, {"checks", std::move(checks)}};
}
const json kJoin = {{"step", "join"}, {"client", "a"}};
const json kFlood = {{"step", "flood"}, {"client", "a"}, {"ping", "p"}, {"count", 1000}, {"for_ms", 500}};

void joined(Fake& f) {
    f.start();
    f.accept_all();
}

/// The driver's summary of a flood.
void flooded(Fake& f, std::uint64_t frames, std::size_t bytes, std::int64_t duration_us, const std::string& why) {
    Event e = f.make(EventKind::sent, "a");
    e.flood = true;
    e.count = frames;
    e.size = bytes;
    e.duration_us = duration_us;
    e.data = why;
    f.event(std::move(e));
}

} // namespace

TEST_CASE("join: recv_buffer reaches the connect command and is range-checked", "[steps][join][stall]") {
    Fake f(steps({{{"step", "join"}, {"client", "a"}, {"recv_buffer", 4096}}}));
    f.start();
    CHECK(f.of_kind(Command::Kind::connect).at(0).recv_buffer == 4096);
    Fake d(steps({kJoin}));
    d.start();
    CHECK(d.of_kind(Command::Kind::connect).at(0).recv_buffer == 0);
    CHECK(config_error([] { Fake x(steps({{{"step", "join"}, {"client", "a"}, {"recv_buffer", 100}}})); }) ==
          "test.json: /steps/0/recv_buffer: expected an integer from 1024 to 67108864, got 100");
    CHECK(config_error([] { Fake x(steps({{{"step", "join"}, {"client", "a"}, {"recv_buffer", 1 << 30}}})); }) ==
          "test.json: /steps/0/recv_buffer: expected an integer from 1024 to 67108864, got 1073741824");
}

TEST_CASE("pause_reading and resume_reading: one command each, an open connection needed", "[steps][stall]") {
    SECTION("pass") {
        Fake f(steps({kJoin, {{"step", "pause_reading"}, {"client", "a"}}, {{"step", "resume_reading"}, {"client", "a"}}}));
        joined(f);
        REQUIRE(f.done());
        CHECK(f.of_kind(Command::Kind::pause_reading).size() == 1);
        CHECK(f.of_kind(Command::Kind::resume_reading).size() == 1);
        CHECK(f.result().verdict == Verdict::pass);
    }
    SECTION("pause before any join fails") {
        Fake f(steps({{{"step", "pause_reading"}, {"client", "a"}}}));
        f.start();
        auto r = f.result();
        CHECK(r.reason == "client a is not connected: it never joined");
        CHECK(f.of_kind(Command::Kind::pause_reading).empty());
    }
    SECTION("resuming a connection that ended while paused passes, with no command") {
        Fake f(steps({kJoin, {{"step", "pause_reading"}, {"client", "a"}}, {{"step", "sleep"}, {"for_ms", 100}},
                      {{"step", "resume_reading"}, {"client", "a"}}}));
        joined(f);
        f.closed("a", 1008, false, "slow consumer");
        f.advance(100ms);
        REQUIRE(f.done());
        CHECK(f.of_kind(Command::Kind::resume_reading).empty());
        CHECK(f.result().verdict == Verdict::pass);
    }
}

TEST_CASE("flood: the command carries the frames and limits; the driver's summary ends the step", "[steps][flood][stall]") {
    SECTION("pings") {
        Fake f(steps({kJoin, kFlood}));
        joined(f);
        auto c = f.of_kind(Command::Kind::flood);
        REQUIRE(c.size() == 1);
        CHECK(c[0].data == "p");
        CHECK(c[0].count == 1000);
        CHECK_FALSE(c[0].flood_text);
        CHECK(c[0].timeout == std::chrono::milliseconds(500));
        f.advance(500ms);
        CHECK_FALSE(f.done());
        flooded(f, 200, 200, 500'000, "time limit");
        REQUIRE(f.done());
        CHECK(f.result().verdict == Verdict::pass);
    }
    SECTION("text") {
        Fake f(steps({kJoin, {{"step", "flood"}, {"client", "a"}, {"text", "hello"}, {"count", 3}, {"for_ms", 100}}}));
        joined(f);
        CHECK(f.of_kind(Command::Kind::flood).at(0).flood_text);
    }
    SECTION("no summary within the grace time fails") {
        Fake f(steps({kJoin, kFlood}));
        joined(f);
        f.advance(2499ms);
        CHECK_FALSE(f.done());
        f.advance(1ms);
        CHECK(f.result().reason == "a: the flood did not end within 2000 ms of its 500 ms limit");
    }
    SECTION("the connection ending first fails") {
        Fake f(steps({kJoin, kFlood}));
        joined(f);
        f.closed("a", 0, false, "connection reset");
        CHECK(f.result().reason == "a: the connection ended (no close frame, not clean: connection reset) before the flood reported");
    }
    SECTION("bad parameters") {
        auto err = [](json step) { return config_error([&] { Fake x(steps({kJoin, step})); }); };
        CHECK(err({{"step", "flood"}, {"client", "a"}, {"count", 1}, {"for_ms", 10}}) ==
              "test.json: /steps/1: step flood needs exactly one of \"ping\" (a ping payload) or \"text\" (a text message)");
        CHECK(err({{"step", "flood"}, {"client", "a"}, {"ping", std::string(126, 'x')}, {"count", 1}, {"for_ms", 10}}) ==
              "test.json: /steps/1/ping: a ping payload has at most 125 bytes (RFC 6455), got 126");
        CHECK(err({{"step", "flood"}, {"client", "a"}, {"ping", "p"}, {"count", 0}, {"for_ms", 10}}) ==
              "test.json: /steps/1/count: expected an integer from 1 to 10000000, got 0");
        CHECK(err({{"step", "flood"}, {"client", "a"}, {"ping", "p"}, {"count", 1}}).find("for_ms") != std::string::npos);
    }
}

TEST_CASE("stall_outcome: kept, cut off, and no flood", "[checks][stall]") {
    json s = steps({kJoin, kFlood, {{"step", "sleep"}, {"for_ms", 1000}}},
                   {{{"check", "stall_outcome"}, {"client", "a"}}});
    SECTION("kept: pushes after the flood are counted") {
        Fake f(s);
        joined(f);
        f.advance(100ms);
        flooded(f, 4000, 500'000, 100'000, "time limit");
        f.advance(400ms);
        f.push("a");
        f.advance(100ms);
        f.push("a");
        f.advance(1s);
        auto r = f.result();
        const Finding& c = finding(r, "checks/0");
        CHECK(c.verdict == Verdict::pass);  // measurement only (informational at may level)
        CHECK(c.measurements["outcome"] == "kept");
        CHECK(c.measurements["flood_frames"] == 4000);
        CHECK(c.measurements["flood_bytes"] == 500000);
        CHECK(c.measurements["flood_ms"] == 100.0);
        CHECK(c.measurements["flood_frames_per_s"] == 40000.0);
        CHECK(c.measurements["pushes_after_flood"] == 2);
        CHECK(c.reason.rfind("a was kept: still joined", 0) == 0);
    }
    SECTION("cut off: close code and time since the flood began") {
        Fake f(s);
        joined(f);
        f.advance(100ms);
        flooded(f, 4000, 500'000, 100'000, "time limit");
        f.advance(650ms);
        f.closed("a", 1008, true, "slow consumer");
        f.advance(1s);
        auto r = f.result();
        const Finding& c = finding(r, "checks/0");
        CHECK(c.measurements["outcome"] == "cut_off");
        CHECK(c.measurements["close_code"] == 1008);
        CHECK(c.measurements["cut_off_after_ms"] == 750.0);
        CHECK(c.reason == "a was cut off: code 1008, clean: slow consumer, noticed 750 ms after its flood began "
                          "(flood: 4000 frames, 500000 bytes in 100 ms (time limit))");
    }
    SECTION("no flood: not enough samples") {
        Fake f(steps({kJoin}, {{{"check", "stall_outcome"}, {"client", "a"}}}));
        joined(f);
        auto r = f.result();
        CHECK(r.verdict == Verdict::fail);
        CHECK(r.reason == "not enough samples: a never flooded (no flood step ran for it)");
    }
}

TEST_CASE("discard: later steps judge only what arrives after it; checks still see everything", "[steps][discard][stall]") {
    json s = steps({kJoin, {{"step", "sleep"}, {"for_ms", 500}}, {{"step", "discard"}, {"client", "a"}},
                    {{"step", "expect"}, {"client", "a"}, {"match", {{"event", "nowtime"}}}}},
                   {{{"check", "ordering"}, {"client", "a"}, {"first", {{"event", "notification"}}}}});
    Fake f(s);
    joined(f);
    f.welcome("a");  // would fail the expect below, were it not discarded
    f.advance(500ms);
    CHECK_FALSE(f.done());
    f.push("a");
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(finding(r, "checks/0").verdict == Verdict::pass);  // the welcome is still in the transcript
    Fake never(steps({{{"step", "discard"}, {"client", "a"}}}));
    never.start();
    CHECK(never.result().reason == "client a is not connected: it never joined");
}

TEST_CASE("flood: hold keeps the step running until for_ms after an early summary", "[steps][flood][stall]") {
    json held = kFlood;
    held["hold"] = true;
    Fake f(steps({kJoin, held}));
    joined(f);
    f.advance(100ms);
    flooded(f, 1000, 1000, 100'000, "count reached");
    CHECK_FALSE(f.done());
    f.advance(399ms);
    CHECK_FALSE(f.done());
    f.advance(1ms);
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
}
