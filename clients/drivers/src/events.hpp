// Event and request helpers shared by both drivers (no Asio/Beast here).
#pragma once
#include "pushcheck/engine/transcript.hpp"
#include "pushcheck/net/url.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace pushcheck::drivers::detail {

/// system_clock now, in microseconds since the Unix epoch.
std::int64_t wall_us_now();

/// An event of `kind` for one connection, stamped with the wall clock now.
engine::Event make_event(engine::EventKind kind, const std::string& client, int connection);

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
