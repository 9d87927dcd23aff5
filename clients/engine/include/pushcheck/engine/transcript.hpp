// What drivers report and what checks read: timestamped events per client.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pushcheck::engine {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

/// What the engine did with a received message before steps saw it (the profile's hooks).
enum class Handling : std::uint8_t {
    none,          // steps and checks see it
    ignored,       // it matched an `ignore` pattern: no step or check sees it
    auto_replied,  // it matched an `auto_reply` rule, which answered it: no step or check sees it
    profile_steps, // it came while the profile's join or leave steps ran: they see it, checks do not
};

const char* to_string(Handling h);

/// What happened on one client connection.
enum class EventKind {
    connected,       // opening handshake completed (data: negotiated subprotocol)
    connect_failed,  // no WebSocket session (data: reason; http_status if the server answered)
    sent,            // a frame left the client (binary, data), or a flood ended (flood)
    received,        // a whole message arrived (binary, data, size)
    pong,            // a pong control frame arrived (data: payload)
    closed,          // the connection ended (close_code, clean, data: reason or error text)
    error,           // a transport or protocol error while open (data: text); a `closed` follows
};

const char* to_string(EventKind k);

/// What an opening handshake showed: the dialled URL and the server's HTTP response.
/// Shared by the connected or connect_failed event of one connection.
struct Handshake {
    std::string url;     // the URL dialled, credentials and query values redacted
    int status = 0;      // HTTP status of the response (101 when upgraded); 0: no HTTP response was read
    std::string reason;  // the response's reason phrase
    std::vector<std::pair<std::string, std::string>> headers;  // response headers, in order
    std::string subprotocol;  // negotiated subprotocol ("" if none)
};

/// One timestamped event of one client. Drivers fill every field but t_us; the engine
/// sets t_us (microseconds since the scenario started) when it records the event.
struct Event {
    EventKind kind = EventKind::error;
    std::string client;        // client name, e.g. "a" or "m3"
    std::uint32_t client_id = UINT32_MAX;  // the connect command's client_id from the driver (a hint); once recorded, the resolved client
    int connection = 0;        // 0 for the first connection, +1 for every reconnect
    std::int64_t t_us = 0;     // steady clock, since scenario start
    std::size_t seq = 0;       // set by the engine: its index among every event recorded in the scenario
    std::int64_t wall_us = 0;  // system clock, microseconds since the Unix epoch
    bool binary = false;       // sent/received: a binary frame
    std::string data;          // payload, reason or error text (may be capped, see size)
    std::size_t size = 0;      // payload size in bytes as seen on the wire
    int close_code = 0;        // closed: the peer's close code (0: no close frame)
    bool clean = false;        // closed: closing handshake completed
    bool by_peer = false;      // closed: the server started the close
    int http_status = 0;       // connect_failed: HTTP status of a refused upgrade (0: none)
    bool reached = false;      // connect_failed: the target answered as an HTTP server
    std::shared_ptr<const Handshake> handshake;  // connected / connect_failed: the dialled URL and response
    Handling handling = Handling::none;  // received: set by the engine (profile hooks)
    bool flood = false;        // sent: the summary of a flood, not one frame
    std::uint64_t count = 0;   // flood: frames written (size: their bytes; data: why it stopped)
    std::int64_t duration_us = 0;  // flood: from its first write to its end
    std::string decoded;       // received/sent under a transforming framing: the decoded value as JSON text (reports)
};

/// The record of one scenario run, in the order the engine received the events. It holds
/// the events the engine kept (each client's first and last ones, evidence, and everything
/// of the clients of a check that needs it); `recorded` counts every event, and an event's
/// `seq` tells where it stood among them.
struct Transcript {
    std::vector<Event> events;
    std::size_t recorded = 0;  // events recorded in the scenario (>= events.size())
    /// True when some recorded events were not kept.
    bool partial() const { return recorded > events.size(); }
};

} // namespace pushcheck::engine
