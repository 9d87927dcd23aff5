// FrameScanner: the sync driver's frame-boundary buffer, tested without sockets.
#include "frame_scanner.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using pushcheck::drivers::detail::FrameScanner;
using drivertest::RawConn;

namespace {

const std::string upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

void feed(FrameScanner& s, const std::string& bytes, std::int64_t wall = 1) {
    char* p = s.prepare(bytes.size());
    std::copy(bytes.begin(), bytes.end(), p);
    s.commit(bytes.size(), {std::chrono::steady_clock::now(), wall});
}

std::string take(FrameScanner& s, std::size_t n = 1 << 20) {
    std::string out(n, '\0');
    out.resize(s.take(out.data(), n));
    return out;
}

} // namespace

TEST_CASE("scanner hands out the HTTP header alone, then one frame at a time", "[scanner]") {
    FrameScanner s(1 << 20);
    std::string f1 = RawConn::frame(1, "hello");
    std::string f2 = RawConn::frame(2, "xy");
    feed(s, upgrade + f1 + f2);
    CHECK(s.readable() == upgrade.size());
    CHECK(take(s) == upgrade);
    REQUIRE(s.has_message());
    CHECK(s.readable() == f1.size());
    CHECK(take(s) == f1);
    REQUIRE(s.has_message());
    CHECK(take(s) == f2);
    CHECK_FALSE(s.has_message());
    CHECK(s.buffered() == 0);
}

TEST_CASE("scanner finds the end of a header split across reads", "[scanner]") {
    FrameScanner s(1 << 20);
    feed(s, upgrade.substr(0, upgrade.size() - 1));
    CHECK(take(s) == upgrade.substr(0, upgrade.size() - 1));
    std::string f = RawConn::frame(1, "a");
    feed(s, "\n" + f);
    CHECK(take(s) == "\n");
    CHECK(s.has_message());
    CHECK(take(s) == f);
}

TEST_CASE("scanner reports a message only once its last frame is complete", "[scanner]") {
    FrameScanner s(1 << 20);
    feed(s, upgrade);
    take(s);
    std::string first = RawConn::frame(1, "ab", false);
    std::string last = RawConn::frame(0, "cd", true);
    feed(s, first + last.substr(0, 3));
    CHECK_FALSE(s.has_message());
    CHECK(s.readable() == first.size());  // the complete first fragment may go to Beast
    feed(s, last.substr(3), 42);
    REQUIRE(s.has_message());
    CHECK(s.front_arrival().wall_us == 42);  // the read that completed the message
    CHECK(take(s, 100) == first);             // never past a frame end
    CHECK(take(s, 100) == last);
    CHECK_FALSE(s.has_message());
}

TEST_CASE("scanner cuts pings and pongs out and orders them against messages", "[scanner]") {
    FrameScanner s(1 << 20);
    feed(s, upgrade);
    take(s);
    std::string first = RawConn::frame(1, "ab", false);
    std::string ping = RawConn::frame(9, "p1");
    std::string last = RawConn::frame(0, "cd", true);
    std::string pong = RawConn::frame(10, "p2");
    feed(s, first + ping + last + pong);
    REQUIRE(s.has_message());
    CHECK(s.buffered() == first.size() + last.size());
    auto before = s.take_controls(s.front_end());
    REQUIRE(before.size() == 1);
    CHECK(before[0].ping);
    CHECK(before[0].payload == "p1");
    CHECK(take(s) == first);
    CHECK(take(s) == last);
    auto after = s.take_controls();
    REQUIRE(after.size() == 1);
    CHECK_FALSE(after[0].ping);
    CHECK(after[0].payload == "p2");
}

TEST_CASE("scanner stops at the header of a message over the limit", "[scanner]") {
    FrameScanner s(10);
    feed(s, upgrade);
    take(s);
    std::string big = RawConn::frame(1, std::string(11, 'x'));
    feed(s, big.substr(0, 4));  // header and two payload bytes
    REQUIRE(s.has_message());
    CHECK(s.readable() == 2);  // just the header: Beast fails on it
    CHECK(take(s) == big.substr(0, 2));
    CHECK(s.raw());
    CHECK(take(s) == big.substr(2, 2));  // the rest passes through raw
}

TEST_CASE("scanner stops at a frame Beast rejects", "[scanner]") {
    for (const std::string& bad : {RawConn::frame(1, "masked", true, true), RawConn::frame(3, "reserved"),
                                   RawConn::frame(9, "fragmented ping", false), RawConn::frame(0, "no message")}) {
        FrameScanner s(1 << 20);
        feed(s, upgrade);
        take(s);
        feed(s, bad);
        REQUIRE(s.has_message());
        CHECK(s.raw());
        CHECK(s.take_controls().empty());
    }
}

TEST_CASE("scanner passes a refused upgrade and a close frame's tail through raw", "[scanner]") {
    FrameScanner s(1 << 20);
    std::string head = "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\n";
    feed(s, head + "hel");
    CHECK(take(s) == head);
    CHECK(s.raw());
    feed(s, "lo");
    CHECK(take(s) == "hello");

    FrameScanner c(1 << 20);
    std::string close = RawConn::frame(8, std::string("\x03\xe8", 2));
    feed(c, upgrade + close + "junk");
    take(c);
    REQUIRE(c.has_message());
    CHECK(take(c, 100) == close);
    CHECK_FALSE(c.has_message());
    CHECK(take(c) == "junk");
}
