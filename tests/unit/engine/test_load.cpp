// The engine under load-mode sizes: thousands of clients in one scenario.
#include "fake.hpp"

using namespace pushcheck::test;

namespace {

// Joins `n` clients, delivers `pushes` pushes to each (100 ms apart, `late` ms later for
// push number `late_at` of the first client) and checks cadence and latency.
ScenarioResult run_group(int n, int pushes, RunOptions options = {}, int late_at = -1, int late = 0) {
    Fake f({{"clients", {{{"name", "m"}, {"count", n}}}},
            {"steps",
             {{{"step", "join"}, {"client", "m"}},
              {{"step", "receive"}, {"client", "m"}, {"count", pushes}, {"match", {{"$profile", "push.match"}}}}}},
            {"checks", {{{"check", "interval"}, {"client", "m"}}, {{"check", "latency"}, {"client", "m"}, {"bound_ms", 1000}}}}},
           test_profile(), options);
    f.start();
    f.accept_all();
    std::vector<std::string> names;
    for (int i = 1; i <= n; ++i) names.push_back("m" + std::to_string(i));
    for (int k = 0; k < pushes; ++k) {
        f.advance(k == late_at + 1 ? std::chrono::milliseconds(100 - late) : 100ms);
        const std::string payload = json{{"status", 200}, {"event", "nowtime"}, {"data", iso(f.wall_base + 100000 * (k + 1))}}.dump();
        for (std::size_t i = names.size(); i-- > 0;) {  // m1 last, so that its late push keeps the others on time
            if (k == late_at && i == 0) f.advance(std::chrono::milliseconds(late));
            f.text(names[i], payload);
        }
    }
    REQUIRE(f.done());
    return f.result();
}

} // namespace

TEST_CASE("a group of 500 clients receives and is graded", "[runner][load]") {
    auto r = run_group(500, 5);
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.transcript.events.size() == 500 * 6);  // within each client's first 8 events
    CHECK(r.transcript.recorded == 500 * 6);
    CHECK_FALSE(r.transcript.partial());
    CHECK(r.series.size() == 64);  // charts for the first 64 clients; the measurements cover all

    CHECK(finding(r, "checks/0").measurements["samples"] == 500 * 4);
    CHECK(r.latency.count() == 500 * 5);
}

TEST_CASE("a long run keeps each client's first and last events, and every measurement", "[runner][load][retention]") {
    RunOptions o;
    o.keep_first = 4;
    o.keep_last = 6;
    auto r = run_group(20, 200, o);
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.transcript.recorded == 20 * 201);
    CHECK(r.transcript.events.size() == 20 * 10);
    CHECK(r.transcript.partial());
    CHECK(finding(r, "checks/0").measurements["samples"] == 20 * 199);
    CHECK(r.latency.count() == 20 * 200);
    // Kept events are in order and say where they stood.
    for (std::size_t i = 1; i < r.transcript.events.size(); ++i)
        CHECK(r.transcript.events[i - 1].seq < r.transcript.events[i].seq);
    CHECK(r.transcript.events.back().seq == 20 * 201 - 1);
}

TEST_CASE("evidence far back in a long run is kept and points at the right events", "[runner][load][retention]") {
    RunOptions o;
    o.keep_first = 2;
    o.keep_last = 2;
    // m1's 11th push comes 80 ms late: the gaps before and after it (180 and 20 ms) are outside 100 +- 20.
    auto r = run_group(3, 150, o, 10, 80);
    const Finding& f = finding(r, "checks/0");
    REQUIRE(f.verdict == Verdict::fail);
    CHECK(f.reason.rfind("m1: gap of 180 ms", 0) == 0);
    REQUIRE(f.evidence.size() == 2);
    const Event& a = r.transcript.events[f.evidence[0]];
    const Event& b = r.transcript.events[f.evidence[1]];
    CHECK(a.client == "m1");
    CHECK(b.client == "m1");
    CHECK(b.t_us - a.t_us == 180'000);
    CHECK(r.transcript.events.size() < 3 * 151);
}

TEST_CASE("past keep_clients, a client keeps its first event and its evidence", "[runner][load][retention]") {
    RunOptions o;
    o.keep_first = 8;
    o.keep_last = 24;
    o.keep_clients = 10;
    auto r = run_group(200, 50, o);
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.transcript.recorded == 200 * 51);
    // Each windowed client its first 8 and last 24, the others their handshake, and the
    // latency check's worst sample (its evidence; here a narrow client's first push).
    CHECK(r.transcript.events.size() == 10 * 32 + 190 * 1 + 1);
    CHECK(finding(r, "checks/0").measurements["samples"] == 200 * 49);
    // m1 (windowed) has its late push as evidence; so would any other.
    auto late = run_group(200, 50, o, 20, 80);
    const Finding& f = finding(late, "checks/0");
    REQUIRE(f.verdict == Verdict::fail);
    CHECK(f.evidence.size() == 2);
}

TEST_CASE("keep_first 0 and keep_last 0 keep every event", "[runner][load][retention]") {
    RunOptions o;
    o.keep_first = 0;
    o.keep_last = 0;
    auto r = run_group(5, 60, o);
    CHECK(r.transcript.events.size() == 5 * 61);
    CHECK_FALSE(r.transcript.partial());
}

TEST_CASE("10,000 clients (timing, run by hand)", "[.perf]") {
    auto t0 = std::chrono::steady_clock::now();
    auto r = run_group(10000, 10);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    WARN("10,000 clients x 10 pushes: " << ms << " ms, " << r.transcript.events.size() << " events");
    CHECK(r.verdict == Verdict::pass);
}
