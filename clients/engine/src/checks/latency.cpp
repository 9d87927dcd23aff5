// latency: receive wall time minus the timestamp the target put in the message.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::checks {
namespace {

constexpr const char* kClock = "assumes target and harness share a clock (same host or NTP-synchronised)";

class LatencyCheck : public Check {
public:
    std::vector<ClientId> targets;
    PatternPtr match;
    nlohmann::json::json_pointer pointer;
    std::string pointer_text;
    double bound_ms = 0;

    CheckOutcome run(CheckContext& ctx) const override {
        const auto& events = ctx.transcript().events;
        std::vector<std::int64_t> lat;  // microseconds, non-negative
        std::vector<std::pair<std::int64_t, std::size_t>> negative;
        std::size_t unreadable = 0, first_unreadable = 0;
        std::string unreadable_why;
        std::size_t worst_idx = 0;
        std::int64_t worst = -1;
        for (ClientId id : targets)
            for (std::size_t idx : matching(ctx, id, match.get())) {
                const ParsedMessage& m = ctx.message(idx);
                std::optional<std::int64_t> ts;
                std::string got = "nothing (no such key)";
                if (m.kind == ParsedMessage::Kind::json) {
                    const nlohmann::json* v = find(m.value);
                    if (v) {
                        got = show_json(*v, 60);
                        if (v->is_string()) ts = parse_iso8601_utc(v->get_ref<const std::string&>());
                    }
                } else {
                    got = "a message that is not JSON";
                }
                if (!ts) {
                    if (unreadable++ == 0) {
                        first_unreadable = idx;
                        unreadable_why = "at " + pointer_text + ": expected an ISO-8601 UTC timestamp, got " + got;
                    }
                    continue;
                }
                std::int64_t l = events[idx].wall_us - *ts;
                if (l < 0) {
                    negative.emplace_back(l, idx);
                    continue;
                }
                lat.push_back(l);
                ctx.result().latency.add(l);
                if (l > worst) {
                    worst = l;
                    worst_idx = idx;
                }
            }

        CheckOutcome o;
        auto& m = o.measurements;
        m["clock"] = kClock;
        m["samples"] = lat.size();
        m["negative_samples"] = negative.size();
        m["bound_ms"] = util::round3(bound_ms);
        std::sort(lat.begin(), lat.end());
        auto ms = [](std::int64_t us) { return util::round3(static_cast<double>(us) / 1000.0); };
        if (!lat.empty()) {
            long double sum = 0;
            for (auto l : lat) sum += l;
            m["min_ms"] = ms(lat.front());
            m["mean_ms"] = util::round3(static_cast<double>(sum / lat.size()) / 1000.0);
            m["p50_ms"] = ms(percentile(lat, 0.50));
            m["p90_ms"] = ms(percentile(lat, 0.90));
            m["p99_ms"] = ms(percentile(lat, 0.99));
            m["max_ms"] = ms(lat.back());
        }
        if (unreadable) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{} ({} of {} matching messages have no readable timestamp)", unreadable_why, unreadable,
                                   unreadable + lat.size() + negative.size());
            o.evidence = {first_unreadable};
            return o;
        }
        if (!negative.empty()) {
            auto low = std::min_element(negative.begin(), negative.end());
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format(
                "clock skew: {} of {} latencies are negative (down to {} ms): the target's clock is ahead of the harness's; "
                "latency {}",
                negative.size(), negative.size() + lat.size(), util::num(static_cast<double>(low->first) / 1000.0), kClock);
            for (const auto& n : negative) o.evidence.push_back(n.second);
            cap(o.evidence);
            return o;
        }
        if (lat.empty()) {
            o.status = CheckOutcome::Status::fail;
            o.reason = "not enough samples: no message matching " + match->describe(60);
            return o;
        }
        const double p99 = static_cast<double>(percentile(lat, 0.99)) / 1000.0;
        if (p99 > bound_ms) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("p99 latency {} ms exceeds the bound of {} ms (max {} ms over {} samples; {})",
                                   util::num(p99), util::num(bound_ms), util::num(static_cast<double>(lat.back()) / 1000.0),
                                   lat.size(), kClock);
            o.evidence = {worst_idx};
            return o;
        }
        o.status = CheckOutcome::Status::pass;
        return o;
    }

private:
    const nlohmann::json* find(const nlohmann::json& v) const {
        try {
            if (!v.contains(pointer)) return nullptr;
            return &v.at(pointer);
        } catch (const nlohmann::json::exception&) {
            return nullptr;  // e.g. "/data/x" into an array
        }
    }
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable&) {
    auto c = std::make_unique<LatencyCheck>();
    c->targets = std::move(targets);
    c->match = p.pattern_or_profile("match", "push.match");
    c->pointer_text = p.string_or_profile("pointer", "push.timestamp_pointer");
    try {
        c->pointer = nlohmann::json::json_pointer(c->pointer_text);
    } catch (const nlohmann::json::exception&) {
        p.fail("pointer", "expected a JSON pointer such as \"/data\", got \"" + c->pointer_text + "\"");
    }
    c->bound_ms = p.number_or_profile("bound_ms", "latency.bound_ms");
    return c;
}

const CheckInfo kLatency{
    "latency",
    "receive time minus the message's own timestamp: p50/p90/p99/max; p99 within bound_ms, never negative (clock skew)",
    {{"match", ParamType::pattern}, {"pointer", ParamType::pointer}, {"bound_ms", ParamType::duration}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kLatency);
} // namespace pushcheck::engine::checks
