// --shard K/N and pushcheck merge: a shard runs a slice of every group, and merged shards
// give the counts and histograms of one run over the same clients, judged again.
#include "fake.hpp"

#include "pushcheck/engine/merge.hpp"

using namespace pushcheck::test;

namespace {

json sharded_scenario(int n, double ramp = 0, std::int64_t max_missed = 0) {
    json join = {{"step", "join"}, {"client", "c"}, {"expect", "attempt"}};
    if (ramp > 0) join["ramp_per_s"] = ramp;
    return {{"clients", {{{"name", "c"}, {"count", n}}, {{"name", "solo"}}}},
            {"steps",
             {join,
              {{"step", "join"}, {"client", "solo"}},
              {{"step", "hold"}, {"client", "c"}, {"for_ms", 1050}, {"allow_disconnect", true}}}},
            {"checks",
             {{{"check", "delivery"}, {"client", "c"}, {"max_missed", max_missed}},
              {{"check", "latency"}, {"client", "c"}}}}};
}

Profile fast_profile() {
    Profile p = test_profile();
    p.values["push"]["interval_ms"] = 100;
    return p;
}

/// Runs the scenario over `n` members as shard k (from 0) of `count`: member i gets the push
/// of tick t with a latency of (i + 2 t) ms, except the pushes `skip(i, t)` drops.
template <class Skip>
RunResult run_shard(int n, unsigned k, unsigned count, Skip skip, std::int64_t max_missed = 0) {
    RunOptions o;
    o.shard_index = k;
    o.shard_count = count;
    Fake f(sharded_scenario(n, 0, max_missed), fast_profile(), o);
    f.start();
    f.accept_all();
    f.advance(1ms);
    f.accept_all();  // solo joins after the group
    for (int t = 0; t < 10; ++t) {
        f.advance(100ms);
        for (int i = 1; i <= n; ++i)
            if (static_cast<unsigned>(i - 1) % count == k && !skip(i, t))
                f.push("c" + std::to_string(i), std::chrono::milliseconds(i + 2 * t));
    }
    f.advance(200ms);
    RunResult r;
    r.profile_name = "nowtime";
    r.target = "ws://127.0.0.1:1";
    r.shard = Shard{k + 1, count};
    r.scenarios.push_back(f.result());
    r.recompute_summary();
    return r;
}

RunResult merged(const std::vector<RunResult>& shards) {
    std::vector<std::string> files;
    for (std::size_t i = 0; i < shards.size(); ++i) files.push_back("s" + std::to_string(i + 1) + ".json");
    return merge_shards(shards, files);
}

auto none = [](int, int) { return false; };

} // namespace

TEST_CASE("a shard runs every Nth member of each group, and a single client in shard 1 only", "[shard]") {
    RunOptions o;
    o.shard_index = 1;
    o.shard_count = 4;
    Fake f(sharded_scenario(10), fast_profile(), o);
    f.start();
    std::vector<std::string> dialled;
    for (const auto& c : f.of_kind(Command::Kind::connect)) dialled.push_back(c.client);
    CHECK(dialled == std::vector<std::string>{"c2", "c6", "c10"});
    f.accept_all();
    f.advance(1ms);
    CHECK(f.of_kind(Command::Kind::connect).size() == 3);  // solo is shard 1's: its join passes here without a connect
}

TEST_CASE("a shard keeps the ramp of the whole run", "[shard][ramp]") {
    RunOptions o;
    o.shard_index = 1;
    o.shard_count = 4;
    Fake f(sharded_scenario(8, 10), fast_profile(), o);
    f.start();
    f.advance(99ms);
    CHECK(f.of_kind(Command::Kind::connect).empty());
    f.advance(1ms);  // c2 is the run's second member: 1/10 s
    CHECK(f.of_kind(Command::Kind::connect).size() == 1);
    f.advance(399ms);
    CHECK(f.of_kind(Command::Kind::connect).size() == 1);
    f.advance(1ms);  // c6: 5/10 s
    CHECK(f.of_kind(Command::Kind::connect).size() == 2);
}

