// broadcast: while all members were joined, every member got the same pushes, no duplicates, no gaps.
#include "checks/common.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace pushcheck::engine::checks {
namespace {

class BroadcastCheck : public Check {
public:
    std::vector<ClientId> targets;
    PatternPtr match;
    std::string key_text;
    std::optional<nlohmann::json::json_pointer> key;

    struct Item {
        std::string key;
        std::size_t idx;
    };
    struct Member {
        ClientId id;
        int connection = 0;
        std::int64_t joined_us = 0, left_us = std::numeric_limits<std::int64_t>::max();
        std::vector<Item> seq;
    };

    bool needs_transcript() const override { return true; }

    CheckOutcome finish(CheckContext& ctx) override {
        const EventLog& events = ctx.events();
        const auto& names = ctx.clients();
        CheckOutcome o;
        auto fail = [&](std::string reason, std::vector<std::size_t> ev) {
            o.status = CheckOutcome::Status::fail;
            o.reason = std::move(reason);
            o.evidence = std::move(ev);
            cap(o.evidence);
            return o;
        };

        // Each member's last connection that opened; the window is while all of them were open.
        std::vector<Member> members;
        for (ClientId id : targets) {
            Member mb{id};
            std::size_t connected = kNone;
            for (std::size_t idx : ctx.events_of(id))
                if (events[idx].kind == EventKind::connected) connected = idx;
            if (connected == kNone) return fail("not enough samples: " + names.name(id) + " never connected", {});
            mb.connection = events[connected].connection;
            mb.joined_us = events[connected].t_us;
            for (std::size_t idx : ctx.events_of(id))
                if (events[idx].kind == EventKind::closed && events[idx].connection == mb.connection)
                    mb.left_us = std::min(mb.left_us, events[idx].t_us);
            members.push_back(std::move(mb));
        }
        std::int64_t window_end = std::numeric_limits<std::int64_t>::max();
        for (const auto& mb : members) window_end = std::min(window_end, mb.left_us);
        for (auto& mb : members) {
            for (std::size_t idx : ctx.events_of(mb.id)) {
                const Event& e = events[idx];
                if (e.kind != EventKind::received || e.connection != mb.connection || e.t_us > window_end) continue;
                const ParsedMessage& m = ctx.message(idx);
                if (!match->matches(m)) continue;
                mb.seq.push_back({key_of(e, m), idx});
            }
            if (mb.seq.empty())
                return fail("not enough samples: " + names.name(mb.id) + " received no message matching " + match->describe(60) +
                                " while all members were joined",
                            {});
        }

        // Align on the first push of the last member to join: earlier pushes predate the window.
        const Member* last = &members.front();
        for (const auto& mb : members)
            if (mb.joined_us >= last->joined_us) last = &mb;  // ties: the later-declared member
        const std::string k0 = last->seq.front().key;
        const std::size_t k0_idx = last->seq.front().idx;
        for (auto& mb : members) {
            auto it = std::find_if(mb.seq.begin(), mb.seq.end(), [&](const Item& x) { return x.key == k0; });
            if (it == mb.seq.end()) {
                if (const Item* other = same_tick(events, *last, mb, k0_idx))
                    return fail(fmt::format("members received different payloads at the same tick: {} got {} where {} (the "
                                            "last member to join) got {}, {} ms apart",
                                            names.name(mb.id), shown(other->key), names.name(last->id), shown(k0),
                                            util::num(std::abs(static_cast<double>(events[other->idx].t_us -
                                                                                   events[k0_idx].t_us)) / 1000.0)),
                                {other->idx, k0_idx});
                return fail(fmt::format("{} never received the push {} that {} (the last member to join) received first",
                                        names.name(mb.id), shown(k0), names.name(last->id)),
                            {k0_idx});
            }
            mb.seq.erase(mb.seq.begin(), it);
        }
        for (const auto& mb : members) {
            std::unordered_map<std::string_view, std::size_t> seen;
            for (const auto& x : mb.seq) {
                auto [it, fresh] = seen.emplace(x.key, x.idx);
                if (!fresh)
                    return fail(fmt::format("{} received the same push twice: {}", names.name(mb.id), shown(x.key)),
                                {it->second, x.idx});
            }
        }
        const Member* ref = &members.front();
        for (const auto& mb : members)
            if (mb.seq.size() > ref->seq.size()) ref = &mb;
        std::unordered_set<std::string_view> ref_keys;
        for (const auto& x : ref->seq) ref_keys.insert(x.key);
        std::size_t common = ref->seq.size();
        for (const auto& mb : members) {
            if (&mb == ref) continue;
            std::unordered_set<std::string_view> own;
            for (const auto& x : mb.seq) own.insert(x.key);
            for (std::size_t j = 0; j < mb.seq.size(); ++j) {
                const Item& got = mb.seq[j];
                const Item& want = ref->seq[j];
                if (got.key == want.key) continue;
                if (!ref_keys.count(got.key))
                    return fail(fmt::format("{} received a push that {} did not: {}", names.name(mb.id), names.name(ref->id),
                                            shown(got.key)),
                                {got.idx});
                if (!own.count(want.key))
                    return fail(fmt::format("{} missed the push {} that {} received", names.name(mb.id), shown(want.key),
                                            names.name(ref->id)),
                                {want.idx});
                return fail(fmt::format("{} received the pushes in another order than {}: {} where {} had {}",
                                        names.name(mb.id), names.name(ref->id), shown(got.key), names.name(ref->id),
                                        shown(want.key)),
                            {got.idx, want.idx});
            }
            // One push may be in flight to some members when the window closes.
            if (ref->seq.size() - mb.seq.size() > 1) {
                const Item& want = ref->seq[mb.seq.size()];
                return fail(fmt::format("{} missed the last {} pushes that {} received (from {})", names.name(mb.id),
                                        ref->seq.size() - mb.seq.size(), names.name(ref->id), shown(want.key)),
                            {want.idx});
            }
            common = std::min(common, mb.seq.size());
        }
        o.status = CheckOutcome::Status::pass;
        o.measurements["members"] = members.size();
        o.measurements["pushes"] = common;
        return o;
    }

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    static std::int64_t distance(const EventLog& events, std::size_t a, std::size_t b) {
        return std::abs(events[a].t_us - events[b].t_us);
    }
    /// The median gap between a member's pushes (0 with fewer than two).
    static std::int64_t median_gap(const EventLog& events, const Member& m) {
        std::vector<std::int64_t> gaps;
        for (std::size_t i = 1; i < m.seq.size(); ++i) gaps.push_back(distance(events, m.seq[i].idx, m.seq[i - 1].idx));
        if (gaps.empty()) return 0;
        std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
        return gaps[gaps.size() / 2];
    }
    /// The push of `mb` at the same tick as push `at` of `last`: each other's nearest in time and
    /// closer than half a tick, so `mb` got another payload then rather than missing one.
    static const Item* same_tick(const EventLog& events, const Member& last, const Member& mb, std::size_t at) {
        const Item* near = nullptr;
        for (const auto& x : mb.seq)
            if (!near || distance(events, x.idx, at) < distance(events, near->idx, at)) near = &x;
        if (!near) return nullptr;
        for (const auto& y : last.seq)
            if (y.idx != at && distance(events, y.idx, near->idx) <= distance(events, at, near->idx)) return nullptr;
        std::int64_t tick = 0;
        for (std::int64_t g : {median_gap(events, last), median_gap(events, mb)})
            if (g > 0 && (tick == 0 || g < tick)) tick = g;
        if (tick > 0 && 2 * distance(events, near->idx, at) >= tick) return nullptr;
        return near;
    }

