// Event and request helpers shared by both drivers (no Asio/Beast here).
#pragma once
#include "pushcheck/engine/command.hpp"
#include "pushcheck/engine/transcript.hpp"
#include "pushcheck/net/url.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace pushcheck::drivers::detail {

/// --source-address: lets connect() choose the port of a socket bound to an address before
/// it (IP_BIND_ADDRESS_NO_PORT), so ports are shared across destinations as without a bind.
void bind_no_port(int fd);

/// system_clock now, in microseconds since the Unix epoch.
std::int64_t wall_us_now();

/// An event of `kind` for one connection, stamped with the wall clock now.
engine::Event make_event(engine::EventKind kind, const std::string& client, int connection);

/// Why a flood ended, as its summary event's data says (both drivers).
inline constexpr const char* kFloodCountReached = "count reached";
inline constexpr const char* kFloodTimeLimit = "time limit";

/// The tally of one flood command; both drivers keep one, so that their summaries agree.
struct Flood {
    explicit Flood(const engine::Command& c);
    const engine::Command& cmd;
    std::chrono::steady_clock::time_point start, limit;
    std::uint64_t frames = 0;
    std::size_t bytes = 0;
    std::string stopped = kFloodCountReached;

    /// False once the count is reached or the time limit passed (then `stopped` says so).
    bool more();
    void time_limit() { stopped = kFloodTimeLimit; }
    void wrote() {
        ++frames;
        bytes += cmd.data.size();
    }
    /// The `sent` event that sums it up: flood, count, size (payload bytes), duration_us, data = stopped.
    engine::Event event(const std::string& client, int connection) const;
};

/// How a connection ended: the fields of the `closed` event, and whether an `error`
/// event (with the same text) precedes it.
struct Ending {
    bool error = false;
    std::string text;
    int code = 0;
    bool clean = false;
    bool by_peer = false;
};

/// The client reset the connection (abort): no close frame, no error.
Ending abort_ending();

/// What a connect_failed event says: the text, the HTTP status of a refused upgrade,
/// whether the target answered with HTTP at all, and the handshake as far as it went.
struct ConnectFailure {
    std::string text;
    int http_status = 0;
    bool reached = false;  // an HTTP response was read
    std::shared_ptr<const engine::Handshake> handshake;
};

/// The `closed` event (and `error`, if ending.error) for one connection.
engine::Event closed_event(const Ending& ending, const std::string& client, int connection);
engine::Event error_event(const std::string& text, const std::string& client, int connection);

/// The reporting side of one connection, the same in both drivers: where the connection is
/// in its life, the events it reports, and the rules that how it ended is reported once and
/// that a quiet connection reports nothing at all.
class Reporter {
public:
    /// The connection's life. `closed` is final: the socket is gone and how it ended
    /// (connect_failed or closed) was reported, unless the connection was quiet by then.
    enum class State {
        idle,        // no connect command yet
        connecting,  // DNS, TCP, TLS, upgrade
        open,        // messages and pongs are reported
        closing,     // our close frame is out: messages and pongs are no longer reported
        closed,
    };

    Reporter(std::string client, int connection, std::uint32_t client_id = UINT32_MAX)
        : client_(std::move(client)), connection_(connection), client_id_(client_id) {}
    virtual ~Reporter() = default;
    Reporter(const Reporter&) = delete;
    Reporter& operator=(const Reporter&) = delete;

protected:
    /// Hands an event that happened at `t` to the engine, the driver's way.
    virtual void deliver(engine::Event e, engine::SteadyTime t) = 0;
    /// Closes the socket now; pending operations fail.
    virtual void close_socket() = 0;

    engine::Event ev(engine::EventKind kind) const { return make_event(kind, client_, connection_); }
    /// Reports `e` (happened at `t`) unless the connection is quiet.
    void emit(engine::Event e, engine::SteadyTime t = std::chrono::steady_clock::now());
    /// Command `c` found no open connection: an `error` event.
    void not_connected(const engine::Command& c);
    /// True when open; else reports not_connected(c).
    bool require_open(const engine::Command& c);
    /// Reports how the connection ended (once) and closes it. Quiet connections only close.
    void end_with(const Ending& ending);
    /// The connect failed: reports connect_failed (unless quiet or already over) and closes.
    void fail_connect(ConnectFailure f);
    /// A payload too long for a ping (125 bytes) or a close reason too long (123 bytes):
    /// reports the error and returns true.
    bool ping_too_long(const std::string& payload);
    bool reason_too_long(const std::string& reason);
    /// `sent` of a text or binary message.
    void report_sent(bool binary, std::string data);
    /// `sent` of our close frame.
    void report_close_sent(int code, const std::string& reason);
    /// `received` of a message / `pong` that arrived at `t` (wall clock `wall_us`).
    void report_received(bool binary, std::size_t size, std::string data, engine::SteadyTime t, std::int64_t wall_us);
    void report_pong(std::string payload, engine::SteadyTime t, std::int64_t wall_us);

    const std::string client_;
    const int connection_;
    const std::uint32_t client_id_;  // the engine's index of the client (UINT32_MAX: unknown)
    State state_ = State::idle;
    bool quiet_ = false;  // released, replaced or the session is over: no more events, whatever the state
};

/// The HTTP request target: the URL's path prefix + the command's path ("/" at least) + the URL's query.
std::string request_target(const net::Url& url, const std::string& path);

/// The Host header value: host, plus ":port" unless it is the scheme's default.
std::string host_field(const net::Url& url);

/// Where a connect attempt was when it failed.
enum class Stage { dns, tcp, tls, upgrade };
const char* to_string(Stage s);

/// "connect timed out after 500 ms (TLS handshake)"
std::string connect_timeout_text(Stage s, std::chrono::milliseconds timeout);

} // namespace pushcheck::drivers::detail
