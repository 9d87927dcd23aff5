#include "events.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace pushcheck::drivers::detail {

void bind_no_port(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);  // best effort: without it bind picks a port
}

std::int64_t wall_us_now() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

engine::Event make_event(engine::EventKind kind, const std::string& client, int connection) {
    engine::Event e;
    e.kind = kind;
    e.client = client;
    e.connection = connection;
    e.wall_us = wall_us_now();
    return e;
}

Ending abort_ending() { return {false, "aborted by the client (TCP reset, no close frame)", 0, false, false}; }

engine::Event closed_event(const Ending& ending, const std::string& client, int connection) {
    engine::Event e = make_event(engine::EventKind::closed, client, connection);
    e.data = ending.text;
    e.size = ending.text.size();
    e.close_code = ending.code;
    e.clean = ending.clean;
    e.by_peer = ending.by_peer;
    return e;
}

engine::Event error_event(const std::string& text, const std::string& client, int connection) {
    engine::Event e = make_event(engine::EventKind::error, client, connection);
    e.data = text;
    e.size = text.size();
    return e;
}

void Reporter::emit(engine::Event e, engine::SteadyTime t) {
    if (quiet_) return;
    e.client_id = client_id_;
    deliver(std::move(e), t);
}

void Reporter::not_connected(const engine::Command& c) { emit(error_event("not connected", client_, c.connection)); }

bool Reporter::require_open(const engine::Command& c) {
    if (state_ == State::open) return true;
    not_connected(c);
    return false;
}

void Reporter::end_with(const Ending& ending) {
    const bool report = !quiet_ && state_ != State::closed;
    state_ = State::closed;
    close_socket();
    if (!report) return;
    if (ending.error) emit(error_event(ending.text, client_, connection_));
    emit(closed_event(ending, client_, connection_));
}

void Reporter::fail_connect(ConnectFailure f) {
    const bool report = !quiet_ && state_ != State::closed;
    state_ = State::closed;
    close_socket();
    if (!report) return;
    engine::Event e = ev(engine::EventKind::connect_failed);
    e.size = f.text.size();
    e.data = std::move(f.text);
    e.http_status = f.http_status;
    e.reached = f.reached;
    e.handshake = std::move(f.handshake);
    emit(std::move(e));
}

bool Reporter::ping_too_long(const std::string& payload) {
    if (payload.size() <= 125) return false;
    emit(error_event("ping payload exceeds 125 bytes", client_, connection_));
    return true;
}

bool Reporter::reason_too_long(const std::string& reason) {
    if (reason.size() <= 123) return false;
    emit(error_event("close reason exceeds 123 bytes", client_, connection_));
    return true;
}

void Reporter::report_sent(bool binary, std::string data) {
    engine::Event e = ev(engine::EventKind::sent);
    e.binary = binary;
    e.size = data.size();
    e.data = std::move(data);
    emit(std::move(e));
}

void Reporter::report_close_sent(int code, const std::string& reason) {
    engine::Event e = ev(engine::EventKind::sent);
    e.close_code = code;
    e.data = reason;
    e.size = reason.size();
    emit(std::move(e));
}

void Reporter::report_received(bool binary, std::size_t size, std::string data, engine::SteadyTime t,
                               std::int64_t wall_us) {
    engine::Event e = ev(engine::EventKind::received);
    e.wall_us = wall_us;
    e.binary = binary;
    e.size = size;
    e.data = std::move(data);
    emit(std::move(e), t);
}

void Reporter::report_pong(std::string payload, engine::SteadyTime t, std::int64_t wall_us) {
    engine::Event e = ev(engine::EventKind::pong);
    e.wall_us = wall_us;
    e.size = payload.size();
    e.data = std::move(payload);
    emit(std::move(e), t);
}

Flood::Flood(const engine::Command& c)
    : cmd(c), start(std::chrono::steady_clock::now()), limit(start + c.timeout) {}

bool Flood::more() {
    if (frames >= cmd.count) return false;
    if (std::chrono::steady_clock::now() < limit) return true;
    time_limit();
    return false;
}

engine::Event Flood::event(const std::string& client, int connection) const {
    engine::Event e = make_event(engine::EventKind::sent, client, connection);
    e.flood = true;
    e.count = frames;
    e.size = bytes;
    e.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    e.data = stopped;
    return e;
}

std::string request_target(const net::Url& url, const std::string& path) { return net::request_target(url, path); }

std::string host_field(const net::Url& url) {
    std::string h = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    if (url.port != (url.tls ? "443" : "80")) h += ":" + url.port;
    return h;
}

const char* to_string(Stage s) {
    switch (s) {
    case Stage::dns: return "DNS lookup";
    case Stage::tcp: return "TCP connect";
    case Stage::tls: return "TLS handshake";
    case Stage::upgrade: return "WebSocket upgrade";
    }
    return "?";
}

std::string connect_timeout_text(Stage s, std::chrono::milliseconds timeout) {
    return "connect timed out after " + std::to_string(timeout.count()) + " ms (" + to_string(s) + ")";
}

} // namespace pushcheck::drivers::detail
