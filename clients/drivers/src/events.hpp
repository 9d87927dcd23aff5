// Event and request helpers shared by both drivers (no Asio/Beast here).
#pragma once
#include "pushcheck/engine/command.hpp"
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

/// Why a flood ended, as its summary event's data says (both drivers).
inline constexpr const char* kFloodCountReached = "count reached";
inline constexpr const char* kFloodTimeLimit = "time limit";

/// The tally of one flood command; both drivers keep one, so that their summaries agree.
struct Flood {
    explicit Flood(const engine::Command& c);
    const engine::Command& cmd;
    std::chrono::steady_clock::time_point start, limit;
    std::uint64_t frames = 0;
    std::size_t bytes = 0;
    std::string stopped = kFloodCountReached;

    /// False once the count is reached or the time limit passed (then `stopped` says so).
    bool more();
    void time_limit() { stopped = kFloodTimeLimit; }
    void wrote() {
        ++frames;
        bytes += cmd.data.size();
    }
    /// The `sent` event that sums it up: flood, count, size (payload bytes), duration_us, data = stopped.
    engine::Event event(const std::string& client, int connection) const;
};

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
