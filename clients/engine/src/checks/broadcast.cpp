// broadcast: while all members were joined, every member got the same pushes, no duplicates, no gaps.
//
// A fold with memory bounded per member, not by the run's length. Each member holds the
// pushes it received that not every member has received yet (a digest: the key's hash, the
// event, its time and the key as shown in reasons). Once every member is aligned on the
// window's first push and the heads of all members agree, those pushes are committed: they
// leave every member's queue and only their count and a bounded set of their hashes stay
// (for telling a late duplicate from a push another member never got). So on a consistent
// server each member holds about one push at a time. A member whose queue passes kMaxQueue
// (a gap, a duplicate, a member that stopped receiving: commits stop) has the check judged
// at that moment, as if the window ended there; the verdict is then frozen.
#include "checks/common.hpp"
#include "engine/pointer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace pushcheck::engine::checks {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr std::size_t kRing = 8;          // pushes a member keeps before the window opens
constexpr std::size_t kMaxQueue = 256;    // uncommitted pushes of one member before judging
constexpr std::size_t kCommitted = 4096;  // hashes of committed pushes remembered

struct Item {
    std::uint64_t hash = 0;
    std::size_t idx = kNone;
    std::int64_t t_us = 0;
    std::string shown;  // the key as reasons show it
};

struct Member {
    ClientId id = kNoClient;
    bool connected = false;
    int connection = 0;
    std::int64_t joined_us = 0;
    bool closed = false;
    std::size_t received = 0;   // matching pushes on this connection within the window
    bool aligned = false;
    std::deque<Item> queue;     // received, not committed
    std::optional<Item> last_committed;
    std::optional<std::pair<Item, Item>> duplicate;  // the first duplicate: (earlier, again)
};

class BroadcastCheck : public Check {
public:
    std::vector<ClientId> targets;
    PatternPtr match;
    std::string key_text;
    std::optional<MessagePointer> key;

    void start(std::size_t clients) {
        slot_.assign(clients, kNone);
        for (std::size_t i = 0; i < targets.size(); ++i) {
            slot_[targets[i]] = i;
            members_.push_back(Member{targets[i]});
        }
    }

    void observe(CheckContext& ctx, std::size_t idx, ClientId client) override {
        if (frozen_ || client == kNoClient || client >= slot_.size() || slot_[client] == kNone) return;
        Member& mb = members_[slot_[client]];
        const Event& e = ctx.events()[idx];
        switch (e.kind) {
        case EventKind::connected:
            if (mb.connected && e.connection <= mb.connection) return;
            mb.connected = true;
            mb.connection = e.connection;
            mb.joined_us = e.t_us;
            mb.closed = false;
            mb.received = 0;
            while (!mb.queue.empty()) drop_front(ctx, mb);
            restart(ctx);
            return;
        case EventKind::closed:
            if (mb.connected && e.connection == mb.connection && !mb.closed) {
                mb.closed = true;
                window_closed_ = true;  // later pushes are past the window's end
            }
            return;
        case EventKind::received: break;
        default: return;
        }
        if (!mb.connected || e.connection != mb.connection || mb.closed || window_closed_) return;
        const ParsedMessage& m = ctx.message(idx);
        if (!match->matches(m)) return;
        const std::string k = key_of(e, m);
        Item item{std::hash<std::string>{}(k), idx, e.t_us, shown(k)};
        ++mb.received;
        if (mb.aligned && !mb.duplicate) {
            if (const Item* earlier = seen(mb, item.hash)) {
                mb.duplicate = std::make_pair(*earlier, item);
                ctx.keep(earlier->idx);
                ctx.keep(item.idx);
            }
        }
        hold(ctx, mb, std::move(item));
        if (!window_open_) {
            while (mb.queue.size() > kRing) drop_front(ctx, mb);
            return;
        }
        if (!mb.aligned) align(ctx, mb);
        commit(ctx);
        if (mb.queue.size() > kMaxQueue) {
            frozen_ = judge(ctx);
            for (std::size_t i : frozen_->evidence) ctx.keep(i);
            for (auto& other : members_) {  // the verdict is fixed: only its evidence stays
                while (!other.queue.empty()) drop_front(ctx, other);
                if (other.last_committed) ctx.release(other.last_committed->idx);
                other.last_committed.reset();
            }
        }
    }

