// The in-process server fixture and message checks shared by the integration test files.
#pragma once
#include "nowtime/server.hpp"
#include "ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <optional>
#include <regex>
#include <string>
#include <vector>
#include <thread>

namespace server_test {

using namespace test_client;
using nlohmann::json;
using nowtime::Server;
using nowtime::ServerOptions;

constexpr ms kInterval{200};

inline ServerOptions test_options() {
    ServerOptions o;
    o.port = 0;
    o.interval = kInterval;
    o.threads = 2;
    o.log_level = nowtime::LogLevel::warn;
    return o;
}

// A started in-process server; stopped and joined on destruction.
struct TestServer {
    explicit TestServer(ServerOptions o = test_options()) : server(std::move(o)) {
        std::string where;
        auto ec = server.start(&where);
        INFO(where << ": " << ec.message());
        REQUIRE_FALSE(ec);
        REQUIRE(server.port() != 0);
    }
    unsigned short port() const { return server.port(); }
    Server server;
};

// Polls `condition` until it holds or `timeout` passes; the server offers no event to wait on.
template <class F>
bool eventually(F condition, ms timeout = ms(3000)) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(ms(10));
    }
    return condition();
}

inline json parse(const std::string& text) { return json::parse(text, nullptr, false); }

inline const json kWelcome = {{"status", 200}, {"event", "notification"}, {"data", "Welcome"}};

// Parses "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC) into a time point; nullopt when it is not one.
inline std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& s) {
    static const std::regex re(R"(^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z$)");
    std::smatch m;
    if (!std::regex_match(s, m, re)) return std::nullopt;
    std::tm tm{};
    tm.tm_year = std::stoi(m[1]) - 1900;
    tm.tm_mon = std::stoi(m[2]) - 1;
    tm.tm_mday = std::stoi(m[3]);
    tm.tm_hour = std::stoi(m[4]);
    tm.tm_min = std::stoi(m[5]);
    tm.tm_sec = std::stoi(m[6]);
    return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(std::stol(m[7]));
}

// Checks one push and returns its timestamp.
inline std::chrono::system_clock::time_point check_push(const Received& r) {
    INFO("message: " << r.text << " error: " << r.ec.message());
    REQUIRE_FALSE(r.ec);
    auto j = parse(r.text);
    REQUIRE(j.is_object());
    CHECK(j.size() == 3);
    CHECK(j["status"] == 200);
    CHECK(j["event"] == "nowtime");
    REQUIRE(j["data"].is_string());
    auto t = parse_utc(j["data"]);
    REQUIRE(t);
    return *t;
}

inline void read_welcome(Client& c) {
    auto r = c.read();
    INFO("error: " << r.ec.message());
    REQUIRE_FALSE(r.ec);
    CHECK(parse(r.text) == kWelcome);
}

// The read after the last message: the server's close frame with `code`.
inline void expect_close(Client& c, int code, ms timeout = ms(2000)) {
    auto r = c.read(timeout);
    INFO("got '" << r.text << "' / " << r.ec.message());
    REQUIRE(is_closed(r.ec));
    CHECK(c.close_code() == code);
}

inline double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}


//--- Raw bytes, for what a well-behaved client library cannot send --------------------

/// An upgrade request for `path`; `extra` holds further header lines ending in "\r\n".
inline std::string upgrade_request(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
}

/// A masked client frame (mask 0x01020304). `declared` overrides the length in the header,
/// so a frame can announce more payload than it carries.
inline std::string client_frame(int opcode, const std::string& payload, bool fin = true,
                                std::optional<std::size_t> declared = std::nullopt) {
    std::string f;
    std::size_t len = declared.value_or(payload.size());
    f += static_cast<char>((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        f += static_cast<char>(0x80 | len);
    } else if (len < 65536) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(len >> 8);
        f += static_cast<char>(len & 0xff);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((len >> (8 * i)) & 0xff);
    }
    const unsigned char mask[4] = {1, 2, 3, 4};
    for (unsigned char m : mask) f += static_cast<char>(m);
    for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
    return f;
}

/// A close frame's payload: the code, big-endian.
inline std::string close_payload(int code) {
    return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

/// One server frame (unmasked) taken from raw bytes.
struct Frame {
    int opcode = 0;
    std::string payload;
};

/// What a raw connection received: the HTTP response head and the frames after it.
struct RawExchange {
    std::string head;
    std::vector<Frame> frames;
    bool ended = false;  // the server closed the TCP connection
};

/// Splits `bytes` into the HTTP head and complete frames; false while a frame is unfinished.
inline void parse_raw(const std::string& bytes, RawExchange& out) {
    out.frames.clear();
    auto end = bytes.find("\r\n\r\n");
    out.head = bytes.substr(0, end == std::string::npos ? bytes.size() : end + 4);
    if (end == std::string::npos) return;
    std::size_t i = end + 4;
    while (i + 2 <= bytes.size()) {
        int op = static_cast<unsigned char>(bytes[i]) & 0x0f;
        std::size_t len = static_cast<unsigned char>(bytes[i + 1]) & 0x7f, at = i + 2;
        if (len == 126) {
            if (at + 2 > bytes.size()) return;
            len = (static_cast<unsigned char>(bytes[at]) << 8) | static_cast<unsigned char>(bytes[at + 1]);
            at += 2;
        }
        if (at + len > bytes.size()) return;
        out.frames.push_back({op, bytes.substr(at, len)});
        i = at + len;
    }
}

/// Reads raw bytes until `done` holds for what arrived, the server ends the connection, or
/// `timeout` passes.
template <class Done>
RawExchange read_raw_until(Client& c, Done done, ms timeout = ms(3000)) {
    RawExchange out;
    std::string bytes;
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto r = c.read_raw(std::chrono::duration_cast<ms>(deadline - Clock::now()));
        bytes += r.text;
        parse_raw(bytes, out);
        if (r.ec) {
            out.ended = !is_timeout(r.ec);
            break;
        }
        if (done(out)) break;
    }
    return out;
}

/// The code of a close frame's payload (1005 when it has none).
inline int close_code_of(const Frame& f) {
    if (f.payload.size() < 2) return 1005;
    return (static_cast<unsigned char>(f.payload[0]) << 8) | static_cast<unsigned char>(f.payload[1]);
}

} // namespace server_test
