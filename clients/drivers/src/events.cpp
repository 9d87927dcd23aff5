#include "events.hpp"

namespace pushcheck::drivers::detail {

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
