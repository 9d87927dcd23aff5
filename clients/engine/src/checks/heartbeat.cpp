// heartbeat: the server's application heartbeats (e.g. Socket.IO's "2", pusher:ping) come at
// least every interval while a client is connected, and the profile's auto_reply answers them.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::checks {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// A fold: per client the time of the connection's start or last heartbeat, the longest gap
// and the event that closed it (kept as evidence).
class HeartbeatCheck : public Check {
public:
    std::vector<std::int32_t> slot_of;  // by client id: its index in per_, -1 if none
    std::vector<ClientId> targets;
    PatternPtr match;
    double interval_ms = 0, pct = 25, min_ms = 100;

    bool sees_handled() const override { return true; }

    double limit_ms() const { return interval_ms + std::max(interval_ms * pct / 100.0, min_ms); }

    void observe(CheckContext& ctx, std::size_t idx, ClientId id) override {
        if (id == kNoClient || id >= slot_of.size() || slot_of[id] < 0) return;
        const Event& e = ctx.events()[idx];
        PerClient& c = per_[static_cast<std::size_t>(slot_of[id])];
        switch (e.kind) {
        case EventKind::connected:
            // A connection replaced without a `closed` (reconnect drops it unreported) is judged up to
            // its last heartbeat only: when it really ended is not known, so its tail is not a gap.
            c.open = true;
            c.conn = e.connection;
            c.since_t = e.t_us;
            c.since_idx = idx;
            break;
        case EventKind::closed:
            if (c.open && e.connection == c.conn) {
                gap(ctx, c, e.t_us, idx, /*closed=*/true);
                c.open = false;
            }
            break;
        case EventKind::received:
            if (!c.open || e.connection != c.conn || !match->matches(ctx.message(idx))) return;
            gap(ctx, c, e.t_us, idx, false);
            ++c.beats;
            if (e.handling == Handling::auto_replied) ++c.replied;
            c.since_t = e.t_us;
            c.since_idx = idx;
            break;
        default: break;
        }
    }

    CheckOutcome finish(CheckContext& ctx) override {
        const std::int64_t now = ctx.now_us();
        CheckOutcome o;
        std::uint64_t beats = 0, replied = 0;
        double worst = 0;
        const PerClient* bad = nullptr;
        ClientId bad_id = kNoClient;
        for (std::size_t k = 0; k < per_.size(); ++k) {
            PerClient& c = per_[k];
            if (c.open) gap(ctx, c, now, kNone, false);  // the time since the last one counts too
            beats += c.beats;
            replied += c.replied;
            worst = std::max(worst, c.max_gap_ms);
            if (c.late && !bad) {
                bad = &c;
                bad_id = targets[k];
            }
        }
        o.measurements["heartbeats"] = beats;
        o.measurements["auto_replied"] = replied;
        o.measurements["max_gap_ms"] = worst;
        o.measurements["interval_ms"] = interval_ms;
        if (bad) {
            o.status = CheckOutcome::Status::fail;
            const std::string& name = ctx.clients().name(bad_id);
            o.reason = fmt::format("client {}: {} for {} ms{} (limit {} ms: interval {} ms + {})", name,
                                   bad->late_first ? "no heartbeat after connecting" : "no heartbeat",
                                   util::num(bad->late_gap_ms), bad->late_closed ? ", until the connection ended" : "",
                                   util::num(limit_ms()), util::num(interval_ms),
                                   util::num(limit_ms() - interval_ms) + " ms tolerance");
            for (std::size_t i : {bad->late_from, bad->late_to})
                if (i != kNone) o.evidence.push_back(i);
        }
        return o;
    }

private:
    struct PerClient {
        bool open = false;
        int conn = -1;
        std::int64_t since_t = 0;
        std::size_t since_idx = kNone;
        std::uint64_t beats = 0, replied = 0;
        double max_gap_ms = 0;
        bool late = false, late_first = false, late_closed = false;
        double late_gap_ms = 0;
        std::size_t late_from = kNone, late_to = kNone;
    };

    void gap(CheckContext& ctx, PerClient& c, std::int64_t t, std::size_t idx, bool closed) {
        const double ms = static_cast<double>(t - c.since_t) / 1000.0;
        c.max_gap_ms = std::max(c.max_gap_ms, ms);
        if (ms > limit_ms() && !c.late) {
            c.late = true;
            c.late_first = c.beats == 0;
            c.late_closed = closed;
            c.late_gap_ms = ms;
            c.late_from = c.since_idx;
            c.late_to = idx;
            if (c.since_idx != kNone) ctx.keep(c.since_idx);
            if (idx != kNone) ctx.keep(idx);
        }
    }

    std::vector<PerClient> per_;

public:
    void init(std::size_t clients) {
        slot_of.assign(clients, -1);
        for (std::size_t k = 0; k < targets.size(); ++k) slot_of[targets[k]] = static_cast<std::int32_t>(k);
        per_.resize(targets.size());
    }
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable& table) {
    auto c = std::make_unique<HeartbeatCheck>();
    c->targets = std::move(targets);
    c->match = p.pattern_or_profile("match", "heartbeat.match");
    c->interval_ms = p.number_or_profile("interval_ms", "heartbeat.interval_ms");
    if (!(c->interval_ms > 0)) p.fail("interval_ms", "expected a heartbeat interval > 0 ms");
    c->pct = p.number_or("tolerance_pct", 25);
    c->min_ms = p.number_or("tolerance_min_ms", 100);
    c->init(table.size());
    return c;
}

const CheckInfo kHeartbeat{
    "heartbeat",
    "the server's heartbeats (`match`, default heartbeat.match) come at least every `interval_ms` (+ tolerance) "
    "while each client is connected; counts those the profile's auto_reply answered",
    {{"match", ParamType::pattern},
     {"interval_ms", ParamType::duration},
     {"tolerance_pct", ParamType::number, false, {}, 0, 1000},
     {"tolerance_min_ms", ParamType::duration}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kHeartbeat);
} // namespace pushcheck::engine::checks
