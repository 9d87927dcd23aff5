// A parsed ws:// or wss:// endpoint.
#pragma once
#include <optional>
#include <string>

namespace pushcheck::net {

/// A WebSocket endpoint: scheme, credentials, host, port, the path prefix rooms are joined
/// under, and a query sent with every handshake.
struct Url {
    bool tls = false;
    std::string user;      // percent-decoded; sent as HTTP Basic auth
    std::string password;  // percent-decoded
    bool has_userinfo = false;
    std::string host;
    std::string port;   // numeric, defaulted from the scheme (80 / 443)
    std::string path;   // "" or a prefix without trailing slash, e.g. "/api"
    bool trailing_slash = false;  // the path was written with a trailing '/' (always a prefix)
    std::string query;  // without '?', as written (sent as is); "" when none

    std::string scheme() const { return tls ? "wss" : "ws"; }
    /// scheme://host:port + path, with the password and query values redacted: safe to print.
    std::string str() const;
    /// The URL dialled for one room (prefix + room + query), redacted like str().
    std::string room_url(const std::string& room) const;
    /// scheme://[user:***@]host:port
    std::string origin() const;
    /// The query with every value replaced by "***" ("token=***&x=***").
    std::string redacted_query() const;
};

/// Parses "ws://[user[:password]@]host[:port][/prefix][?query]" or "wss://..." (the scheme
/// in any case). On failure returns nullopt and sets `error` to a one-line explanation.
std::optional<Url> parse_url(const std::string& text, std::string& error);

/// The request target for `room` under `url`: prefix + room (+ '?' + query, merged with a
/// query the room already has).
std::string request_target(const Url& url, const std::string& room);

/// "Basic base64(user:password)" for the URL's credentials.
std::string basic_auth(const Url& url);

} // namespace pushcheck::net