    std::string key_of(const Event& e, const ParsedMessage& m) const {
        if (m.kind != ParsedMessage::Kind::json) return e.data;
        if (!key) return m.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        try {
            if (m.value.contains(*key)) return m.value.at(*key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        } catch (const nlohmann::json::exception&) {
        }
        return "(no " + key_text + ")";
    }
    static std::string shown(const std::string& k) { return k.size() > 80 ? k.substr(0, 80) + "..." : k; }
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable&) {
    auto c = std::make_unique<BroadcastCheck>();
    if (targets.size() < 2) p.fail("client", "broadcast needs at least two clients (a group or a list)");
    c->targets = std::move(targets);
    c->match = p.pattern_or_profile("match", "push.match");
    c->key_text = p.string_or("key", "");
    if (!c->key_text.empty()) {
        try {
            c->key = nlohmann::json::json_pointer(c->key_text);
        } catch (const nlohmann::json::exception&) {
            p.fail("key", "expected a JSON pointer such as \"/data\" (or \"\" for the whole message)");
        }
    }
    return c;
}

const CheckInfo kBroadcast{
    "broadcast",
    "while all members were joined, every member received the same sequence of pushes: no duplicates, no gaps",
    {{"match", ParamType::pattern}, {"key", ParamType::pointer}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kBroadcast);
} // namespace pushcheck::engine::checks