    CheckOutcome finish(CheckContext& ctx) override {
        if (frozen_) return *frozen_;
        return judge(ctx);
    }

private:
    /// A member (re)connected: the window starts again once every member is connected, at
    /// the first push of the last of them to join; pushes before it do not count.
    void restart(CheckContext& ctx) {
        window_open_ = false;
        // The window ends when the first member leaves for good: a member still closed counts.
        window_closed_ = std::any_of(members_.begin(), members_.end(), [](const Member& m) { return m.closed; });
        k0_.reset();
        committed_ = 0;
        committed_set_.clear();
        committed_order_.clear();
        for (auto& mb : members_) {
            mb.aligned = false;
            mb.duplicate.reset();
            if (mb.last_committed) ctx.release(mb.last_committed->idx);
            mb.last_committed.reset();
            while (mb.queue.size() > kRing) drop_front(ctx, mb);
        }
        if (std::all_of(members_.begin(), members_.end(), [](const Member& m) { return m.connected; })) {
            window_open_ = true;
            last_ = &members_.front();
            for (auto& mb : members_)
                if (mb.joined_us >= last_->joined_us) last_ = &mb;  // ties: the later-declared member
        }
    }

    /// Aligns members on the window's first push: the first push of the last member to join.
    void align(CheckContext& ctx, Member& mb) {
        if (!k0_) {
            if (&mb != last_ || mb.queue.empty()) return;
            k0_ = mb.queue.front();
            for (auto& other : members_) try_align(ctx, other);
            return;
        }
        try_align(ctx, mb);
    }
    void try_align(CheckContext& ctx, Member& mb) {
        if (mb.aligned || !k0_) return;
        auto it = std::find_if(mb.queue.begin(), mb.queue.end(), [&](const Item& x) { return x.hash == k0_->hash; });
        if (it == mb.queue.end()) return;  // not yet (or never: judged from what it holds)
        for (auto n = it - mb.queue.begin(); n > 0; --n) drop_front(ctx, mb);
        mb.aligned = true;
    }

    /// Commits the pushes every aligned member received, in the same order.
    void commit(CheckContext& ctx) {
        for (const auto& mb : members_)
            if (!mb.aligned || mb.duplicate) return;
        for (;;) {
            for (const auto& mb : members_)
                if (mb.queue.empty()) return;
            const std::uint64_t h = members_.front().queue.front().hash;
            for (const auto& mb : members_)
                if (mb.queue.front().hash != h) return;
            for (auto& mb : members_) {
                if (mb.last_committed) ctx.release(mb.last_committed->idx);
                mb.last_committed = std::move(mb.queue.front());
                mb.queue.pop_front();  // its keep moves to last_committed
            }
            ++committed_;
            if (committed_set_.insert(h).second) committed_order_.push_back(h);
            if (committed_order_.size() > kCommitted) {
                committed_set_.erase(committed_order_.front());
                committed_order_.pop_front();
            }
        }
    }

    /// An earlier push of `mb` in the window with this hash, if one is known.
    const Item* seen(const Member& mb, std::uint64_t h) const {
        for (const auto& x : mb.queue)
            if (x.hash == h) return &x;
        if (mb.last_committed && mb.last_committed->hash == h) return &*mb.last_committed;
        if (committed_set_.count(h)) return mb.last_committed ? &*mb.last_committed : nullptr;
        return nullptr;
    }

