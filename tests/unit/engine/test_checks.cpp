// Every check: pass, each way it fails, and its measurements.
#include "fake.hpp"

using namespace pushcheck::test;

namespace {

// One client (or a group) joins, then a long sleep during which the test scripts messages.
json with_checks(json checks, json clients = json::array({{{"name", "a"}}}), const std::string& who = "a") {
    return {{"clients", std::move(clients)},
            {"steps", {{{"step", "join"}, {"client", who}}, {{"step", "sleep"}, {"for_ms", 5000}}}},
            {"checks", std::move(checks)}};
}

// Advances to the end of the sleep and returns the result.
ScenarioResult finish(Fake& f) {
    f.advance(10s);
    return f.result();
}

// Pushes to `a` after each gap (ms).
void pushes_after(Fake& f, std::vector<int> gaps_ms) {
    for (int g : gaps_ms) {
        f.advance(std::chrono::milliseconds(g));
        f.push("a");
    }
}

} // namespace

TEST_CASE("interval: regular pushes pass with exact measurements and a series", "[checks][interval]") {
    Fake f(with_checks({{{"check", "interval"}, {"client", "a"}}}));
    f.start();
    f.accept_all();
    pushes_after(f, {50, 90, 110, 100});
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::pass);
    CHECK(c.kind == "check");
    CHECK(c.measurements["samples"] == 3);
    CHECK(c.measurements["mean_ms"] == 100.0);
    CHECK(c.measurements["jitter_ms"] == 8.165);  // sqrt((100 + 100 + 0) / 3)
    CHECK(c.measurements["drift_ms"] == 0.0);
    CHECK(c.measurements["min_ms"] == 90.0);
    CHECK(c.measurements["max_ms"] == 110.0);
    CHECK(c.measurements["tolerance_ms"] == 20.0);
    REQUIRE(r.series.size() == 1);
    CHECK(r.series[0].name == "interval a");
    CHECK(r.series[0].unit == "ms");
    CHECK(r.series[0].nominal == 100.0);
    CHECK(r.series[0].tolerance == 20.0);
    CHECK(r.series[0].values == std::vector<double>{90, 110, 100});
    CHECK(r.measurements["interval"]["samples"] == 3);
}

TEST_CASE("interval: drift accumulates, a gap outside the tolerance fails", "[checks][interval]") {
    Fake f(with_checks({{{"check", "interval"}, {"client", "a"}}}));
    f.start();
    f.accept_all();
    pushes_after(f, {100, 110, 110, 130});
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::fail);
    CHECK(c.reason == "a: gap of 130 ms (messages at 0.32 s and 0.45 s) is outside 100 +- 20 ms; 1 of 3 gaps outside");
    CHECK(c.evidence == std::vector<std::size_t>{3, 4});
    CHECK(c.measurements["drift_ms"] == 50.0);  // 350 - 3 x 100
    CHECK(c.measurements["outside"] == 1);
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason == c.reason);
}

TEST_CASE("interval: too few samples, tolerance from tolerance_min_ms, and grade none", "[checks][interval]") {
    SECTION("not enough samples") {
        Fake f(with_checks({{{"check", "interval"}, {"client", "a"}}}));
        f.start();
        f.accept_all();
        pushes_after(f, {100, 100});
        const Finding& c = finding(finish(f), "checks/0");
        CHECK(c.verdict == Verdict::fail);
        CHECK(c.reason.rfind("not enough samples: a had 1 gap(s) between messages matching an object with", 0) == 0);
        CHECK(c.reason.find(", need 3") != std::string::npos);
    }
    SECTION("tolerance_min_ms wins over a small percentage") {
        Fake f(with_checks({{{"check", "interval"}, {"client", "a"}, {"tolerance_pct", 1}, {"tolerance_min_ms", 15}}}));
        f.start();
        f.accept_all();
        pushes_after(f, {100, 114, 86, 100});
        auto r = finish(f);
        CHECK(finding(r, "checks/0").verdict == Verdict::pass);
        CHECK(finding(r, "checks/0").measurements["tolerance_ms"] == 15.0);
    }
    SECTION("grade none measures only: informational at may, pass at must") {
        Fake f(with_checks({{{"check", "interval"}, {"client", "a"}, {"grade", "none"}, {"level", "may"}},
                            {{"check", "interval"}, {"client", "a"}, {"grade", "none"}}}));
        f.start();
        f.accept_all();
        pushes_after(f, {100, 300, 100, 100});
        auto r = finish(f);
        CHECK(finding(r, "checks/0").verdict == Verdict::informational);
        CHECK(finding(r, "checks/1").verdict == Verdict::pass);
        CHECK(finding(r, "checks/1").measurements["max_ms"] == 300.0);
        CHECK(r.verdict == Verdict::informational);
        CHECK(r.measurements.contains("interval"));
        CHECK(r.measurements.contains("interval_1"));
    }
}

