// interval: cadence of matching messages per client: mean, jitter, drift; gaps within tolerance.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::checks {
namespace {

class IntervalCheck : public Check {
public:
    std::vector<ClientId> targets;
    PatternPtr match;
    double nominal = 0, pct = 0, min_ms = 0;
    std::int64_t min_samples = 3;
    bool grade = true;

    CheckOutcome run(CheckContext& ctx) const override {
        const double tol = std::max(nominal * pct / 100.0, min_ms);
        const auto& events = ctx.transcript().events;
        std::vector<double> all;
        struct Outside { ClientId client; std::size_t a, b; double gap; };
        std::vector<Outside> outside;
        std::vector<std::pair<ClientId, std::size_t>> short_of;
        double worst_drift = 0;
        for (ClientId id : targets) {
            Series s;
            s.name = "interval " + ctx.clients().name(id);
            s.unit = "ms";
            s.nominal = nominal;
            s.tolerance = tol;
            double drift = 0;
            std::size_t prev = kNone, first = kNone, n = 0;
            auto close_run = [&] {
                if (n >= 2) drift += static_cast<double>(events[prev].t_us - events[first].t_us) / 1000.0 - static_cast<double>(n - 1) * nominal;
            };
            for (std::size_t idx : matching(ctx, id, match.get())) {
                // Gaps are measured within one connection: a reconnect starts a new run.
                if (prev != kNone && events[idx].connection == events[prev].connection) {
                    double gap = static_cast<double>(events[idx].t_us - events[prev].t_us) / 1000.0;
                    s.values.push_back(gap);
                    all.push_back(gap);
                    if (gap < nominal - tol || gap > nominal + tol) outside.push_back({id, prev, idx, gap});
                    ++n;
                } else {
                    close_run();
                    first = idx;
                    n = 1;
                }
                prev = idx;
            }
            close_run();
            if (std::fabs(drift) > std::fabs(worst_drift)) worst_drift = drift;
            if (static_cast<std::int64_t>(s.values.size()) < min_samples) short_of.emplace_back(id, s.values.size());
            ctx.result().series.push_back(std::move(s));
        }

        CheckOutcome o;
        auto& m = o.measurements;
        m["samples"] = all.size();
        m["nominal_ms"] = util::round3(nominal);
        m["tolerance_ms"] = util::round3(tol);
        if (!all.empty()) {
            double sum = 0;
            for (double g : all) sum += g;
            const double mean = sum / static_cast<double>(all.size());
            double var = 0;
            for (double g : all) var += (g - mean) * (g - mean);
            m["mean_ms"] = util::round3(mean);
            m["jitter_ms"] = util::round3(std::sqrt(var / static_cast<double>(all.size())));
            m["drift_ms"] = util::round3(worst_drift);
            m["min_ms"] = util::round3(*std::min_element(all.begin(), all.end()));
            m["max_ms"] = util::round3(*std::max_element(all.begin(), all.end()));
        }
        m["outside"] = outside.size();

        if (!short_of.empty()) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("not enough samples: {} had {} gap(s) between messages matching {}, need {}",
                                   ctx.clients().name(short_of[0].first), short_of[0].second, match->describe(60), min_samples);
            if (short_of.size() > 1) o.reason += fmt::format(" ({} more clients short)", short_of.size() - 1);
            return o;
        }
        if (grade && !outside.empty()) {
            const Outside& w = outside.front();
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{}: gap of {} ms (messages at {} and {}) is outside {} +- {} ms; {} of {} gaps outside",
                                   ctx.clients().name(w.client), util::num(w.gap), at_s(events[w.a]), at_s(events[w.b]),
                                   util::num(nominal), util::num(tol), outside.size(), all.size());
            for (const auto& x : outside) {
                o.evidence.push_back(x.a);
                o.evidence.push_back(x.b);
            }
            cap(o.evidence);
            return o;
        }
        o.status = grade ? CheckOutcome::Status::pass : CheckOutcome::Status::measured;
        return o;
    }

    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable&) {
    auto c = std::make_unique<IntervalCheck>();
    c->targets = std::move(targets);
    c->match = p.pattern_or_profile("match", "push.match");
    c->nominal = p.number_or_profile("nominal_ms", "push.interval_ms");
    if (c->nominal <= 0) p.fail("nominal_ms", "expected a number > 0");
    c->pct = p.number_or_profile("tolerance_pct", "push.tolerance_pct");
    c->min_ms = p.number_or_profile("tolerance_min_ms", "push.tolerance_min_ms");
    c->min_samples = p.integer_or("min_samples", 3);
    if (c->min_samples < 1) p.fail("min_samples", "expected an integer >= 1");
    c->grade = p.string_or("grade", "gaps") == "gaps";
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