    void hold(CheckContext& ctx, Member& mb, Item item) {
        ctx.keep(item.idx);
        mb.queue.push_back(std::move(item));
    }
    void drop_front(CheckContext& ctx, Member& mb) {
        ctx.release(mb.queue.front().idx);
        mb.queue.pop_front();
    }

    /// The verdict on what is held now: every step ended, or a queue passed its bound.
    CheckOutcome judge(CheckContext& ctx) {
        const auto& names = ctx.clients();
        CheckOutcome o;
        auto fail = [&](std::string reason, std::vector<std::size_t> ev) {
            o.status = CheckOutcome::Status::fail;
            o.reason = std::move(reason);
            o.evidence = std::move(ev);
            cap(o.evidence);
            return o;
        };
        for (const auto& mb : members_)
            if (!mb.connected) return fail("not enough samples: " + names.name(mb.id) + " never connected", {});
        for (const auto& mb : members_)
            if (mb.received == 0)
                return fail("not enough samples: " + names.name(mb.id) + " received no message matching " + match->describe(60) +
                                " while all members were joined",
                            {});
        // Alignment: every member received the first push of the last member to join.
        if (!k0_ && last_->queue.empty())
            return fail("not enough samples: " + names.name(last_->id) + " received no message matching " +
                            match->describe(60) + " while all members were joined",
                        {});
        const Item& k0 = k0_ ? *k0_ : last_->queue.front();
        for (const auto& mb : members_) {
            if (mb.aligned || &mb == last_) continue;
            if (const Item* other = same_tick(*last_, mb, k0))
                return fail(fmt::format("members received different payloads at the same tick: {} got {} where {} (the "
                                        "last member to join) got {}, {} ms apart",
                                        names.name(mb.id), other->shown, names.name(last_->id), k0.shown,
                                        util::num(std::abs(static_cast<double>(other->t_us - k0.t_us)) / 1000.0)),
                            {other->idx, k0.idx});
            return fail(fmt::format("{} never received the push {} that {} (the last member to join) received first",
                                    names.name(mb.id), k0.shown, names.name(last_->id)),
                        {k0.idx});
        }
        for (const auto& mb : members_) {
            if (mb.duplicate)
                return fail(fmt::format("{} received the same push twice: {}", names.name(mb.id), mb.duplicate->second.shown),
                            {mb.duplicate->first.idx, mb.duplicate->second.idx});
            std::unordered_map<std::uint64_t, std::size_t> in_queue;
            for (const auto& x : mb.queue) {
                auto [it, fresh] = in_queue.emplace(x.hash, x.idx);
                if (!fresh)
                    return fail(fmt::format("{} received the same push twice: {}", names.name(mb.id), x.shown), {it->second, x.idx});
            }
        }
        // Every member received what the member with the most pushes received, in its order.
        const Member* ref = &members_.front();
        for (const auto& mb : members_)
            if (mb.queue.size() > ref->queue.size()) ref = &mb;
        std::unordered_set<std::uint64_t> ref_keys;
        for (const auto& x : ref->queue) ref_keys.insert(x.hash);
        std::size_t common = ref->queue.size();
        for (const auto& mb : members_) {
            if (&mb == ref) continue;
            std::unordered_set<std::uint64_t> own;
            for (const auto& x : mb.queue) own.insert(x.hash);
            for (std::size_t j = 0; j < mb.queue.size(); ++j) {
                const Item& got = mb.queue[j];
                const Item& want = ref->queue[j];
                if (got.hash == want.hash) continue;
                if (!ref_keys.count(got.hash) && !committed_set_.count(got.hash))
                    return fail(fmt::format("{} received a push that {} did not: {}", names.name(mb.id), names.name(ref->id),
                                            got.shown),
                                {got.idx});
                if (!own.count(want.hash))
                    return fail(fmt::format("{} missed the push {} that {} received", names.name(mb.id), want.shown,
                                            names.name(ref->id)),
                                {want.idx});
                return fail(fmt::format("{} received the pushes in another order than {}: {} where {} had {}",
                                        names.name(mb.id), names.name(ref->id), got.shown, names.name(ref->id), want.shown),
                            {got.idx, want.idx});
            }
            // One push may be in flight to some members when the window closes.
            if (ref->queue.size() - mb.queue.size() > 1) {
                const Item& want = ref->queue[mb.queue.size()];
                return fail(fmt::format("{} missed the last {} pushes that {} received (from {})", names.name(mb.id),
                                        ref->queue.size() - mb.queue.size(), names.name(ref->id), want.shown),
                            {want.idx});
            }
            common = std::min(common, mb.queue.size());
        }
        o.status = CheckOutcome::Status::pass;
        o.measurements["members"] = members_.size();
        o.measurements["pushes"] = committed_ + common;
        return o;
    }

