// What the listener, the sessions and the tickers share: options, policy, rooms, counters,
// and the connection table that counts, caps and (when descriptors run short) evicts.
#pragma once
#include "fault_policy.hpp"
#include "logger.hpp"
#include "nowtime/room.hpp"
#include "nowtime/server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace nowtime::detail {

class HttpSession;
class WebSocketSession;
class Ticker;
class State;
using RoomT = Room<WebSocketSession>;

/// One configured room (its members grouped by thread: one shard per I/O thread).
struct RoomEntry {
    std::unique_ptr<RoomT> room;
};

/// One accepted TCP connection's place in the count, from accept to close; it moves from
/// the HTTP session to the WebSocket session and gives the place back when destroyed.
class Slot {
public:
    Slot() = default;
    Slot(State* st, boost::asio::ip::address address, bool reserve)
        : st_(st), address_(address), reserve_(reserve) {}
    Slot(Slot&& o) noexcept : st_(o.st_), address_(o.address_), reserve_(o.reserve_) { o.st_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot();
    /// Admitted over the connection cap: it may ask /healthz or /metrics, not upgrade.
    bool reserve() const { return reserve_; }

private:
    friend class State;
    State* st_ = nullptr;
    boost::asio::ip::address address_;
    bool reserve_ = false;
};

/// Connections beyond the cap that may still ask /healthz and /metrics.
constexpr std::size_t kReserveConnections = 16;
/// Descriptors kept free for the listener, the reserve, timers and files.
constexpr std::size_t kReserveDescriptors = 48;

class State {
public:
    explicit State(ServerOptions o);

    const ServerOptions opts;
    const Policy policy;
    Logger log;
    Throttle refusal_log{log, LogLevel::warn};
    Throttle eviction_log{log, LogLevel::info};
    std::optional<boost::asio::ssl::context> ssl;
    std::vector<RoomEntry> rooms;
    std::shared_ptr<Ticker> ticker;  // every room's; none under the per_connection_timer fault
    // The protocol's fixed messages, framed once and shared by every session.
    const Payload welcome_frame;  // null: join without a welcome
    const Payload bye_frame;
    const Payload unknown_url_frame;

    std::atomic<std::uint64_t> accepted{0}, pushes{0}, bytes{0}, cutoffs{0}, hs_failures{0}, rejected{0},
        refused{0}, evicted{0};
    std::atomic<std::size_t> unfinished_bytes{0};  // held by client messages not yet complete

    RoomEntry* find_room(std::string_view path);

    /// Sets the connection cap: --max-connections, or fewer when descriptors are fewer.
    void limit_connections(std::size_t descriptors);
    std::size_t connection_cap() const { return cap_; }
    /// Admits an accepted connection from `address` (evicting the oldest handshake when at
    /// the cap), or nullopt when it must be closed at once.
    std::optional<Slot> admit(const boost::asio::ip::address& address);
    /// Descriptors ran out: drops the oldest connection still in its handshake; false when none.
    bool evict_oldest();

    /// HTTP sessions between accept and upgrade, oldest first; the key is for leave_handshake.
    std::uint64_t enter_handshake(const std::shared_ptr<HttpSession>& s);
    void leave_handshake(std::uint64_t key);
    /// WebSocket sessions; false when the server is stopping.
    bool enter(const std::shared_ptr<WebSocketSession>& s);
    void leave(const WebSocketSession* s);

    /// The one shutdown path: refuses new sessions, drops handshakes, sends 1001 to every
    /// member, and waits up to `grace` for every connection to close.
    void shut_down(std::chrono::milliseconds grace);
    bool stopping() const;

    std::size_t open_connections() const { return open_.load(); }
    Metrics metrics() const;

private:
    friend class Slot;
    void release(const Slot& s);
    bool evict_oldest_locked(std::unique_lock<std::mutex>& lock);

    mutable std::mutex mutex_;
    std::condition_variable all_closed_;
    bool stopping_ = false;
    std::size_t cap_ = 0;
    std::atomic<std::size_t> open_{0};
    std::map<boost::asio::ip::address, std::size_t> per_address_;  // only with a per-address cap
    std::uint64_t next_key_ = 0;
    std::map<std::uint64_t, std::weak_ptr<HttpSession>> handshakes_;
    std::unordered_map<const WebSocketSession*, std::weak_ptr<WebSocketSession>> sessions_;
};

} // namespace nowtime::detail
