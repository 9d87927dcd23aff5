// The receive path of the engine: parse a push once, match it, record its latency.
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/histogram.hpp"
#include "pushcheck/engine/matcher.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <vector>

using namespace pushcheck::engine;

namespace {

const std::string kPush = R"({"status":200,"event":"nowtime","data":"2026-11-26T13:02:48.542529Z"})";

PatternPtr push_pattern() {
    return Pattern::compile(nlohmann::json::parse(
                                R"({"status":200,"event":"nowtime","data":{"$timestamp":"iso8601-utc"}})"),
                            "bench", "");
}

void BM_ParseMessage(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(parse_message(kPush, false, 64));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPush.size()));
}
BENCHMARK(BM_ParseMessage);

// Peer: nlohmann's parser without the depth pre-scan, to price the hostile-input guard.
void BM_ParseMessage_PlainNlohmann(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(kPush));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPush.size()));
}
BENCHMARK(BM_ParseMessage_PlainNlohmann);

void BM_MatchPush(benchmark::State& state) {
    auto p = push_pattern();
    auto m = parse_message(kPush, false, 64);
    for (auto _ : state) benchmark::DoNotOptimize(p->matches(m));
}
BENCHMARK(BM_MatchPush);

std::vector<std::int64_t> latencies(std::size_t n) {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> d(7.0, 0.8);  // around 1 ms in microseconds
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = static_cast<std::int64_t>(d(rng));
    return v;
}

// Record n latencies and read p50/p99 from the mergeable histogram...
void BM_HistogramPercentiles(benchmark::State& state) {
    auto v = latencies(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        Histogram h;
        for (auto x : v) h.add(x);
        benchmark::DoNotOptimize(h.quantile(0.5) + h.quantile(0.99));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * v.size()));
}
BENCHMARK(BM_HistogramPercentiles)->Arg(1000)->Arg(100000);

// ...against the peer way: keep raw samples and nth_element them.
void BM_RawSamplesPercentiles(benchmark::State& state) {
    auto v = latencies(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        std::vector<std::int64_t> s;
        for (auto x : v) s.push_back(x);
        std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
        auto p50 = s[s.size() / 2];
        std::nth_element(s.begin(), s.begin() + s.size() * 99 / 100, s.end());
        benchmark::DoNotOptimize(p50 + s[s.size() * 99 / 100]);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * v.size()));
}
BENCHMARK(BM_RawSamplesPercentiles)->Arg(1000)->Arg(100000);

} // namespace
