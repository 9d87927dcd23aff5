// The load-run pieces: hold, join's ramp and "attempt", and the delivery check.
#include "fake.hpp"

using namespace pushcheck::test;

namespace {

// `n` clients join (ramp `ramp` per second, expect attempt), are held `hold_ms`, graded by delivery.
json load_scenario(int n, double ramp, int hold_ms, json delivery = json::object()) {
    delivery["check"] = "delivery";
    delivery["client"] = "c";
    json join = {{"step", "join"}, {"client", "c"}, {"expect", "attempt"}};
    if (ramp > 0) join["ramp_per_s"] = ramp;
    return {{"clients", {{{"name", "c"}, {"count", n}}}},
            {"steps", {join, {{"step", "hold"}, {"client", "c"}, {"for_ms", hold_ms}, {"allow_disconnect", true}}}},
            {"checks", {delivery}}};
}

// Profile interval 100 ms, tolerance max(25 %, 50 ms) = 50 ms.
Profile fast_profile() {
    Profile p = test_profile();
    p.values["push"]["interval_ms"] = 100;
    return p;
}

// Two clients held 1050 ms; `tick(f, k)` delivers the pushes of tick k (every 100 ms, ten
// ticks); returns the delivery finding's result.
template <class Tick>
ScenarioResult ten_ticks(int clients, Tick tick) {
    Fake f(load_scenario(clients, 0, 1050), fast_profile());
    f.start();
    f.accept_all();
    for (int k = 0; k < 10; ++k) {
        f.advance(100ms);
        tick(f, k);
    }
    f.advance(200ms);
    return f.result();
}

} // namespace

TEST_CASE("join with ramp_per_s spreads the connects over time", "[steps][join][ramp]") {
    Fake f(load_scenario(4, 10, 1000), fast_profile());
    f.start();
    CHECK(f.of_kind(Command::Kind::connect).size() == 1);  // c1 at once
    f.advance(100ms);
    CHECK(f.of_kind(Command::Kind::connect).size() == 2);  // c2 after 1/10 s
    f.advance(200ms);
    CHECK(f.of_kind(Command::Kind::connect).size() == 4);
    f.accept_all();
}

TEST_CASE("expect attempt passes whatever the handshake's outcome", "[steps][join][attempt]") {
    Fake f(load_scenario(3, 0, 300), fast_profile());
    f.start();
    f.to_accept.clear();
    f.connected("c1");
    f.connect_failed("c2", 0, "connection refused");
    f.closed("c3", 0, false, "connection reset by peer");
    f.advance(400ms);
    auto r = f.result();
    CHECK(finding(r, "steps/0").verdict == Verdict::pass);
    const Finding& d = finding(r, "checks/0");
    CHECK(d.verdict == Verdict::fail);
    CHECK(d.reason == "2 of 3 clients never connected (1 failed handshakes)");
    CHECK(d.measurements["clients"]["connected"] == 1);
    CHECK(d.measurements["clients"]["failed"] == 2);
}

TEST_CASE("delivery: every push on schedule passes with the load figures", "[checks][delivery]") {
    auto r = ten_ticks(2, [](Fake& f, int) {
        f.push("c1", 3ms);
        f.push("c2", 5ms);
    });
    const Finding& d = finding(r, "checks/0");
    INFO(d.reason << " " << d.measurements.dump());
    CHECK(d.verdict == Verdict::pass);
    CHECK(d.measurements["messages"]["received"] == 20);
    CHECK(d.measurements["messages"]["missed"] == 0);
    CHECK(d.measurements["messages"]["duplicates"] == 0);
    CHECK(d.measurements["latency_us"]["max"] == 5000);
    CHECK(d.measurements["latency_us"]["p50"] >= 3000);  // a histogram bucket's upper bound: < 3.2 % above
    CHECK(d.measurements["latency_us"]["p50"] < 3100);
    CHECK(d.measurements["clients"]["connected"] == 2);
    REQUIRE(d.measurements["per_second"].size() == 2);
    CHECK(d.measurements["per_second"][0]["pushes"] == 18);
    CHECK(d.measurements["per_second"][0]["connected"] == 2);
}

TEST_CASE("delivery: the welcome is timed from the connect", "[checks][delivery][welcome]") {
    Fake f(load_scenario(2, 0, 350), fast_profile());
    f.start();
    f.advance(30ms);
    f.accept_all();  // handshakes of 30 ms
    f.advance(20ms);
    f.welcome("c1");  // 50 ms after its connect
    f.advance(10ms);
    f.welcome("c2");  // 60 ms
    f.welcome("c2");  // a second welcome is not timed again
    for (int k = 0; k < 3; ++k) {
        f.advance(100ms);
        f.push("c1");
        f.push("c2");
    }
    f.advance(100ms);
    const Finding d = finding(f.result(), "checks/0");
    INFO(d.measurements.dump());
    CHECK(d.measurements["connect_us"]["p50"] == 30000);
    CHECK(d.measurements["welcome_us"]["samples"] == 2);
    CHECK(d.measurements["welcome_us"]["max"] == 60000);
    CHECK(d.measurements["welcome_us"]["p50"].get<std::int64_t>() >= 50000);
    CHECK(d.measurements["welcome_us"]["p50"].get<std::int64_t>() < 51700);  // a bucket's upper bound
    CHECK(d.measurements["messages"]["received"] == 6);  // welcomes are not pushes
}

