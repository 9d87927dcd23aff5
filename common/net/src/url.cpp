#include "pushcheck/net/url.hpp"

#include <cctype>

namespace pushcheck::net {

std::string Url::str() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return scheme() + "://" + h + ":" + port + path;
}

std::optional<Url> parse_url(const std::string& text, std::string& error) {
    Url u;
    std::string rest;
    if (text.rfind("ws://", 0) == 0) {
        rest = text.substr(5);
    } else if (text.rfind("wss://", 0) == 0) {
        u.tls = true;
        rest = text.substr(6);
    } else {
        error = "'" + text + "' is not a ws:// or wss:// URL";
        return std::nullopt;
    }
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    u.path = slash == std::string::npos ? "" : rest.substr(slash);
    while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
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
    return u;
}

} // namespace pushcheck::net
