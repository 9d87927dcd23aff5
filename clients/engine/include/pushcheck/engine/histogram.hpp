// A mergeable latency histogram with fixed log-linear buckets.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>

namespace pushcheck::engine {

/// Counts non-negative values (microseconds) in fixed log-linear buckets: values below
/// 2^kSubBits are exact, above that every power of two is split into 2^kSubBits equal
/// buckets (relative error < 1/2^kSubBits). Two histograms of any runs merge exactly by
/// adding counts bucket by bucket, so shards combine without the raw samples.
class Histogram {
public:
    static constexpr int kSubBits = 5;  // 32 sub-buckets per power of two: < 3.2 % error

    void add(std::int64_t value_us, std::uint64_t count = 1);
    void merge(const Histogram& other);
    std::uint64_t count() const { return count_; }
    std::int64_t min() const { return min_; }
    std::int64_t max() const { return max_; }
    double mean() const;
    /// Value at quantile q in [0,1]: the upper bound of the bucket holding it, capped at max().
    std::int64_t quantile(double q) const;

    static std::int64_t bucket_index(std::int64_t value_us);
    static std::int64_t bucket_lower(std::int64_t index);
    static std::int64_t bucket_upper(std::int64_t index);  // inclusive

    const std::map<std::int64_t, std::uint64_t>& buckets() const { return buckets_; }

    /// {"scheme":"log-linear","sub_bits":5,"unit":"us","count":..,"min":..,"max":..,"sum":..,
    ///  "buckets":[[index,count],...]}
    nlohmann::json to_json() const;
    /// Throws std::invalid_argument naming the problem on a malformed document.
    static Histogram from_json(const nlohmann::json& j);

private:
    std::map<std::int64_t, std::uint64_t> buckets_;
    std::uint64_t count_ = 0;
    std::int64_t min_ = 0, max_ = 0;
    long double sum_ = 0;
};

} // namespace pushcheck::engine