TEST_CASE("latency: percentiles, histogram and the clock assumption", "[checks][latency]") {
    Fake f(with_checks({{{"check", "latency"}, {"client", "a"}, {"bound_ms", 150}}}));
    f.start();
    f.accept_all();
    for (int i = 1; i <= 100; ++i) {
        f.advance(1ms);
        f.push("a", std::chrono::milliseconds(i));
    }
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::pass);
    CHECK(c.measurements["samples"] == 100);
    CHECK(c.measurements["negative_samples"] == 0);
    CHECK(c.measurements["p50_ms"] == 50.0);
    CHECK(c.measurements["p90_ms"] == 90.0);
    CHECK(c.measurements["p99_ms"] == 99.0);
    CHECK(c.measurements["max_ms"] == 100.0);
    CHECK(c.measurements["min_ms"] == 1.0);
    CHECK(c.measurements["mean_ms"] == 50.5);
    CHECK(c.measurements["clock"].get<std::string>().find("share a clock") != std::string::npos);
    CHECK(r.latency.count() == 100);
    CHECK(r.latency.max() == 100000);
}

TEST_CASE("latency: p99 over the bound fails", "[checks][latency]") {
    Fake f(with_checks({{{"check", "latency"}, {"client", "a"}}}));  // bound 50 ms from the profile
    f.start();
    f.accept_all();
    for (int i = 1; i <= 10; ++i) {
        f.advance(1ms);
        f.push("a", std::chrono::milliseconds(i * 10));
    }
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::fail);
    CHECK(c.reason.rfind("p99 latency 100 ms exceeds the bound of 50 ms (max 100 ms over 10 samples; assumes target and harness share a clock", 0) == 0);
    CHECK(c.evidence == std::vector<std::size_t>{10});
}

TEST_CASE("latency: negative latency is clock skew, never a pass", "[checks][latency]") {
    Fake f(with_checks({{{"check", "latency"}, {"client", "a"}, {"bound_ms", 1000}}}));
    f.start();
    f.accept_all();
    f.advance(1ms);
    f.push("a", 3ms);
    f.advance(1ms);
    f.push("a", -5ms);
    f.advance(1ms);
    f.push("a", 4ms);
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::fail);
    CHECK(c.reason.rfind("clock skew: 1 of 3 latencies are negative (down to -5 ms): the target's clock is ahead of the harness's", 0) == 0);
    CHECK(c.evidence == std::vector<std::size_t>{2});
    CHECK(c.measurements["negative_samples"] == 1);
    CHECK(r.latency.count() == 2);  // negative samples stay out of the histogram
}

TEST_CASE("latency: no samples, or no readable timestamp", "[checks][latency]") {
    SECTION("none") {
        Fake f(with_checks({{{"check", "latency"}, {"client", "a"}}}));
        f.start();
        f.accept_all();
        CHECK(finding(finish(f), "checks/0").reason.rfind("not enough samples: no message matching", 0) == 0);
    }
    SECTION("unreadable") {
        Fake f(with_checks({{{"check", "latency"}, {"client", "a"}, {"match", {{"event", "nowtime"}}}}}));
        f.start();
        f.accept_all();
        f.msg("a", {{"event", "nowtime"}, {"data", "2026-11-26 13:02:48"}});
        const Finding& c = finding(finish(f), "checks/0");
        CHECK(c.reason ==
              "at /data: expected an ISO-8601 UTC timestamp, got \"2026-11-26 13:02:48\" (1 of 1 matching messages have no readable timestamp)");
        CHECK(c.evidence == std::vector<std::size_t>{1});
    }
}

