// stall_outcome: what the server did with a member that stopped reading and flooded it.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::checks {
namespace {

class StallOutcomeCheck : public Check {
public:
    ClientId target = kNoClient;
    PatternPtr match;

    // A fold: the flood's summary event, then on its connection the pushes after it and the close.
    void observe(CheckContext& ctx, std::size_t idx, ClientId client) override {
        const Event& e = ctx.events()[idx];
        last_us_ = std::max(last_us_, e.t_us);
        if (client != target) return;
        if (flood_ == kNone) {
            if (e.kind == EventKind::sent && e.flood) {
                flood_ = idx;
                ctx.keep(idx);
            }
            return;
        }
        const Event& f = ctx.events()[flood_];
        if (e.connection != f.connection) return;
        if (e.kind == EventKind::received && e.t_us >= f.t_us && match->matches(ctx.message(idx))) ++pushes_;
        if (e.kind == EventKind::sent && !e.flood && e.close_code != 0) by_client_ = true;
        if (e.kind == EventKind::closed && closed_ == kNone) {
            closed_ = idx;
            ctx.keep(idx);
            if (e.data.rfind("aborted by the client", 0) == 0) by_client_ = true;
        }
    }

    CheckOutcome finish(CheckContext& ctx) override {
        const EventLog& events = ctx.events();
        const std::string& name = ctx.clients().name(target);
        CheckOutcome o;
        if (flood_ == kNone) {
            o.status = CheckOutcome::Status::fail;
            o.reason = "not enough samples: " + name + " never flooded (no flood step ran for it)";
            return o;
        }
        const std::size_t flood = flood_, closed = closed_;
        const bool by_client = by_client_;  // the client closed or dropped it itself: no verdict on the server
        const std::int64_t pushes = pushes_;
        const Event& f = events[flood];
        const std::int64_t start_us = f.t_us - f.duration_us;

        auto& m = o.measurements;
        const double flood_ms = static_cast<double>(f.duration_us) / 1000.0;
        m["flood_frames"] = f.count;
        m["flood_bytes"] = f.size;
        m["flood_ms"] = util::round3(flood_ms);
        m["flood_frames_per_s"] = flood_ms > 0 ? util::round3(static_cast<double>(f.count) * 1000.0 / flood_ms) : 0.0;
        m["flood_stopped"] = f.data;
        m["pushes_after_flood"] = pushes;
        o.evidence.push_back(flood);
        const std::string flood_text = fmt::format("{} frames, {} bytes in {} ms ({})", f.count, f.size,
                                                   util::num(util::round3(flood_ms)), f.data);
        o.status = CheckOutcome::Status::measured;
        if (closed != kNone && !by_client) {
            const Event& c = events[closed];
            const double after_ms = static_cast<double>(c.t_us - start_us) / 1000.0;
            m["outcome"] = "cut_off";
            m["close_code"] = c.close_code;
            m["clean"] = c.clean;
            m["close_reason"] = c.data;
            m["cut_off_after_ms"] = util::round3(after_ms);
            o.evidence.push_back(closed);
            o.reason = fmt::format("{} was cut off: {}, noticed {} ms after its flood began (flood: {})", name,
                                   util::describe_close(c), util::num(util::round3(after_ms)), flood_text);
        } else {
            const std::int64_t end_us = closed != kNone ? events[closed].t_us : last_us_;
            m["outcome"] = "kept";
            m["kept_for_ms"] = util::round3(static_cast<double>(end_us - start_us) / 1000.0);
            o.reason = fmt::format("{} was kept: still joined {} ms after its flood began, {} push(es) after the flood "
                                   "(flood: {})",
                                   name, util::num(util::round3(static_cast<double>(end_us - start_us) / 1000.0)), pushes,
                                   flood_text);
        }
        return o;
    }

    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::int64_t last_us_ = 0;  // the last event of the run, of any client
    std::size_t flood_ = kNone;   // the target's first flood summary
    std::size_t closed_ = kNone;  // the first close of that connection after it
    bool by_client_ = false;
    std::int64_t pushes_ = 0;     // matching pushes on it after the flood ended
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable&) {
    if (targets.size() != 1) p.fail("client", "expected exactly one client: the member that stalled");
    auto c = std::make_unique<StallOutcomeCheck>();
    c->target = targets.front();
    c->match = p.pattern_or_profile("match", "push.match");
    return c;
}

const CheckInfo kStallOutcome{
    "stall_outcome",
    "reports what the server did with a client that stopped reading and flooded: cut it off (close code, after how "
    "long, after how many flood bytes) or kept it; figures only",
    {{"match", ParamType::pattern}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kStallOutcome);
} // namespace pushcheck::engine::checks
