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

    bool needs_transcript() const override { return true; }

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
        for (ClientId id : targets) {
            const std::string& name = ctx.clients().name(id);
            std::map<int, std::vector<std::size_t>> by_connection;
            for (std::size_t idx : matching(ctx, id, nullptr)) by_connection[events[idx].connection].push_back(idx);
            if (by_connection.empty()) return fail("not enough samples: " + name + " received no message", {});
            bool saw_final = false, saw_a = false, saw_b = false;
            for (const auto& [conn, msgs] : by_connection) {
                if (first) {
                    std::string why;
                    if (!first->matches(ctx.message(msgs.front()), &why))
                        return fail(fmt::format("{}: the first message of connection {} ({}) does not match: {}", name, conn,
                                                util::preview(events[msgs.front()]), why),
                                    {msgs.front()});
                }
                if (nothing_after) {
                    for (std::size_t i = 0; i < msgs.size(); ++i) {
                        if (!nothing_after->matches(ctx.message(msgs[i]))) continue;
                        saw_final = true;
                        if (i + 1 < msgs.size())
                            return fail(fmt::format("{}: message {} arrived after {}", name, util::preview(events[msgs[i + 1]]),
                                                    util::preview(events[msgs[i]])),
                                        {msgs[i], msgs[i + 1]});
                        break;
                    }
                }
                if (before_a) {
                    std::size_t last_a = kNone, first_b = kNone;
                    for (std::size_t idx : msgs) {
                        const ParsedMessage& m = ctx.message(idx);
                        if (before_a->matches(m)) last_a = idx;
                        if (first_b == kNone && before_b->matches(m)) first_b = idx;
                    }
                    saw_a = saw_a || last_a != kNone;
                    saw_b = saw_b || first_b != kNone;
                    if (last_a != kNone && first_b != kNone && first_b < last_a)
                        return fail(fmt::format("{}: {} (matching the second pattern) arrived before {} (matching the first)", name,
                                                util::preview(events[first_b]), util::preview(events[last_a])),
                                    {first_b, last_a});
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
};

void validate(const nlohmann::json& check, const std::string& file, const std::string& ptr) {
    if (!check.contains("first") && !check.contains("nothing_after") && !check.contains("before"))
        throw ConfigError(file, ptr, "check ordering needs at least one of \"first\", \"nothing_after\" or \"before\"");
}

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable&) {
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
