#include "pushcheck/engine/histogram.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace pushcheck::engine {

namespace {
constexpr std::int64_t kSub = std::int64_t{1} << Histogram::kSubBits;
}

// Values below kSub map to themselves; above, index = (exponent - kSubBits + 1) * kSub + top bits.
std::int64_t Histogram::bucket_index(std::int64_t v) {
    if (v < 0) v = 0;
    if (v < kSub) return v;
    int msb = 63 - std::countl_zero(static_cast<std::uint64_t>(v));
    int shift = msb - kSubBits;
    std::int64_t top = v >> shift;  // in [kSub, 2*kSub)
    return static_cast<std::int64_t>(shift + 1) * kSub + (top - kSub);
}

std::int64_t Histogram::bucket_lower(std::int64_t index) {
    if (index < kSub) return index;
    std::int64_t shift = index / kSub - 1;
    std::int64_t top = index % kSub + kSub;
    return top << shift;
}

std::int64_t Histogram::bucket_upper(std::int64_t index) {
    if (index < kSub) return index;
    std::int64_t shift = index / kSub - 1;
    return bucket_lower(index) + (std::int64_t{1} << shift) - 1;
}

void Histogram::add(std::int64_t v, std::uint64_t n) {
    if (n == 0) return;
    if (v < 0) v = 0;
    if (count_ == 0) {
        min_ = max_ = v;
    } else {
        min_ = std::min(min_, v);
        max_ = std::max(max_, v);
    }
    buckets_[bucket_index(v)] += n;
    count_ += n;
    sum_ += static_cast<long double>(v) * n;
}

void Histogram::merge(const Histogram& o) {
    if (o.count_ == 0) return;
    if (count_ == 0) {
        min_ = o.min_;
        max_ = o.max_;
    } else {
        min_ = std::min(min_, o.min_);
        max_ = std::max(max_, o.max_);
    }
    for (auto [i, n] : o.buckets_) buckets_[i] += n;
    count_ += o.count_;
    sum_ += o.sum_;
}

double Histogram::mean() const { return count_ ? static_cast<double>(sum_ / count_) : 0.0; }

std::int64_t Histogram::quantile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (auto [i, n] : buckets_) {
        seen += n;
        if (seen >= rank) return std::clamp(bucket_upper(i), min_, max_);
    }
    return max_;
}

nlohmann::json Histogram::to_json() const {
    nlohmann::json b = nlohmann::json::array();
    for (auto [i, n] : buckets_) b.push_back({i, n});
    return {{"scheme", "log-linear"}, {"sub_bits", kSubBits}, {"unit", "us"},
            {"count", count_}, {"min", min_}, {"max", max_},
            {"sum", static_cast<double>(sum_)}, {"buckets", b}};
}

Histogram Histogram::from_json(const nlohmann::json& j) {
    auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
    if (!j.is_object()) fail("histogram: expected an object");
    if (j.value("scheme", "") != "log-linear") fail("/scheme: expected \"log-linear\"");
    if (!j.contains("sub_bits") || j["sub_bits"] != kSubBits)
        fail("/sub_bits: expected " + std::to_string(kSubBits) + " (histograms with other bucket layouts cannot merge)");
    if (!j.contains("buckets") || !j["buckets"].is_array()) fail("/buckets: expected an array");
    Histogram h;
    std::size_t k = 0;
    for (const auto& e : j["buckets"]) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_number_unsigned())
            fail("/buckets/" + std::to_string(k) + ": expected [index, count]");
        auto idx = e[0].get<std::int64_t>();
        if (idx < 0) fail("/buckets/" + std::to_string(k) + ": negative bucket index");
        auto n = e[1].get<std::uint64_t>();
        h.buckets_[idx] += n;
        h.count_ += n;
        ++k;
    }
    if (j.contains("count") && j["count"].is_number_unsigned() && j["count"].get<std::uint64_t>() != h.count_)
        fail("/count: does not equal the sum of the bucket counts");
    if (h.count_) {
        h.min_ = j.value("min", bucket_lower(h.buckets_.begin()->first));
        h.max_ = j.value("max", bucket_upper(h.buckets_.rbegin()->first));
        h.sum_ = j.value("sum", 0.0);
    }
    return h;
}

} // namespace pushcheck::engine
