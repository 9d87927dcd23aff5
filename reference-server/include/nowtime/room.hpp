// The socket-free room model: members, broadcast of one shared payload, and the
// slow-consumer policy. Unit-tested without any network (see tests/unit/server).
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace nowtime {

/// What happened to one message handed to a member.
enum class SendResult { queued, dropped };

/// Payload of one server-to-client message, shared by every member it goes to.
using Payload = std::shared_ptr<const std::string>;

/// The byte budget of one member's unsent data: the explicit slow-consumer policy.
/// A message that would take the unsent total past the limit is refused, except when
/// nothing is unsent (so one message bigger than the limit still gets through).
/// Thread-safe: the broadcaster reserves, the member's writer releases.
class SendBudget {
public:
    explicit SendBudget(std::size_t limit) : limit_(limit) {}

    /// Counts `n` more unsent bytes; false (and nothing counted) when over the limit.
    bool reserve(std::size_t n) {
        std::size_t cur = queued_.load(std::memory_order_relaxed);
        for (;;) {
            if (cur != 0 && cur + n > limit_) return false;
            if (queued_.compare_exchange_weak(cur, cur + n, std::memory_order_acq_rel)) return true;
        }
    }
    /// Counts `n` unsent bytes regardless of the limit (protocol replies that must go out).
    void add(std::size_t n) { queued_.fetch_add(n, std::memory_order_acq_rel); }
    /// `n` bytes left the queue (written, or discarded).
    void release(std::size_t n) { queued_.fetch_sub(n, std::memory_order_acq_rel); }
    std::size_t queued() const { return queued_.load(std::memory_order_acquire); }
    std::size_t limit() const { return limit_; }

private:
    std::size_t limit_;
    std::atomic<std::size_t> queued_{0};
};

/// What one broadcast did.
struct BroadcastResult {
    std::size_t queued = 0;   // members the payload was queued for
    std::size_t dropped = 0;  // members that refused it and were cut off
};

/// A set of members that receive the same payloads. `Member` needs
/// `SendResult send(Payload)` (never blocks) and `void cut_off()` (called once, after the
/// room removed it, when a send was dropped). The room holds weak references only: a
/// member that is gone is skipped. Thread-safe; sends happen outside the room's lock.
template <class Member>
class Room {
public:
    /// `capacity` 0 means unlimited.
    explicit Room(std::string name, std::size_t capacity = 0)
        : name_(std::move(name)), capacity_(capacity) {}

    const std::string& name() const { return name_; }

    /// Adds a member; false when the room is full or it is already a member.
    bool join(const std::shared_ptr<Member>& m) {
        std::lock_guard lock(mutex_);
        auto it = members_.find(m.get());
        // A dead member that never left may share its address with the newcomer.
        if (it != members_.end()) {
            if (!it->second.expired()) return false;
            members_.erase(it);
        }
        if (capacity_ != 0 && members_.size() >= capacity_) return false;
        members_.emplace(m.get(), m);
        return true;
    }

    /// Removes a member; false when it was not one (already left or cut off).
    bool leave(const Member* m) {
        std::lock_guard lock(mutex_);
        return members_.erase(m) != 0;
    }

    bool contains(const Member* m) const {
        std::lock_guard lock(mutex_);
        return members_.count(m) != 0;
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return members_.size();
    }

    /// Hands the same payload to every member. A member whose send is dropped is removed
    /// and cut off, and the others still get the payload.
    BroadcastResult broadcast(const Payload& payload) {
        // Copy under the lock, send outside it, so a member's send never holds up join/leave.
        std::vector<std::weak_ptr<Member>> targets;
        {
            std::lock_guard lock(mutex_);
            targets.reserve(members_.size());
            for (auto& [ptr, weak] : members_) targets.push_back(weak);
        }
        BroadcastResult r;
        for (auto& weak : targets) {
            auto m = weak.lock();
            if (!m) {
                leave_expired(weak);
                continue;
            }
            if (m->send(payload) == SendResult::queued) {
                ++r.queued;
            } else if (leave(m.get())) {
                ++r.dropped;
                m->cut_off();
            }
        }
        return r;
    }

private:
    void leave_expired(const std::weak_ptr<Member>& weak) {
        std::lock_guard lock(mutex_);
        for (auto it = members_.begin(); it != members_.end(); ++it) {
            if (!it->second.owner_before(weak) && !weak.owner_before(it->second)) {
                members_.erase(it);
                return;
            }
        }
    }

    std::string name_;
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<const Member*, std::weak_ptr<Member>> members_;
};

} // namespace nowtime