namespace {
json group3() { return json::array({{{"name", "m"}, {"count", 3}}}); }
void join3(Fake& f) {
    f.start();
    f.accept_all();
}
json push_at(int second) {
    return {{"status", 200}, {"event", "nowtime"}, {"data", "2026-11-26T13:02:" + std::to_string(10 + second) + "Z"}};
}
// Sends push k to each listed member.
void tick(Fake& f, int k, std::vector<std::string> to) {
    f.advance(10ms);
    for (const auto& m : to) f.msg(m, push_at(k));
}
} // namespace

TEST_CASE("broadcast: the same pushes to every member pass", "[checks][broadcast]") {
    Fake f(with_checks({{{"check", "broadcast"}, {"client", "m"}}}, group3(), "m"));
    join3(f);
    for (int k = 0; k < 4; ++k) tick(f, k, {"m1", "m2", "m3"});
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::pass);
    CHECK(c.measurements["members"] == 3);
    CHECK(c.measurements["pushes"] == 4);
}

TEST_CASE("broadcast: pushes before the last member joined and one in flight at the end are fine", "[checks][broadcast]") {
    Fake f(with_checks({{{"check", "broadcast"}, {"client", "m"}}}, group3(), "m"));
    f.start();
    f.connected("m1");
    f.connected("m2");
    tick(f, 0, {"m1", "m2"});  // before m3 joined
    f.connected("m3");
    for (int k = 1; k < 4; ++k) tick(f, k, {"m1", "m2", "m3"});
    tick(f, 4, {"m1", "m2"});  // the last tick reached m3 after the end
    CHECK(finding(finish(f), "checks/0").verdict == Verdict::pass);
}

TEST_CASE("broadcast: gaps, duplicates, per-connection timers and a stalled member fail", "[checks][broadcast]") {
    Fake f(with_checks({{{"check", "broadcast"}, {"client", "m"}, {"level", "should"}}}, group3(), "m"));
    join3(f);
    SECTION("a gap") {
        tick(f, 0, {"m1", "m2", "m3"});
        tick(f, 1, {"m1", "m3"});
        tick(f, 2, {"m1", "m2", "m3"});
        auto r = finish(f);
        const Finding& c = finding(r, "checks/0");
        CHECK(c.verdict == Verdict::non_strict);
        CHECK(c.reason == "m2 missed the push " + push_at(1).dump() + " that m1 received");
        CHECK(r.verdict == Verdict::non_strict);
    }
    SECTION("a duplicate") {
        tick(f, 0, {"m1", "m2", "m3"});
        tick(f, 1, {"m1", "m2", "m3", "m3"});
        const Finding& c = finding(finish(f), "checks/0");
        CHECK(c.reason == "m3 received the same push twice: " + push_at(1).dump());
        CHECK(c.evidence.size() == 2);
    }
    SECTION("different pushes per member (one timer per connection)") {
        f.advance(10ms);
        f.msg("m1", push_at(1));
        f.msg("m2", push_at(2));
        f.msg("m3", push_at(3));
        const Finding& c = finding(finish(f), "checks/0");
        // The cause, not a symptom: each member got a push at that tick, with another payload.
        CHECK(c.reason == "members received different payloads at the same tick: m1 got " + push_at(1).dump() + " where m3 (the "
                          "last member to join) got " + push_at(3).dump() + ", 0 ms apart");
        CHECK(c.evidence.size() == 2);
    }
    SECTION("per-connection timers out of phase, over several ticks") {
        for (int k = 0; k < 3; ++k) {
            f.advance(30ms);
            f.msg("m1", push_at(10 + k));
            f.advance(5ms);
            f.msg("m3", push_at(20 + k));
            f.msg("m2", push_at(30 + k));
        }
        const Finding& c = finding(finish(f), "checks/0");
        CHECK(c.reason == "members received different payloads at the same tick: m1 got " + push_at(10).dump() + " where m3 (the "
                          "last member to join) got " + push_at(20).dump() + ", 5 ms apart");
    }
    SECTION("a member that missed the aligning push: a push a tick away is not the same tick") {
        Fake g(with_checks({{{"check", "broadcast"}, {"client", "m"}}}, group3(), "m"));
        g.start();
        g.connected("m1");
        g.connected("m2");
        tick(g, 0, {"m1", "m2"});  // before m3 joined
        g.connected("m3");
        tick(g, 1, {"m1", "m3"});  // m2 misses the push m3 aligns on
        tick(g, 2, {"m1", "m2", "m3"});
        tick(g, 3, {"m1", "m2", "m3"});
        const Finding& c = finding(finish(g), "checks/0");
        CHECK(c.reason == "m2 never received the push " + push_at(1).dump() + " that m3 (the last member to join) received first");
    }
    SECTION("a member that stops receiving") {
        tick(f, 0, {"m1", "m2", "m3"});
        tick(f, 1, {"m1", "m2", "m3"});
        tick(f, 2, {"m1", "m3"});
        tick(f, 3, {"m1", "m3"});
        const Finding& c = finding(finish(f), "checks/0");
        CHECK(c.reason == "m2 missed the last 2 pushes that m1 received (from " + push_at(2).dump() + ")");
    }
    SECTION("a member with no push") {
        tick(f, 0, {"m1", "m3"});
        const Finding& c = finding(finish(f), "checks/0");
        CHECK(c.reason.rfind("not enough samples: m2 received no message matching", 0) == 0);
    }
}

