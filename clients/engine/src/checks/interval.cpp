// interval: cadence of matching messages per client: mean, jitter, drift; gaps within tolerance.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::checks {
namespace {

// A fold: per client the previous matching message and the current run's start; over all
// clients running mean/variance (Welford), min, max, and each client's first gap outside
// the tolerance (its two messages kept as evidence). Series for charts are bounded.
class IntervalCheck : public Check {
public:
    static constexpr std::size_t kSeriesClients = 64;   // clients that get a chart series
    static constexpr std::size_t kSeriesValues = 4096;  // values per series

    std::vector<ClientId> targets;
    std::vector<std::int32_t> slot_of;  // by client id: its index in targets, -1 if none
    PatternPtr match;
    double nominal = 0, pct = 0, min_ms = 0;
    std::int64_t min_samples = 3;
    bool grade = true;

    void observe(CheckContext& ctx, std::size_t idx, ClientId id) override {
        const Event& e = ctx.events()[idx];
        if (e.kind != EventKind::received) return;
        if (id == kNoClient || slot_of[id] < 0) return;
        if (!match->matches(ctx.message(idx))) return;
        PerClient& c = per_[static_cast<std::size_t>(slot_of[id])];
        // Gaps are measured within one connection: a reconnect starts a new run.
        if (c.n > 0 && e.connection == c.prev_conn) {
            const double gap = static_cast<double>(e.t_us - c.prev_t) / 1000.0;
            ++c.gaps;
            ++count_;
            const double d = gap - mean_;
            mean_ += d / static_cast<double>(count_);
            m2_ += d * (gap - mean_);
            min_ = count_ == 1 ? gap : std::min(min_, gap);
            max_ = count_ == 1 ? gap : std::max(max_, gap);
            if (c.series && c.series->values.size() < kSeriesValues) c.series->values.push_back(gap);
            if (gap < nominal - tol() || gap > nominal + tol()) {
                ++outside_;
                if (!c.outside) {
                    c.outside = Outside{c.prev_idx, idx, gap, c.prev_t, e.t_us};
                    ctx.keep(c.prev_idx);
                    ctx.keep(idx);
                }
            }
            ++c.n;
        } else {
            c.close_run(nominal);
            c.first_t = e.t_us;
            c.n = 1;
        }
        c.prev_idx = idx;
        c.prev_t = e.t_us;
        c.prev_conn = e.connection;
    }

    CheckOutcome finish(CheckContext& ctx) override {
        const double tolerance = tol();
        double worst_drift = 0;
        std::vector<std::pair<ClientId, std::int64_t>> short_of;
        const Outside* first = nullptr;
        ClientId first_client = kNoClient;
        CheckOutcome o;
        for (std::size_t k = 0; k < targets.size(); ++k) {
            PerClient& c = per_[k];
            c.close_run(nominal);
            if (std::fabs(c.drift) > std::fabs(worst_drift)) worst_drift = c.drift;
            if (c.gaps < min_samples) short_of.emplace_back(targets[k], c.gaps);
            if (c.outside) {
                if (!first) first = &*c.outside, first_client = targets[k];
                if (o.evidence.size() < 20) {
                    o.evidence.push_back(c.outside->a);
                    o.evidence.push_back(c.outside->b);
                }
            }
            if (k < kSeriesClients) {
                Series sr;
                sr.name = "interval " + ctx.clients().name(targets[k]);
                sr.unit = "ms";
                sr.nominal = nominal;
                sr.tolerance = tolerance;
                if (c.series) sr.values = std::move(c.series->values);
                ctx.result().series.push_back(std::move(sr));
            }
        }

        auto& m = o.measurements;
        m["samples"] = count_;
        m["nominal_ms"] = util::round3(nominal);
        m["tolerance_ms"] = util::round3(tolerance);
        if (count_ > 0) {
            m["mean_ms"] = util::round3(mean_);
            m["jitter_ms"] = util::round3(std::sqrt(m2_ / static_cast<double>(count_)));
            m["drift_ms"] = util::round3(worst_drift);
            m["min_ms"] = util::round3(min_);
            m["max_ms"] = util::round3(max_);
        }
        m["outside"] = outside_;
        if (targets.size() > kSeriesClients) m["series_clients"] = kSeriesClients;

        if (!short_of.empty()) {
            o.status = CheckOutcome::Status::fail;
            o.evidence.clear();
            o.reason = fmt::format("not enough samples: {} had {} gap(s) between messages matching {}, need {}",
                                   ctx.clients().name(short_of[0].first), short_of[0].second, match->describe(60), min_samples);
            if (short_of.size() > 1) o.reason += fmt::format(" ({} more clients short)", short_of.size() - 1);
            return o;
        }
        if (grade && first) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{}: gap of {} ms (messages at {} and {}) is outside {} +- {} ms; {} of {} gaps outside",
                                   ctx.clients().name(first_client), util::num(first->gap), at_us(first->t_a),
                                   at_us(first->t_b), util::num(nominal), util::num(tolerance), outside_, count_);
            return o;
        }
        o.evidence.clear();
        o.status = grade ? CheckOutcome::Status::pass : CheckOutcome::Status::measured;
        return o;
    }

    void prepare_series() {
        per_.resize(targets.size());
        for (std::size_t k = 0; k < targets.size() && k < kSeriesClients; ++k) per_[k].series.emplace();
    }

