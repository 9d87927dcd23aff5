// latency: receive wall time minus the timestamp the target put in the message.
#include "checks/common.hpp"
#include "engine/pointer.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::checks {
namespace {

constexpr const char* kClock = "assumes target and harness share a clock (same host or NTP-synchronised)";

// A fold: every sample goes into a histogram; the first kExact samples are also kept as
// values so that a run of ordinary size reports exact percentiles. Past that the
// percentiles come from the histogram (relative error < 3.2 %).
class LatencyCheck : public Check {
public:
    static constexpr std::size_t kExact = 1 << 16;

    std::vector<char> is_target;  // by client id
    PatternPtr match;
    MessagePointer pointer;
    std::string pointer_text;
    TimestampFormat format = TimestampFormat::iso8601_utc;
    double bound_ms = 0;

    void observe(CheckContext& ctx, std::size_t idx, ClientId id) override {
        const Event& e = ctx.events()[idx];
        if (e.kind != EventKind::received) return;
        if (id == kNoClient || !is_target[id]) return;
        const ParsedMessage& m = ctx.message(idx);
        if (!match->matches(m)) return;
        std::optional<std::int64_t> ts;
        const nlohmann::json* v = nullptr;
        if (m.kind == ParsedMessage::Kind::json) {
            v = resolve_pointer(m.value(), pointer, scratch_);
            if (v) ts = timestamp_us(*v, format);
        }
        if (!ts) {
            if (unreadable_++ == 0) {
                first_unreadable_ = idx;
                ctx.keep(idx);
                const std::string got = m.kind != ParsedMessage::Kind::json ? "a message that is not JSON"
                                        : v                                 ? show_json(*v, 60)
                                                                            : "nothing (no such key)";
                unreadable_why_ = "at " + pointer_text + ": expected " + engine::describe(format) + ", got " + got;
            }
            return;
        }
        const std::int64_t l = e.wall_us - *ts;
        if (l < 0) {
            if (negative_ == 0 || l < lowest_) lowest_ = l;
            if (negative_++ < kEvidence) {
                negative_at_.push_back(idx);
                ctx.keep(idx);
            }
            return;
        }
        if (exact_.size() < kExact) exact_.push_back(l);
        hist_.add(l);
        ctx.result().latency.add(l);
        if (l > worst_) {
            if (worst_idx_ != kNone) ctx.release(worst_idx_);
            worst_ = l;
            worst_idx_ = idx;
            ctx.keep(idx);
        }
    }

    CheckOutcome finish(CheckContext&) override {
        const std::uint64_t samples = hist_.count();
        CheckOutcome o;
        auto& m = o.measurements;
        const bool exact = samples == exact_.size();
        if (exact) std::sort(exact_.begin(), exact_.end());
        describe(o, hist_, [&](double p) { return exact ? percentile(exact_, p) : hist_.quantile(p); }, bound_ms);
        if (!exact && samples > 0) m["percentiles"] = "histogram (relative error < 3.2 %)";
        m["negative_samples"] = negative_;
        m["unreadable_samples"] = unreadable_;
        if (negative_) m["lowest_ms"] = util::round3(static_cast<double>(lowest_) / 1000.0);
        if (unreadable_) m["unreadable"] = unreadable_why_;
        judge(o, match->describe(60));
        if (o.status == CheckOutcome::Status::fail) {
            if (unreadable_) o.evidence = {first_unreadable_};
            else if (negative_) o.evidence = negative_at_;
            else if (worst_idx_ != kNone && samples > 0) o.evidence = {worst_idx_};
        }
        return o;
    }

    /// The figures of a histogram; `q` gives a percentile in microseconds.
    template <class Q>
    static void describe(CheckOutcome& o, const Histogram& h, Q q, double bound_ms) {
        auto& m = o.measurements;
        auto ms = [](std::int64_t us) { return util::round3(static_cast<double>(us) / 1000.0); };
        m["clock"] = kClock;
        m["samples"] = h.count();
        m["bound_ms"] = util::round3(bound_ms);
        if (h.count() > 0) {
            m["min_ms"] = ms(h.min());
            m["mean_ms"] = util::round3(h.mean() / 1000.0);
            m["p50_ms"] = ms(q(0.50));
            m["p90_ms"] = ms(q(0.90));
            m["p99_ms"] = ms(q(0.99));
            m["max_ms"] = ms(h.max());
        }
        m["histogram"] = h.to_json();
    }

