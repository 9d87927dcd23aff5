// Drivers: perform the engine's Commands against a real endpoint and report Events.
// Only I/O lives here: a driver never grades anything.
//
// Events, identical under both drivers for the same server behaviour:
// - connected: the opening handshake completed; data = negotiated subprotocol ("" if none).
// - connect_failed: DNS, TCP, TLS (with OpenSSL's reason), timeout, or a refused upgrade
//   (http_status = the HTTP status, e.g. 404). data is one human-readable line.
// - sent: a text or binary frame was written (binary, data, size), or a close frame was
//   about to be written (data = reason, close_code = code). Pings do not produce `sent`.
// - received: a whole data message; t and wall_us are taken when its last byte arrived.
// - pong: a pong control frame arrived (data = payload). Pings from the server are
//   answered automatically and not reported.
// - closed: the connection ended, once per connection. close_code = the server's close
//   code (0: no close frame; 1005: a close frame without a code), clean = the closing handshake completed, by_peer = the
//   server started it; data = the close reason, or what went wrong ("eof without close
//   frame", "connection reset", ...).
// - error: a transport or protocol error while open ("message exceeds N bytes", an invalid
//   frame, a write timeout); a `closed` follows. Without a `closed`: "not connected" for a
//   command on a client without an open connection, and a ping payload over 125 bytes or a
//   close reason over 123 bytes (nothing is sent).
// Every event is passed with the steady time it happened at; wall_us is the system clock
// at that moment (for a message: when its last byte was read from the socket).
// Stalled clients (the same in both drivers):
// - pause_reading: the socket is no longer read (bytes already read are still reported), so
//   the kernel's receive buffer fills and the server's sends back up; resume_reading reads
//   again and reports what arrived, stamped when read. `connect` with recv_buffer sets
//   SO_RCVBUF before the TCP connect.
// - flood: up to `count` pings (or text frames), each written only once poll(2) says the
//   socket has room, never reading, until the count or the time limit; then one `sent` event
//   with flood = true, count = frames written, size = their payload bytes, duration_us, and
//   data = "count reached", "time limit" or "write failed: ..." (then `error` and `closed`).
//   Pongs carrying the flood's payload are not reported.
// After the client's close command, messages and pongs are no longer reported (Beast's
// close drains them). Events of a connection replaced by a new `connect` stop; the old
// connection is dropped at the TCP level without a close frame. `release` reports nothing.
#pragma once
#include "pushcheck/engine/session.hpp"
#include "pushcheck/net/url.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pushcheck::drivers {

/// --source-address: the local addresses connections are bound to before they connect, in
/// turn (connection k gets address k mod N), so that one machine can open more connections
/// to one server port than one address pair has ephemeral ports. Shared by every driver of a run.
struct SourceAddresses {
    std::vector<std::string> addresses;  // IP literals, checked by the caller
    std::atomic<std::size_t> next{0};
    const std::string& take() { return addresses[next.fetch_add(1, std::memory_order_relaxed) % addresses.size()]; }
};

/// Where and how to connect.
struct TargetOptions {
    net::Url url;                      // scheme, host, port and path prefix
    std::string ca_file;               // wss: extra CA bundle (PEM); empty: system CAs
    bool insecure = false;             // wss: skip certificate verification
    std::vector<std::pair<std::string, std::string>> headers;  // added to every handshake
    std::size_t max_message_bytes = 1 << 20;  // a bigger message is an error event, not a crash
    std::string user_agent = "pushcheck";
    std::shared_ptr<SourceAddresses> sources;  // null: the kernel picks the local address
    std::chrono::milliseconds io_timeout{10000};     // a write that makes no progress this long fails the connection
    std::chrono::milliseconds close_timeout{5000};   // close: the server's close frame and TCP close
    std::chrono::milliseconds release_timeout{300};  // release: time allowed for a polite close
};

/// Called after each session finishes (on the driver's thread), e.g. for progress output.
using SessionDone = std::function<void(engine::Session&)>;

/// Runs sessions to completion, up to `jobs` at once, in the given order. Every session
/// is done() when run() returns (sessions enforce their own time budget through
/// next_deadline()/on_time()). After a session is done the driver performs its last
/// commands, drops every connection it still holds, and calls `done`.
class Driver {
public:
    virtual ~Driver() = default;
    virtual const char* name() const = 0;
    virtual void run(const std::vector<engine::Session*>& sessions, int jobs, const SessionDone& done) = 0;
};

/// C++20 coroutines on `threads` io_contexts, one thread each (0: the hardware threads). The
/// sessions run on the calling thread's io_context; connections are spread round-robin over
/// all of them. 1: every client of every running scenario on the calling thread.
std::unique_ptr<Driver> make_async_driver(const TargetOptions& target, int threads = 1);
/// Beast's blocking API, one thread per client; every blocking call bounded by a deadline.
std::unique_ptr<Driver> make_sync_driver(const TargetOptions& target);

/// The most clients one scenario may have under the sync driver (one thread each; see
/// docs/drivers.md for what bounds it). `pushcheck run` refuses a larger scenario.
inline constexpr std::size_t kSyncMaxClients = 1000;

} // namespace pushcheck::drivers
