// The nowtime reference server: a room-based WebSocket push server (see PROTOCOL.md).
// This header is free of Asio/Beast so that other programs can embed the server cheaply.
#pragma once
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nowtime {

/// How much the server writes to stderr.
enum class LogLevel { off, error, warn, info, debug };

/// Parses "off", "error", "warn", "info" or "debug"; false when unknown.
bool parse_log_level(std::string_view text, LogLevel& out);
std::string_view to_string(LogLevel level);

/// Deliberate protocol defects, for the conformance suite's mutant gallery. All off by
/// default; the production nowtime-server binary offers no way to turn them on.
struct Faults {
    bool no_welcome = false;                 // join without the welcome
    bool welcome_status_500 = false;         // welcome says "status":500
    bool wrong_push_event = false;           // pushes say "event":"time"
    bool push_not_json = false;              // pushes are a bare timestamp, not JSON
    bool timestamp_not_iso = false;          // "26/11/2026 13:02:48"
    bool timestamp_not_utc = false;          // local offset "+01:00" instead of "Z"
    bool timestamp_stale = false;            // timestamps 5 s in the past
    bool interval_long = false;              // interval x 1.4
    bool interval_short = false;             // interval x 0.6
    bool push_twice = false;                 // every push sent twice
    bool no_bye = false;                     // close request: close 1000 without the bye
    bool push_after_bye = false;             // one more push after the bye, then close
    bool bye_no_close = false;               // bye, but the connection is never closed
    bool close_code_1011 = false;            // close with 1011 after the bye
    bool unknown_room_accepted = false;      // unknown paths join the first room
    bool second_member_refused = false;      // a room refuses its 2nd member (close 1013)
    bool abrupt_disconnect_breaks_ticker = false;  // a dropped member stops its room's ticker
    bool garbage_kills_connection = false;   // non-JSON input closes with 1003
    bool per_connection_timer = false;       // one timer per connection, like the original
    bool ignore_close_request = false;       // the close request is ignored (no bye, no close)

    bool any() const;
};

/// Every fault name, in declaration order (the names `set_fault` accepts).
const std::vector<std::string>& fault_names();
/// Turns on the fault called `name`; false when there is no such fault.
bool set_fault(Faults& faults, std::string_view name);

/// Everything the server can be told; defaults are the command line's defaults.
struct ServerOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 5000;                      // 0 picks a free port
    std::chrono::milliseconds interval{3000};        // push interval of every room
    std::vector<std::string> rooms{"/nowtime"};      // request paths that name a room
    int threads = 0;                                 // 0: hardware threads
    std::size_t max_connections = 10000;             // open TCP connections (HTTP and WebSocket), capped at accept
    std::size_t max_connections_per_address = 0;     // open connections from one client address; 0: no limit
    std::size_t max_message_bytes = 64 * 1024;       // bigger client messages: close 1009
    std::size_t max_queued_bytes = 1 << 20;          // unsent bytes (and queue entries) per client before the cut-off
    std::size_t max_unfinished_bytes = 16 << 20;     // bytes held by unfinished client messages, all clients
    std::string tls_cert, tls_key;                   // both set: serve wss:// (and https)
    std::chrono::milliseconds handshake_timeout{5000};  // TLS + HTTP upgrade, and the close handshake
    std::chrono::milliseconds ping_interval{20000};  // ping after this much silence; drop after twice it
    std::size_t socket_send_buffer = 8192;           // SO_SNDBUF of accepted sockets (the kernel doubles it); 0: OS default
    LogLevel log_level = LogLevel::info;
    Faults faults;
};

/// Members of one room, as seen by the metrics.
struct RoomMetrics {
    std::string room;
    std::size_t members = 0;
};

/// A snapshot of the server's counters.
struct Metrics {
    std::size_t open_connections = 0;          // TCP connections open: HTTP, handshaking and WebSocket
    std::vector<RoomMetrics> rooms;            // one per configured room, in option order
    std::uint64_t accepted_connections = 0;    // TCP connections accepted, HTTP ones included
    std::uint64_t pushes_sent = 0;             // push messages written to members
    std::uint64_t bytes_sent = 0;              // WebSocket payload bytes written, all messages
    std::uint64_t slow_consumer_cutoffs = 0;   // members cut off for passing max_queued_bytes
    std::uint64_t handshake_failures = 0;      // TLS/HTTP/upgrade failures and timeouts
    std::uint64_t rejected_connections = 0;    // upgrades refused with 503 (max_connections)
    std::uint64_t refused_connections = 0;     // connections closed at accept (caps, stopping)
    std::uint64_t evicted_connections = 0;     // handshakes dropped to make room (oldest first)
    std::size_t unfinished_message_bytes = 0;  // bytes held by unfinished client messages

    /// Members of `room`, 0 when there is no such room.
    std::size_t members(std::string_view room) const;
};

/// Prometheus text exposition (version 0.0.4) of a snapshot.
std::string to_prometheus(const Metrics& m);

/// The running server: a listener, its sessions, one ticker per room, a thread pool.
class Server {
public:
    explicit Server(ServerOptions options);
    ~Server();  // stops the server if it is running
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds, listens and starts the threads. On failure returns the error, and `where`
    /// (when given) says what failed, e.g. "bind 127.0.0.1:5000".
    boost::system::error_code start(std::string* where = nullptr);

    /// The port actually listened on (the free port chosen when the option was 0).
    unsigned short port() const;
    /// The address actually listened on, e.g. "127.0.0.1".
    std::string address() const;
    /// True when serving wss:// (a certificate and key were given).
    bool tls() const;

    /// Stops accepting, closes every session with 1001 (going away) and joins the
    /// threads; returns within about 2 s. Safe to call more than once, from any thread
    /// except the server's own (it joins them).
    void stop();
    /// Blocks until stop() has finished (returns at once when the server never started).
    void wait();

    Metrics metrics() const;
    const ServerOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace nowtime
