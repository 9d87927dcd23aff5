// The socket-free room model: members grouped by the thread that owns them, one frame per
// broadcast shared by every member, and the slow-consumer policy. Unit-tested without any
// network (see tests/unit/server).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nowtime {

/// What happened to one message handed to a member.
enum class SendResult { queued, dropped };

/// One server-to-client text message, framed once: the WebSocket frame header (FIN, text,
/// unmasked) followed by the payload, in one immutable buffer that every member shares.
struct Frame {
    std::string bytes;        // header, then payload
    std::uint8_t header = 0;  // bytes of the header
    std::string_view payload() const { return std::string_view(bytes).substr(header); }
    std::size_t size() const { return bytes.size(); }
};

/// A framed message shared by every member it goes to.
using Payload = std::shared_ptr<const Frame>;

/// Frames `text` as one final, unmasked text frame (RFC 6455 5.2).
inline Payload text_frame(std::string_view text) {
    auto f = std::make_shared<Frame>();
    const std::size_t n = text.size();
    char h[10];
    std::uint8_t len = 0;
    h[len++] = static_cast<char>(0x81);
    if (n < 126) {
        h[len++] = static_cast<char>(n);
    } else if (n <= 0xFFFF) {
        h[len++] = 126;
        h[len++] = static_cast<char>(n >> 8);
        h[len++] = static_cast<char>(n);
    } else {
        h[len++] = 127;
        for (int shift = 56; shift >= 0; shift -= 8) h[len++] = static_cast<char>(static_cast<std::uint64_t>(n) >> shift);
    }
    f->bytes.reserve(len + n);
    f->bytes.append(h, len).append(text);
    f->header = len;
    return f;
}

/// The byte budget of one member's unsent data: the explicit slow-consumer policy.
/// A message that would take the unsent total past the limit is refused, except when
/// nothing is unsent (so one message bigger than the limit still gets through).
/// Thread-safe: the broadcaster may reserve while the member's writer releases.
class SendBudget {
public:
    explicit SendBudget(std::size_t limit) : limit_(limit) {}

    /// Whether `n` more bytes fit when `queued` are unsent: the policy itself.
    static bool admits(std::size_t queued, std::size_t n, std::size_t limit) {
        return queued == 0 || queued + n <= limit;
    }
    /// Whether `n` more unsent bytes would fit now.
    bool fits(std::size_t n) const { return admits(queued(), n, limit_); }

    /// Counts `n` more unsent bytes; false (and nothing counted) when over the limit.
    bool reserve(std::size_t n) {
        std::size_t cur = queued_.load(std::memory_order_relaxed);
        for (;;) {
            if (!admits(cur, n, limit_)) return false;
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
    std::size_t queued = 0;   // members the frame was handed to
    std::size_t dropped = 0;  // members that refused it and were cut off
    BroadcastResult& operator+=(const BroadcastResult& o) {
        queued += o.queued;
        dropped += o.dropped;
        return *this;
    }
};

/// A set of members that receive the same frames, grouped into shards: one per thread
/// that owns members. `Member` needs `SendResult send(const Payload&)` (never blocks) and
/// `void cut_off()` (called once, after the room removed it, when a send was dropped); it
/// may have `void prefetch() const`, which starts loading what its send() will touch.
///
/// Threading: a shard is touched only by its own thread (join, leave, contains and
/// deliver for shard `s` run on the thread of shard `s`), so a broadcast takes no lock and
/// copies nothing: it is one hand-off per thread, and each thread walks its own members.
/// `size()` may be read from any thread. The room does not own its members: a member
/// leaves before it is destroyed.
template <class Member>
class Room {
public:
    /// `capacity` 0 means unlimited.
    explicit Room(std::string name, std::size_t shards = 1, std::size_t capacity = 0)
        : name_(std::move(name)), capacity_(capacity), shards_(shards == 0 ? 1 : shards) {}

    const std::string& name() const { return name_; }
    std::size_t shards() const { return shards_.size(); }

    /// Adds a member to shard `s`; false when the room is full or it is already a member.
    bool join(Member* m, std::size_t s) {
        Shard& sh = shards_[s];
        if (find(sh, m) != npos) return false;
        std::size_t n = size_.load(std::memory_order_relaxed);
        do {
            if (capacity_ != 0 && n >= capacity_) return false;
        } while (!size_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
        sh.members.push_back(m);
        return true;
    }

    /// Removes a member of shard `s`; false when it was not one (already left or cut off).
    bool leave(const Member* m, std::size_t s) {
        Shard& sh = shards_[s];
        std::size_t i = find(sh, m);
        if (i == npos) return false;
        remove(sh, i);
        return true;
    }

    bool contains(const Member* m, std::size_t s) const { return find(shards_[s], m) != npos; }

    /// Members in every shard; any thread.
    std::size_t size() const { return size_.load(std::memory_order_relaxed); }

    /// Hands the same frame to every member of shard `s` (on that shard's thread). A member
    /// whose send is dropped is removed and cut off; the others still get the frame. A
    /// member may join or leave from inside its send; one that joins waits for the next frame.
    BroadcastResult deliver(std::size_t s, const Payload& frame) {
        Shard& sh = shards_[s];
        BroadcastResult r;
        ++sh.delivering;
        const std::size_t n = sh.members.size();
        for (std::size_t i = 0; i < n; ++i) {
            // A send costs about one system call, so the member 8 places on is loaded
            // meanwhile (what its send touches, when it says). Written here: GCC drops a
            // helper function that only prefetches, as it has no effect.
            if (i + 8 < n && sh.members[i + 8]) {
                if constexpr (requires(const Member& x) { x.prefetch(); })
                    sh.members[i + 8]->prefetch();
                else
                    __builtin_prefetch(sh.members[i + 8]);
            }
            Member* m = sh.members[i];
            if (!m) continue;  // left during this delivery
            if (m->send(frame) == SendResult::queued) {
                ++r.queued;
            } else if (sh.members[i] == m) {  // still a member: remove it, then tell it
                remove(sh, i);
                ++r.dropped;
                m->cut_off();
            }
        }
        if (--sh.delivering == 0 && sh.holes) compact(sh);
        return r;
    }

    /// Every shard in turn, on the calling thread: for a room whose shards share one thread.
    BroadcastResult broadcast(const Payload& frame) {
        BroadcastResult r;
        for (std::size_t s = 0; s < shards_.size(); ++s) r += deliver(s, frame);
        return r;
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // Padded so that two threads walking their shards never share a cache line.
    struct alignas(64) Shard {
        std::vector<Member*> members;
        int delivering = 0;     // a delivery is walking `members`: leaving leaves a hole
        std::size_t holes = 0;  // null entries left by members that left during a delivery
    };

    static std::size_t find(const Shard& sh, const Member* m) {
        for (std::size_t i = 0; i < sh.members.size(); ++i)
            if (sh.members[i] == m) return i;
        return npos;
    }

    void remove(Shard& sh, std::size_t i) {
        size_.fetch_sub(1, std::memory_order_relaxed);
        if (sh.delivering) {
            sh.members[i] = nullptr;
            ++sh.holes;
            return;
        }
        sh.members[i] = sh.members.back();
        sh.members.pop_back();
    }

    static void compact(Shard& sh) {
        std::erase(sh.members, nullptr);
        sh.holes = 0;
    }

    std::string name_;
    std::size_t capacity_;
    std::atomic<std::size_t> size_{0};
    std::vector<Shard> shards_;
};

} // namespace nowtime