private:
    struct Outside {
        std::size_t a, b;
        double gap;
        std::int64_t t_a, t_b;
    };
    struct PerClient {
        std::size_t prev_idx = 0;
        std::int64_t prev_t = 0, first_t = 0;
        int prev_conn = 0;
        std::int64_t n = 0;     // messages in the current run
        std::int64_t gaps = 0;  // gaps measured, all runs
        double drift = 0;
        std::optional<Outside> outside;  // the first gap outside the tolerance
        std::optional<Series> series;    // values for the chart (first clients only)
        void close_run(double nominal) {
            if (n >= 2) drift += static_cast<double>(prev_t - first_t) / 1000.0 - static_cast<double>(n - 1) * nominal;
            n = 0;
        }
    };

    double tol() const { return std::max(nominal * pct / 100.0, min_ms); }
    static std::string at_us(std::int64_t t_us) { return util::num(static_cast<double>(t_us) / 1e6) + " s"; }

    std::vector<PerClient> per_;
    std::uint64_t count_ = 0, outside_ = 0;
    double mean_ = 0, m2_ = 0, min_ = 0, max_ = 0;
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable& clients) {
    auto c = std::make_unique<IntervalCheck>();
    c->targets = std::move(targets);
    c->slot_of.assign(clients.size(), -1);
    for (std::size_t k = 0; k < c->targets.size(); ++k) c->slot_of[c->targets[k]] = static_cast<std::int32_t>(k);
    c->match = p.pattern_or_profile("match", "push.match");
    c->nominal = p.number_or_profile("nominal_ms", "push.interval_ms");
    if (c->nominal <= 0) p.fail("nominal_ms", "expected a number > 0");
    c->pct = p.number_or_profile("tolerance_pct", "push.tolerance_pct");
    c->min_ms = p.number_or_profile("tolerance_min_ms", "push.tolerance_min_ms");
    c->min_samples = p.integer_or("min_samples", 3);
    c->grade = p.string_or("grade", "gaps") == "gaps";
    c->prepare_series();
    return c;
}

const CheckInfo kInterval{
    "interval",
    "inter-arrival times of matching messages per client: mean, jitter, drift; every gap within nominal +- tolerance",
    {{"match", ParamType::pattern},
     {"nominal_ms", ParamType::duration},
     {"tolerance_pct", ParamType::number, false, {}, 0},
     {"tolerance_min_ms", ParamType::duration},
     {"min_samples", ParamType::integer, false, {}, 1},
     {"grade", ParamType::choice, false, {"gaps", "none"}}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kInterval);
} // namespace pushcheck::engine::checks