namespace {
// One push (stamped with the current time) to each listed member, 1 ms after the last.
void stamp(Fake& f, std::vector<std::string> to) {
    f.advance(1ms);
    for (const auto& m : to) f.push(m);
}
// The push stamp() sent last.
std::string last_push(const Fake& f) {
    const std::int64_t wall = f.wall_base + std::chrono::duration_cast<std::chrono::microseconds>(f.now - f.t0).count();
    return json{{"status", 200}, {"event", "nowtime"}, {"data", iso(wall)}}.dump();
}
// Three members receive `n` pushes each (a receive step reads them), judged by broadcast.
json receive3(int n) {
    return {{"clients", group3()},
            {"steps",
             {{{"step", "join"}, {"client", "m"}},
              {{"step", "receive"}, {"client", "m"}, {"count", n}, {"match", {{"$profile", "push.match"}}}}}},
            {"checks", {{{"check", "broadcast"}, {"client", "m"}}}}};
}
} // namespace

TEST_CASE("broadcast: a fold, memory bounded however long the run", "[checks][broadcast]") {
    Fake f(receive3(3000));
    join3(f);
    for (int k = 0; k < 3000; ++k) stamp(f, {"m1", "m2", "m3"});
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::pass);
    CHECK(c.measurements["pushes"] == 3000);
    // Each member's first 8 and last 24 events, not its 3000 pushes.
    CHECK(r.transcript.recorded == 3 + 3 * 3000);
    CHECK(r.transcript.events.size() <= 3 * (8 + 24));
}

TEST_CASE("broadcast: a gap deep in a long run is found, with its evidence", "[checks][broadcast]") {
    Fake f(receive3(1999));
    join3(f);
    std::string missed;
    for (int k = 0; k < 2000; ++k) {
        if (k == 1000) {
            stamp(f, {"m1", "m3"});
            missed = last_push(f);
        } else {
            stamp(f, {"m1", "m2", "m3"});
        }
    }
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::fail);
    CHECK(c.reason == "m2 missed the push " + missed + " that m1 received");
    REQUIRE(c.evidence.size() == 1);
    REQUIRE(c.evidence[0] < r.transcript.events.size());
    CHECK(r.transcript.events[c.evidence[0]].data == missed);
    CHECK(r.transcript.events.size() < 200);
}

TEST_CASE("broadcast: a member that reconnects starts the window again", "[checks][broadcast]") {
    Fake f(with_checks({{{"check", "broadcast"}, {"client", "m"}}}, group3(), "m"));
    join3(f);
    for (int k = 0; k < 50; ++k) stamp(f, {"m1", "m2", "m3"});
    f.closed("m2", 1006, false);
    for (int k = 0; k < 5; ++k) stamp(f, {"m1", "m3"});  // m2 is away: these do not count
    f.conn["m2"] = 1;
    f.connected("m2");
    for (int k = 0; k < 50; ++k) stamp(f, {"m1", "m2", "m3"});
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.verdict == Verdict::pass);
    CHECK(c.measurements["pushes"] == 50);
}

TEST_CASE("broadcast: needs two clients", "[checks][broadcast]") {
    CHECK(config_error([] { Fake f(with_checks({{{"check", "broadcast"}, {"client", "a"}}})); }) ==
          "test.json: /checks/0/client: broadcast needs at least two clients (a group or a list)");
}

