#include "pushcheck/net/url.hpp"

#include <algorithm>
#include <cctype>

namespace pushcheck::net {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Percent-decodes user info; false on a malformed escape.
bool percent_decode(const std::string& in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

std::string base64(const std::string& in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += tbl[(v >> 18) & 63], out += tbl[(v >> 12) & 63], out += tbl[(v >> 6) & 63], out += tbl[v & 63];
    }
    if (i + 1 == in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += tbl[(v >> 18) & 63], out += tbl[(v >> 12) & 63], out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += tbl[(v >> 18) & 63], out += tbl[(v >> 12) & 63], out += tbl[(v >> 6) & 63], out += '=';
    }
    return out;
}

} // namespace

std::string Url::redacted_query() const {
    std::string out;
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t amp = query.find('&', start);
        std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        std::size_t eq = part.find('=');
        if (!out.empty()) out += '&';
        out += eq == std::string::npos ? part : part.substr(0, eq) + "=***";
        if (amp == std::string::npos) break;
        start = amp + 1;
    }
    return out;
}

// scheme://[user:***@]host:port, safe to print.
std::string Url::origin() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::string auth;
    if (has_userinfo) auth = user + (password.empty() ? "" : ":***") + "@";
    return scheme() + "://" + auth + h + ":" + port;
}

std::string Url::str() const { return origin() + path + (query.empty() ? "" : "?" + redacted_query()); }

std::string Url::room_url(const std::string& room) const {
    Url shown = *this;
    shown.query = redacted_query();
    return origin() + request_target(shown, room);
}

std::string request_target(const Url& url, const std::string& room) {
    std::string target = url.path;
    std::string path = room, room_query;
    if (auto q = path.find('?'); q != std::string::npos) {
        room_query = path.substr(q + 1);
        path.erase(q);
    }
    if (!path.empty() && path.front() != '/') target += '/';
    target += path;
    if (target.empty() || target.front() != '/') target.insert(target.begin(), '/');
    std::string query = room_query;
    if (!url.query.empty()) query += (query.empty() ? "" : "&") + url.query;
    if (!query.empty()) target += "?" + query;
    return target;
}

std::string basic_auth(const Url& url) { return "Basic " + base64(url.user + ":" + url.password); }

// The URL as given, with a password replaced by *** (for error messages).
std::string redact_text(const std::string& text) {
    auto sep = text.find("://");
    std::size_t start = sep == std::string::npos ? 0 : sep + 3;
    std::size_t end = text.find_first_of("/?#", start);
    auto at = text.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at == std::string::npos || at < start) return text;
    auto colon = text.find(':', start);
    if (colon == std::string::npos || colon > at) return text;
    return text.substr(0, colon + 1) + "***" + text.substr(at);
}

std::optional<Url> parse_url(const std::string& raw, std::string& error) {
    const std::string text = redact_text(raw);
    Url u;
    std::string rest;
    const std::string scheme_end = "://";
    auto sep = raw.find(scheme_end);
    std::string scheme = sep == std::string::npos ? "" : lower(raw.substr(0, sep));
    if (scheme == "ws") {
        rest = raw.substr(sep + 3);
    } else if (scheme == "wss") {
        u.tls = true;
        rest = raw.substr(sep + 3);
    } else {
        error = "'" + text + "' is not a ws:// or wss:// URL" +
                (scheme == "http" || scheme == "https" ? " (use " + std::string(scheme == "http" ? "ws" : "wss") + "://)"
                                                       : "");
        return std::nullopt;
    }
    if (auto frag = rest.find('#'); frag != std::string::npos) {
        error = "'" + text + "' has a fragment ('#...'), which a WebSocket URL must not have";
        return std::nullopt;
    }
    if (auto q = rest.find('?'); q != std::string::npos) {
        u.query = rest.substr(q + 1);
        rest.erase(q);
    }
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    u.path = slash == std::string::npos ? "" : rest.substr(slash);
    u.trailing_slash = u.path.size() > 1 && u.path.back() == '/';
    while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
    if (auto at = authority.rfind('@'); at != std::string::npos) {
        std::string info = authority.substr(0, at);
        authority.erase(0, at + 1);
        auto colon = info.find(':');
        u.has_userinfo = true;
        if (!percent_decode(info.substr(0, colon), u.user) ||
            (colon != std::string::npos && !percent_decode(info.substr(colon + 1), u.password))) {
            error = "'" + text + "' has a malformed %-escape in its user info";
            return std::nullopt;
        }
    }
    if (authority.empty()) {
        error = "'" + text + "' has no host";
        return std::nullopt;
    }
    std::string port;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) {
            error = "'" + text + "' has an unterminated IPv6 address";
            return std::nullopt;
        }
        u.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') {
                error = "'" + text + "' has junk after the IPv6 address";
                return std::nullopt;
            }
            port = authority.substr(close + 2);
            if (port.empty()) {
                error = "'" + text + "' has an empty port";
                return std::nullopt;
            }
        }
    } else {
        auto colon = authority.rfind(':');
        u.host = authority.substr(0, colon);
        if (colon != std::string::npos) port = authority.substr(colon + 1);
        if (colon != std::string::npos && port.empty()) {
            error = "'" + text + "' has an empty port";
            return std::nullopt;
        }
    }
    if (u.host.empty()) {
        error = "'" + text + "' has no host";
        return std::nullopt;
    }
    for (char c : u.host)
        if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\') {
            error = "'" + u.host + "' is not a valid host name";
            return std::nullopt;
        }
    u.host = lower(u.host);
    if (port.empty()) port = u.tls ? "443" : "80";
    for (char c : port) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            error = "'" + text + "' has a port that is not a number: '" + port + "'";
            return std::nullopt;
        }
    }
    if (port.size() > 5 || std::stoul(port) > 65535 || std::stoul(port) == 0) {
        error = "'" + text + "' has a port out of range: " + port;
        return std::nullopt;
    }
    u.port = port;
    for (char c : u.path + u.query)
        if (static_cast<unsigned char>(c) <= ' ' || c == 127) {
            error = "'" + text + "' has a space or control character in its path or query (percent-encode it)";
            return std::nullopt;
        }
    return u;
}

} // namespace pushcheck::net