    /// The median gap between the pushes a member holds (0 with fewer than two).
    static std::int64_t median_gap(const Member& m) {
        std::vector<std::int64_t> gaps;
        for (std::size_t i = 1; i < m.queue.size(); ++i) gaps.push_back(m.queue[i].t_us - m.queue[i - 1].t_us);
        if (gaps.empty()) return 0;
        std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
        return gaps[gaps.size() / 2];
    }
    /// The push of `mb` at the same tick as `at` (the first push of `last`): each other's
    /// nearest in time and closer than half a tick, so `mb` got another payload then rather
    /// than missing one.
    static const Item* same_tick(const Member& last, const Member& mb, const Item& at) {
        auto dist = [](std::int64_t a, std::int64_t b) { return std::abs(a - b); };
        const Item* near = nullptr;
        for (const auto& x : mb.queue)
            if (!near || dist(x.t_us, at.t_us) < dist(near->t_us, at.t_us)) near = &x;
        if (!near) return nullptr;
        for (const auto& y : last.queue)
            if (y.idx != at.idx && dist(y.t_us, near->t_us) <= dist(at.t_us, near->t_us)) return nullptr;
        std::int64_t tick = 0;
        for (std::int64_t g : {median_gap(last), median_gap(mb)})
            if (g > 0 && (tick == 0 || g < tick)) tick = g;
        if (tick > 0 && 2 * dist(near->t_us, at.t_us) >= tick) return nullptr;
        return near;
    }

    std::string key_of(const Event& e, const ParsedMessage& m) const {
        if (m.kind != ParsedMessage::Kind::json) return e.data;
        if (!key) return m.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (const nlohmann::json* v = resolve_pointer(m.value(), *key, scratch_))
            return v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return "(no " + key_text + ")";
    }
    static std::string shown(const std::string& k) { return k.size() > 80 ? k.substr(0, 80) + "..." : k; }

    mutable PointerScratch scratch_;  // JSON decoded from a string on the way to the key
    std::vector<std::size_t> slot_;   // client id -> index in members_ (kNone: not a member)
    std::vector<Member> members_;
    Member* last_ = nullptr;      // the last member to join, once every member is connected
    std::optional<Item> k0_;      // its first push in the window
    bool window_open_ = false;    // every member is connected
    bool window_closed_ = false;  // a member left: later pushes do not count
    std::size_t committed_ = 0;
    std::unordered_set<std::uint64_t> committed_set_;
    std::deque<std::uint64_t> committed_order_;
    std::optional<CheckOutcome> frozen_;
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable& clients) {
    auto c = std::make_unique<BroadcastCheck>();
    if (targets.size() < 2) p.fail("client", "broadcast needs at least two clients (a group or a list)");
    c->targets = std::move(targets);
    c->match = p.pattern_or_profile("match", "push.match");
    c->key_text = p.string_or("key", "");
    if (!c->key_text.empty()) {
        try {
            c->key = MessagePointer(nlohmann::json::json_pointer(c->key_text));
        } catch (const nlohmann::json::exception&) {
            p.fail("key", "expected a JSON pointer such as \"/data\" (or \"\" for the whole message)");
        }
    }
    c->start(clients.size());
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
