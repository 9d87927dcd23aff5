// The engine under load-mode sizes: thousands of clients in one scenario.
#include "fake.hpp"

using namespace pushcheck::test;

namespace {

// Joins `n` clients, delivers `pushes` pushes to each (100 ms apart) and checks cadence.
ScenarioResult run_group(int n, int pushes) {
    Fake f({{"clients", {{{"name", "m"}, {"count", n}}}},
            {"steps",
             {{{"step", "join"}, {"client", "m"}},
              {{"step", "receive"}, {"client", "m"}, {"count", pushes}, {"match", {{"$profile", "push.match"}}}}}},
            {"checks", {{{"check", "interval"}, {"client", "m"}}, {{"check", "latency"}, {"client", "m"}, {"bound_ms", 1000}}}}});
    f.start();
    f.accept_all();
    std::vector<std::string> names;
    for (int i = 1; i <= n; ++i) names.push_back("m" + std::to_string(i));
    for (int k = 0; k < pushes; ++k) {
        f.advance(100ms);
        const std::string payload = json{{"status", 200}, {"event", "nowtime"}, {"data", iso(f.wall_base + 100000 * (k + 1))}}.dump();
        for (const auto& m : names) f.text(m, payload);
    }
    REQUIRE(f.done());
    return f.result();
}

} // namespace

TEST_CASE("a group of 500 clients receives and is graded", "[runner][load]") {
    auto r = run_group(500, 5);
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.transcript.events.size() == 500 * 6);
    CHECK(r.series.size() == 500);
    CHECK(finding(r, "checks/0").measurements["samples"] == 500 * 4);
    CHECK(r.latency.count() == 500 * 5);
}

TEST_CASE("10,000 clients (timing, run by hand)", "[.perf]") {
    auto t0 = std::chrono::steady_clock::now();
    auto r = run_group(10000, 10);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    WARN("10,000 clients x 10 pushes: " << ms << " ms, " << r.transcript.events.size() << " events");
    CHECK(r.verdict == Verdict::pass);
}