TEST_CASE("ordering: a fold, memory bounded however long the run", "[checks][ordering]") {
    json scenario = {{"clients", json::array({{{"name", "a"}}})},
                     {"steps",
                      {{{"step", "join"}, {"client", "a"}},
                       {{"step", "receive"}, {"client", "a"}, {"count", 3003}, {"match", {{"$type", "object"}}}}}},
                     {"checks",
                      {{{"check", "ordering"},
                        {"client", "a"},
                        {"first", {{"$profile", "welcome.match"}}},
                        {"nothing_after", {{"$profile", "bye.match"}}}}}}};
    Fake f(scenario);
    f.start();
    f.accept_all();
    f.welcome("a");
    for (int k = 0; k < 3000; ++k) {
        f.advance(1ms);
        f.push("a");
    }
    f.msg("a", {{"message", "bye"}});
    f.msg("a", {{"message", "late"}});
    auto r = finish(f);
    const Finding& c = finding(r, "checks/0");
    CHECK(c.reason == "a: message {\"message\":\"late\"} arrived after {\"message\":\"bye\"}");
    REQUIRE(c.evidence.size() == 2);
    CHECK(r.transcript.events[c.evidence[0]].data == "{\"message\":\"bye\"}");
    CHECK(r.transcript.recorded == 3004);  // the connect and 3003 messages
    CHECK(r.transcript.events.size() <= 8 + 24 + 2);
}

TEST_CASE("ordering: first, nothing_after and before", "[checks][ordering]") {
    auto run = [](json check, auto script) {
        check["check"] = "ordering";
        check["client"] = "a";
        Fake f(with_checks({check}));
        f.start();
        f.accept_all();
        script(f);
        return finding(finish(f), "checks/0");
    };
    json welcome = {{"$profile", "welcome.match"}};
    json bye = {{"$profile", "bye.match"}};
    json push = {{"$profile", "push.match"}};
    CHECK(run({{"first", welcome}}, [](Fake& f) {
              f.welcome("a");
              f.push("a");
          }).verdict == Verdict::pass);
    CHECK(run({{"first", welcome}}, [](Fake& f) {
              f.msg("a", {{"status", 200}, {"event", "nowtime"}, {"data", "x"}});
              f.welcome("a");
          }).reason ==
          "a: the first message of connection 0 ({\"data\":\"x\",\"event\":\"nowtime\",\"status\":200}) does not match: at /event: expected "
          "\"notification\", got \"nowtime\"");
    CHECK(run({{"first", welcome}}, [](Fake&) {}).reason == "not enough samples: a received no message");
    CHECK(run({{"nothing_after", bye}}, [](Fake& f) {
              f.push("a");
              f.msg("a", {{"message", "bye"}});
          }).verdict == Verdict::pass);
    auto after = run({{"nothing_after", bye}}, [](Fake& f) {
        f.msg("a", {{"message", "bye"}});
        f.msg("a", {{"message", "late"}});
    });
    CHECK(after.reason == "a: message {\"message\":\"late\"} arrived after {\"message\":\"bye\"}");
    CHECK(after.evidence == std::vector<std::size_t>{1, 2});
    CHECK(run({{"nothing_after", bye}}, [](Fake& f) { f.push("a"); }).reason ==
          "not enough samples: a received no message matching an object with \"message\": \"bye\"");
    CHECK(run({{"before", {welcome, push}}}, [](Fake& f) {
              f.welcome("a");
              f.push("a");
          }).verdict == Verdict::pass);
    auto wrong = run({{"before", {welcome, push}}}, [](Fake& f) {
        f.push("a");
        f.welcome("a");
    });
    CHECK(wrong.reason.find("(matching the second pattern) arrived before {\"data\":\"Welcome\"") != std::string::npos);
    CHECK(wrong.evidence == std::vector<std::size_t>{1, 2});
}

TEST_CASE("checks do not run when a step failed", "[checks]") {
    Fake f(with_checks({{{"check", "ordering"}, {"client", "a"}, {"first", {{"message", "x"}}}}}));
    f.start();
    f.connect_failed("a", 0, "connection refused");
    auto r = f.result();
    CHECK(r.findings.size() == 1);
    CHECK(r.findings[0].kind == "step");
}