TEST_CASE("delivery: a client that stops getting pushes counts every one it missed", "[checks][delivery]") {
    auto r = ten_ticks(2, [](Fake& f, int k) {
        f.push("c1");
        if (k < 3) f.push("c2");  // c2 is stalled after 3 pushes, still connected
    });
    const Finding& d = finding(r, "checks/0");
    CHECK(d.verdict == Verdict::fail);
    INFO(d.measurements.dump());
    // The hold ends at 1050 ms: 1050 - 50 ms tolerance owes 10 pushes to c2, which got 3.
    CHECK(d.measurements["messages"]["missed"] == 7);
    CHECK(d.reason.rfind("7 pushes missed against the schedule of one every 100 ms", 0) == 0);
}

TEST_CASE("delivery: a client the server dropped is owed pushes until the end of the run", "[checks][delivery]") {
    auto r = ten_ticks(2, [](Fake& f, int k) {
        f.push("c1");
        if (k < 2) f.push("c2");
        if (k == 2) f.closed("c2", 1008, true, "slow consumer");
    });
    const Finding& d = finding(r, "checks/0");
    CHECK(d.verdict == Verdict::fail);
    INFO(d.measurements.dump());
    CHECK(d.measurements["messages"]["missed"] == 8);  // 10 owed until the end of the run, 2 received
    CHECK(d.measurements["disconnects"]["close 1008"] == 1);
    CHECK(d.reason.find("1 disconnected by the server") != std::string::npos);
}

TEST_CASE("delivery: the same push twice in a row is a duplicate", "[checks][delivery]") {
    Fake f(load_scenario(1, 0, 550), fast_profile());
    f.start();
    f.accept_all();
    for (int k = 0; k < 5; ++k) {
        f.advance(100ms);
        f.push("c1");
        if (k == 2) f.push("c1");  // same wall time: same timestamp
    }
    f.advance(100ms);
    auto r = f.result();
    const Finding& d = finding(r, "checks/0");
    CHECK(d.verdict == Verdict::fail);
    CHECK(d.measurements["messages"]["duplicates"] == 1);
    CHECK(d.reason == "1 pushes arrived twice in a row at the same client");
    REQUIRE(d.evidence.size() == 1);
}

TEST_CASE("hold consumes messages and fails when the connection ends unless allowed", "[steps][hold]") {
    json sc = {{"clients", {{{"name", "a"}}}},
               {"steps", {{{"step", "join"}, {"client", "a"}}, {{"step", "hold"}, {"client", "a"}, {"for_ms", 500}}}}};
    Fake f(sc, fast_profile());
    f.start();
    f.accept_all();
    f.advance(100ms);
    f.push("a");
    f.closed("a", 1001, true, "going away");
    auto r = f.result();
    const Finding& h = finding(r, "steps/1");
    CHECK(h.verdict == Verdict::fail);
    CHECK(h.reason == "a: the connection ended (code 1001, clean: going away) while it was held");
}

TEST_CASE("delivery and latency read epoch-millisecond timestamps when the profile says so", "[checks][delivery][timestamp]") {
    Profile p = fast_profile();
    p.values["push"]["match"] = {{"event", "nowtime"}, {"data", {{"$timestamp", "epoch-ms"}}}};
    p.values["push"]["timestamp_format"] = "epoch-ms";
    json sc = load_scenario(1, 0, 350);
    sc["checks"].push_back({{"check", "latency"}, {"client", "c"}});
    Fake f(sc, p);
    f.start();
    f.accept_all();
    for (int k = 0; k < 3; ++k) {
        f.advance(100ms);
        const std::int64_t wall = f.wall_base + std::chrono::duration_cast<std::chrono::microseconds>(f.now - f.t0).count();
        f.msg("c1", {{"event", "nowtime"}, {"data", wall / 1000 - 7}});  // 7 ms old
    }
    f.advance(100ms);
    auto r = f.result();
    const Finding d = finding(r, "checks/0");
    const Finding l = finding(r, "checks/1");
    INFO(d.measurements.dump() << l.reason);
    CHECK(d.measurements["messages"]["received"] == 3);
    CHECK(d.measurements["latency_us"]["max"] == 7000);
    CHECK(l.verdict == Verdict::pass);
    CHECK(l.measurements["max_ms"] == 7.0);
    // The same pushes read as ISO strings have no timestamp: the latency check says so.
    p.values["push"]["timestamp_format"] = "iso8601-utc";
    Fake g(sc, p);
    g.start();
    g.accept_all();
    g.advance(100ms);
    g.msg("c1", {{"event", "nowtime"}, {"data", 1764162168000}});
    g.advance(300ms);
    const Finding bad = finding(g.result(), "checks/1");
    CHECK(bad.verdict == Verdict::fail);
    CHECK(bad.reason.rfind("at /data: expected an ISO-8601 UTC timestamp, got 1764162168000", 0) == 0);
}