    /// The verdict from the measurements alone, so that one run and merged shards are judged alike.
    static void judge(CheckOutcome& o, const std::string& matching) {
        const auto& m = o.measurements;
        const auto samples = m.at("samples").get<std::uint64_t>();
        const auto negative = m.at("negative_samples").get<std::uint64_t>();
        const auto unreadable = m.at("unreadable_samples").get<std::uint64_t>();
        if (unreadable) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{} ({} of {} matching messages have no readable timestamp)",
                                   m.value("unreadable", std::string("unreadable timestamps")), unreadable,
                                   unreadable + samples + negative);
            return;
        }
        if (negative > 0) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format(
                "clock skew: {} of {} latencies are negative (down to {} ms): the target's clock is ahead of the harness's; "
                "latency {}",
                negative, negative + samples, util::num(m.at("lowest_ms").get<double>()), kClock);
            return;
        }
        if (samples == 0) {
            o.status = CheckOutcome::Status::fail;
            o.reason = "not enough samples: no message matching " + matching;
            return;
        }
        const double p99 = m.at("p99_ms").get<double>(), bound = m.at("bound_ms").get<double>();
        if (p99 > bound) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("p99 latency {} ms exceeds the bound of {} ms (max {} ms over {} samples; {})",
                                   util::num(p99), util::num(bound), util::num(m.at("max_ms").get<double>()), samples, kClock);
            return;
        }
        o.status = CheckOutcome::Status::pass;
    }

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    static constexpr std::size_t kEvidence = 20;
    PointerScratch scratch_;           // JSON decoded from a string on the way to the timestamp
    std::vector<std::int64_t> exact_;  // the first kExact samples (us)
    Histogram hist_;                   // every sample
    std::uint64_t negative_ = 0, unreadable_ = 0;
    std::int64_t lowest_ = 0;          // the most negative latency
    std::vector<std::size_t> negative_at_;
    std::size_t first_unreadable_ = 0;
    std::string unreadable_why_;
    std::int64_t worst_ = -1;
    std::size_t worst_idx_ = kNone;
};

/// Shards add up: sample counts add, histograms merge, percentiles come from the merged
/// histogram (relative error < 3.2 %), and the verdict is judged again.
CheckOutcome merge(const std::vector<nlohmann::json>& shards) {
    CheckOutcome o;
    Histogram h;
    std::uint64_t negative = 0, unreadable = 0;
    double lowest = 0, bound = -1;
    std::string why;
    for (const auto& s : shards) {
        for (const char* key : {"histogram", "negative_samples", "unreadable_samples", "bound_ms"})
            if (!s.contains(key)) throw std::invalid_argument(std::string("no \"") + key + "\" (a results document of an older pushcheck?)");
        h.merge(Histogram::from_json(s.at("histogram")));
        const auto n = s.at("negative_samples").get<std::uint64_t>();
        if (n > 0) lowest = negative == 0 ? s.at("lowest_ms").get<double>() : std::min(lowest, s.at("lowest_ms").get<double>());
        negative += n;
        const auto u = s.at("unreadable_samples").get<std::uint64_t>();
        if (u > 0 && unreadable == 0) why = s.value("unreadable", std::string());
        unreadable += u;
        const double b = s.at("bound_ms").get<double>();
        if (bound >= 0 && b != bound) throw std::invalid_argument("the shards ran with different bound_ms");
        bound = b;
    }
    LatencyCheck::describe(o, h, [&](double p) { return h.quantile(p); }, std::max(bound, 0.0));
    auto& m = o.measurements;
    if (h.count() > 0) m["percentiles"] = "histogram (relative error < 3.2 %)";
    m["negative_samples"] = negative;
    m["unreadable_samples"] = unreadable;
    if (negative) m["lowest_ms"] = lowest;
    if (unreadable) m["unreadable"] = why;
    LatencyCheck::judge(o, "the profile's push pattern");
    return o;
}

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable& clients) {
    auto c = std::make_unique<LatencyCheck>();
    c->is_target.assign(clients.size(), 0);
    for (ClientId id : targets) c->is_target[id] = 1;
    c->match = p.pattern_or_profile("match", "push.match");
    c->pointer_text = p.string_or_profile("pointer", "push.timestamp_pointer");
    try {
        c->pointer = MessagePointer(nlohmann::json::json_pointer(c->pointer_text));
    } catch (const nlohmann::json::exception&) {
        p.fail("pointer", "expected a JSON pointer such as \"/data\", got \"" + c->pointer_text + "\"");
    }
    c->bound_ms = p.number_or_profile("bound_ms", "latency.bound_ms");
    c->format = timestamp_format_of(p);
    return c;
}

const CheckInfo kLatency{
    "latency",
    "receive time minus the message's own timestamp: p50/p90/p99/max; p99 within bound_ms, never negative (clock skew)",
    {{"match", ParamType::pattern},
     {"pointer", ParamType::pointer},
     {"bound_ms", ParamType::duration},
     {"timestamp_format", ParamType::choice, false, {"iso8601-utc", "epoch-s", "epoch-ms"}}},
    nullptr,
    &make,
    &merge,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kLatency);
} // namespace pushcheck::engine::checks