TEST_CASE("four merged shards give the counts and histograms of one run over the same clients", "[shard][merge]") {
    auto skip = [](int i, int t) { return i == 3 && t == 5; };  // c3 misses one push
    RunResult one = run_shard(8, 0, 1, skip, 5);
    std::vector<RunResult> shards;
    for (unsigned k = 0; k < 4; ++k) shards.push_back(run_shard(8, k, 4, skip, 5));
    RunResult m = merged(shards);
    REQUIRE(m.scenarios.size() == 1);
    const Finding whole = finding(one.scenarios[0], "checks/0");
    const Finding parts = finding(m.scenarios[0], "checks/0");
    INFO(parts.measurements.dump());
    for (const char* key : {"clients", "connections", "messages", "disconnects", "latency_us", "connect_us", "latency_histogram"})
        CHECK(parts.measurements[key] == whole.measurements[key]);
    CHECK(parts.measurements["messages"]["received"] == 79);
    CHECK(parts.measurements["messages"]["missed"] == 1);
    CHECK(parts.verdict == Verdict::pass);
    const Finding wl = finding(one.scenarios[0], "checks/1");
    const Finding pl = finding(m.scenarios[0], "checks/1");
    CHECK(pl.measurements["histogram"] == wl.measurements["histogram"]);
    CHECK(pl.measurements["samples"] == 79);
    CHECK(pl.verdict == Verdict::pass);
    CHECK(m.scenarios[0].latency.count() == one.scenarios[0].latency.count());
    CHECK(m.scenarios[0].transcript.recorded == one.scenarios[0].transcript.recorded);
    CHECK(m.merged_from == std::vector<std::string>{"s1.json", "s2.json", "s3.json", "s4.json"});
    CHECK(m.summary.pass == 1);
}

TEST_CASE("a merged verdict is judged from the merged data, not the shards' verdicts", "[shard][merge]") {
    // Each shard misses one push and passes with max_missed 2; the run missed four.
    auto skip = [](int i, int t) { return i <= 4 && t == 2; };
    std::vector<RunResult> shards;
    for (unsigned k = 0; k < 4; ++k) {
        shards.push_back(run_shard(8, k, 4, skip, 2));
        CHECK(finding(shards.back().scenarios[0], "checks/0").verdict == Verdict::pass);
    }
    RunResult m = merged(shards);
    const Finding d = finding(m.scenarios[0], "checks/0");
    CHECK(d.verdict == Verdict::fail);
    CHECK(d.reason.rfind("4 pushes missed against the schedule of one every 100 ms", 0) == 0);
    CHECK(m.scenarios[0].verdict == Verdict::fail);
    CHECK(m.summary.fail == 1);
}

TEST_CASE("a failure judged within a shard stays a failure and names its shard", "[shard][merge]") {
    std::vector<RunResult> shards;
    for (unsigned k = 0; k < 2; ++k) shards.push_back(run_shard(4, k, 2, none));
    Finding& f = shards[1].scenarios[0].findings[0];
    f.verdict = Verdict::fail;
    f.reason = "c2: connection refused";
    RunResult m = merged(shards);
    CHECK(m.scenarios[0].verdict == Verdict::fail);
    CHECK(m.scenarios[0].reason == "shard 2/2: c2: connection refused");
}

TEST_CASE("merge refuses documents that are not the shards of one run", "[shard][merge]") {
    std::vector<RunResult> four;
    for (unsigned k = 0; k < 4; ++k) four.push_back(run_shard(4, k, 4, none));
    CHECK(config_error([&] { merged({four[0], four[1], four[3]}); }).find("3 of 4 shards given; missing: 3/4") !=
          std::string::npos);
    CHECK(config_error([&] { merged({four[0], four[1], four[1], four[3]}); }).find("shard 2/4 is given twice") !=
          std::string::npos);
    RunResult plain = four[2];
    plain.shard.reset();
    CHECK(config_error([&] { merged({four[0], four[1], plain, four[3]}); }).find("s3.json: /shard: not a shard") !=
          std::string::npos);
    RunResult other = four[2];
    other.scenarios[0].id = "other.run";
    CHECK(config_error([&] { merged({four[0], four[1], other, four[3]}); }).find("/scenarios/0") != std::string::npos);
    RunResult broken = four[3];
    for (auto& f : broken.scenarios[0].findings)
        if (f.name == "delivery") f.measurements.erase("latency_histogram");
    CHECK(config_error([&] { merged({four[0], four[1], four[2], broken}); }).find("cannot merge check delivery: no \"latency_histogram\"") !=
          std::string::npos);
}
