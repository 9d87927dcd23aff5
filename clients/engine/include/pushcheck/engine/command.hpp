// What the engine asks a driver to do; drivers answer with Events.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pushcheck::engine {

/// One I/O action for one client. The driver performs it and reports what happened as
/// Events (connected/connect_failed, sent, closed, error); it never judges the outcome.
struct Command {
    enum class Kind {
        connect,      // open a new connection for `client` to `path` (closes an old one first)
        send_text,    // send `data` as a text frame
        send_binary,  // send `data` as a binary frame
        ping,         // send a ping control frame with `data` as payload
        close,        // send a close frame with `code` and `reason`, then keep reading
        abort,        // drop the TCP connection without a close frame (SO_LINGER 0: a reset)
        release,      // end of scenario: close politely if still open, then drop; no events needed
        pause_reading,   // stop reading the socket (the kernel's receive buffer fills up); no event
        resume_reading,  // read again; what arrived meanwhile is reported as it is read
        flood,        // write `count` frames of `data` as fast as the socket takes them, without
                      // reading, for at most `timeout`; one `sent` event (flood) reports it
    };
    Kind kind = Kind::release;
    std::string client;
    std::uint32_t client_id = UINT32_MAX;  // connect: the engine's index of `client`; drivers copy it into events
    int connection = 0;  // the connection number the command is meant for
    std::string path;    // connect: request path, e.g. "/nowtime"
    std::vector<std::pair<std::string, std::string>> headers;  // connect: extra headers
    std::vector<std::string> subprotocols;                     // connect: offered subprotocols
    std::string data;     // send_*/ping payload
    int code = 1000;      // close
    std::string reason;   // close
    std::chrono::milliseconds timeout{5000};  // connect: TCP + TLS + upgrade deadline; flood: time limit
    int recv_buffer = 0;        // connect: SO_RCVBUF in bytes, set before the TCP connect (0: default)
    std::uint64_t count = 0;    // flood: frames to write
    bool flood_text = false;    // flood: text frames of `data` instead of pings
};

const char* to_string(Command::Kind k);

} // namespace pushcheck::engine
