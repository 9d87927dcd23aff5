// ordering: which message comes first, that nothing follows a final one, that A precedes B.
#include "pushcheck/engine/error.hpp"
#include "checks/common.hpp"

#include <fmt/format.h>

#include <map>

namespace pushcheck::engine::checks {
namespace {

class OrderingCheck : public Check {
public:
    std::vector<ClientId> targets;
    PatternPtr first, nothing_after, before_a, before_b;

    void start(std::size_t clients) {
        slot_.assign(clients, kNone);
        for (std::size_t i = 0; i < targets.size(); ++i) slot_[targets[i]] = i;
        state_.resize(targets.size());
    }

    // A fold: per connection, the few messages a verdict can point at.
    void observe(CheckContext& ctx, std::size_t idx, ClientId client) override {
        if (client == kNoClient || client >= slot_.size() || slot_[client] == kNone) return;
        const Event& e = ctx.events()[idx];
        if (e.kind != EventKind::received) return;
        Conn& c = state_[slot_[client]][e.connection];
        const ParsedMessage& m = ctx.message(idx);
        if (c.first == kNone) {
            c.first = idx;
            c.first_ok = !first || first->matches(m, &c.first_why);
            if (!c.first_ok) ctx.keep(idx);
        }
        if (nothing_after) {
            if (c.final_msg != kNone && c.after_final == kNone) {
                c.after_final = idx;
                ctx.keep(idx);
            } else if (c.final_msg == kNone && nothing_after->matches(m)) {
                c.final_msg = idx;
                ctx.keep(idx);
            }
        }
        if (before_a) {
            if (before_a->matches(m)) {
                if (c.last_a != kNone) ctx.release(c.last_a);
                c.last_a = idx;
                ctx.keep(idx);
            }
            if (c.first_b == kNone && before_b->matches(m)) {
                c.first_b = idx;
                ctx.keep(idx);
            }
        }
    }

    CheckOutcome finish(CheckContext& ctx) override {
        const EventLog& events = ctx.events();
        CheckOutcome o;
        auto fail = [&](std::string reason, std::vector<std::size_t> ev) {
            o.status = CheckOutcome::Status::fail;
            o.reason = std::move(reason);
            o.evidence = std::move(ev);
            return o;
        };
        std::size_t judged = 0;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const std::string& name = ctx.clients().name(targets[i]);
            const auto& by_connection = state_[i];
            if (by_connection.empty()) return fail("not enough samples: " + name + " received no message", {});
            bool saw_final = false, saw_a = false, saw_b = false;
            for (const auto& [conn, c] : by_connection) {
                if (first && c.first != kNone && !c.first_ok)
                    return fail(fmt::format("{}: the first message of connection {} ({}) does not match: {}", name, conn,
                                            util::preview(events[c.first]), c.first_why),
                                {c.first});
                if (nothing_after && c.final_msg != kNone) {
                    saw_final = true;
                    if (c.after_final != kNone)
                        return fail(fmt::format("{}: message {} arrived after {}", name, util::preview(events[c.after_final]),
                                                util::preview(events[c.final_msg])),
                                    {c.final_msg, c.after_final});
                }
                if (before_a) {
                    saw_a = saw_a || c.last_a != kNone;
                    saw_b = saw_b || c.first_b != kNone;
                    if (c.last_a != kNone && c.first_b != kNone && c.first_b < c.last_a)
                        return fail(fmt::format("{}: {} (matching the second pattern) arrived before {} (matching the first)", name,
                                                util::preview(events[c.first_b]), util::preview(events[c.last_a])),
                                    {c.first_b, c.last_a});
                }
            }
            if (nothing_after && !saw_final)
                return fail("not enough samples: " + name + " received no message matching " + nothing_after->describe(60), {});
            if (before_a && !(saw_a && saw_b))
                return fail("not enough samples: " + name + " received no message matching " +
                                (saw_a ? before_b : before_a)->describe(60),
                            {});
            ++judged;
        }
        o.status = CheckOutcome::Status::pass;
        o.measurements["clients"] = judged;
        return o;
    }

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    struct Conn {
        std::size_t first = kNone;      // its first message
        bool first_ok = true;           // it matches `first`
        std::string first_why;          // why it does not
        std::size_t final_msg = kNone;  // the first message matching `nothing_after`
        std::size_t after_final = kNone;  // the first message after that one
        std::size_t last_a = kNone, first_b = kNone;
    };
    std::vector<std::size_t> slot_;  // client id -> index in targets (kNone: not a target)
    std::vector<std::map<int, Conn>> state_;
};

void validate(const nlohmann::json& check, const std::string& file, const std::string& ptr) {
    if (!check.contains("first") && !check.contains("nothing_after") && !check.contains("before"))
        throw ConfigError(file, ptr, "check ordering needs at least one of \"first\", \"nothing_after\" or \"before\"");
}

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable& clients) {
    auto c = std::make_unique<OrderingCheck>();
    c->targets = std::move(targets);
    c->first = p.optional_pattern("first");
    c->nothing_after = p.optional_pattern("nothing_after");
    if (p.has("before")) {
        c->before_a = p.pattern_at("before", 0);
        c->before_b = p.pattern_at("before", 1);
        if (p.raw("before").size() != 2) p.fail("before", "expected [pattern, pattern]");
    }
    if (!c->first && !c->nothing_after && !c->before_a)
        p.fail("", "check ordering needs at least one of \"first\", \"nothing_after\" or \"before\"");
    c->start(clients.size());
    return c;
}

const CheckInfo kOrdering{
    "ordering",
    "per connection: the first message matches `first`; nothing follows `nothing_after`; every `before`[0] precedes every [1]",
    {{"first", ParamType::pattern}, {"nothing_after", ParamType::pattern}, {"before", ParamType::pattern_pair}},
    &validate,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kOrdering);
} // namespace pushcheck::engine::checks
