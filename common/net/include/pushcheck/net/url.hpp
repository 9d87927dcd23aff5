// A parsed ws:// or wss:// endpoint.
#pragma once
#include <optional>
#include <string>

namespace pushcheck::net {

/// A WebSocket endpoint: scheme, host, port and the path prefix rooms are joined under.
struct Url {
    bool tls = false;
    std::string host;
    std::string port;   // numeric, defaulted from the scheme (80 / 443)
    std::string path;   // "" or a prefix without trailing slash, e.g. "/api"

    std::string scheme() const { return tls ? "wss" : "ws"; }
    /// ws://host:port + path
    std::string str() const;
};

/// Parses "ws://host[:port][/prefix]" or "wss://...". On failure returns nullopt and
/// sets `error` to a one-line explanation.
std::optional<Url> parse_url(const std::string& text, std::string& error);

} // namespace pushcheck::net
