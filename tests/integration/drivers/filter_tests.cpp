// The async driver's frame filter (Guarded in async_driver.cpp) takes whole data frames itself
// and hands Beast only the rest. These raw-frame peers send what a filter can get wrong: frames
// in the same write as the upgrade response, control frames between pushes, fragments, frames
// cut across reads, and frames Beast rejects. Each case runs under both drivers (the sync driver
// reads every frame through Beast) and the two must report the same events, in the same order,
// with the same payloads.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace drivertest;

namespace {

// Kind, codes and payload of every event of `client`, in order.
std::vector<std::string> contents(const Script& s, const std::string& client) {
    std::vector<std::string> out;
    for (const auto& e : s.events_of(client)) out.push_back(signature(e) + " '" + e.data + "'");
    return out;
}

/// Runs `script` against a raw peer under both drivers and returns each driver's event contents.
std::map<std::string, std::vector<std::string>> both(const std::function<void(RawConn&)>& peer_script,
                                                     const std::function<void(Script&)>& steps,
                                                     std::size_t max_message_bytes = 0) {
    std::map<std::string, std::vector<std::string>> out;
    for (const char* driver : {"async", "sync"}) {
        RawPeer peer(peer_script);
        auto target = target_for(peer.port());
        if (max_message_bytes) target.max_message_bytes = max_message_bytes;
        Script s;
        steps(s);
        run(driver, target, s);
        INFO(driver << ": " << describe(s));
        CHECK(s.passed());
        out[driver] = contents(s, "a");
    }
    return out;
}

std::string text(const std::string& payload) { return RawConn::frame(1, payload); }

// Reads until the client's close frame, answers it and returns (the peer then closes the socket).
void until_close(RawConn& c) {
    RawConn::Frame f;
    while (c.read_frame(f, 3000ms) == RawConn::Read::frame)
        if (f.opcode == 8) {
            c.send(RawConn::frame(8, f.payload.substr(0, 2)));
            return;
        }
}

} // namespace

TEST_CASE("filter: frames in the upgrade response's write come after connected, in order", "[drivers][filter]") {
    auto got = both(
        [](RawConn& c) {
            if (!c.handshake(text("welcome") + text("one") + RawConn::frame(2, std::string("\x00\x01\x02", 3))))
                return;
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::received, "", 3); });
    const std::vector<std::string> expected{"a#0 connected[] ''", "a#0 received[text 7] 'welcome'",
                                            "a#0 received[text 3] 'one'",
                                            "a#0 received[binary 3] '" + std::string("\x00\x01\x02", 3) + "'"};
    CHECK(got["async"] == expected);
    CHECK(got["sync"] == expected);
}

TEST_CASE("filter: a pong and a ping between pushes keep their place", "[drivers][filter]") {
    std::string answered;
    auto got = both(
        [&](RawConn& c) {
            if (!c.handshake()) return;
            // One write: push, unsolicited pong, push, ping, push.
            c.send(text("a") + RawConn::frame(10, "p") + text("b") + RawConn::frame(9, "q") + text("c"));
            RawConn::Frame f;
            if (c.read_frame(f, 3000ms) == RawConn::Read::frame && f.opcode == 10) answered = f.payload;
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::received, "c"); });
    const std::vector<std::string> expected{"a#0 connected[] ''", "a#0 received[text 1] 'a'", "a#0 pong[p] 'p'",
                                            "a#0 received[text 1] 'b'", "a#0 received[text 1] 'c'"};
    CHECK(got["async"] == expected);
    CHECK(got["sync"] == expected);
    CHECK(answered == "q");  // the ping between the pushes was answered
}

TEST_CASE("filter: a fragmented message with a ping inside, then whole ones", "[drivers][filter]") {
    auto got = both(
        [](RawConn& c) {
            if (!c.handshake()) return;
            c.send(text("before") + RawConn::frame(1, "hel", false) + RawConn::frame(9, "x") +
                   RawConn::frame(0, "lo", false) + RawConn::frame(0, "!", true) + text("after"));
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::received, "after"); });
    const std::vector<std::string> expected{"a#0 connected[] ''", "a#0 received[text 6] 'before'",
                                            "a#0 received[text 6] 'hello!'", "a#0 received[text 5] 'after'"};
    CHECK(got["async"] == expected);
    CHECK(got["sync"] == expected);
}

TEST_CASE("filter: frames cut across reads, byte by byte and in one large message", "[drivers][filter]") {
    const std::string big(200000, 'x');
    auto got = both(
        [&](RawConn& c) {
            if (!c.handshake()) return;
            const std::string bytes = text("first") + text("second");
            for (char b : bytes) {  // each byte its own segment (the peer sets TCP_NODELAY), a pause between
                c.send(std::string(1, b));
                std::this_thread::sleep_for(2ms);
            }
            c.send(text(big) + text("last"));
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::received, "last"); });
    const std::vector<std::string> expected{"a#0 connected[] ''", "a#0 received[text 5] 'first'",
                                            "a#0 received[text 6] 'second'", "a#0 received[text 200000] '" + big + "'",
                                            "a#0 received[text 4] 'last'"};
    CHECK(got["async"] == expected);
    CHECK(got["sync"] == expected);
}

TEST_CASE("filter: a thousand pushes in one write arrive whole and in order", "[drivers][filter]") {
    std::string burst;
    for (int i = 0; i < 1000; ++i) burst += text(std::to_string(i));
    auto got = both(
        [&](RawConn& c) {
            if (!c.handshake(burst)) return;
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::received, "", 1000); });
    REQUIRE(got["async"].size() == 1001);
    for (int i = 0; i < 1000; ++i)
        CHECK(got["async"][i + 1] == "a#0 received[text " + std::to_string(std::to_string(i).size()) + "] '" +
                                         std::to_string(i) + "'");
    CHECK(got["async"] == got["sync"]);
}

TEST_CASE("filter: frames Beast rejects end the connection as they do without the filter", "[drivers][filter]") {
    std::string bad;
    std::string why;
    SECTION("invalid UTF-8 in a text frame") {
        bad = text("\xff\xfe");
        why = "utf8";
    }
    SECTION("a length in more bytes than it needs") {
        bad = std::string("\x81\x7e\x00\x05", 4) + "hello";
        why = "size";
    }
    SECTION("a whole data frame inside a fragmented message") {
        bad = RawConn::frame(1, "frag", false) + text("whole");
        why = "data frame";
    }
    SECTION("a continuation frame with no message to continue") {
        bad = RawConn::frame(0, "cont");
        why = "continuation";
    }
    SECTION("a reserved bit set") {
        bad = std::string("\xc1\x02", 2) + "hi";
        why = "reserved";
    }
    INFO(why);
    auto got = both(
        [&](RawConn& c) {
            if (!c.handshake(text("ok") + bad + text("never"))) return;
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::closed); });
    REQUIRE(got["async"].size() >= 3);
    CHECK(got["async"][1] == "a#0 received[text 2] 'ok'");
    CHECK(got["async"] == got["sync"]);
    for (const auto& line : got["async"]) CHECK(line.find("never") == std::string::npos);
}

TEST_CASE("filter: a message over the limit is an error, as without the filter", "[drivers][filter]") {
    auto got = both(
        [](RawConn& c) {
            if (!c.handshake(text("small") + text(std::string(300, 'y')))) return;
            until_close(c);
        },
        [](Script& s) { s.connect("a", "/x").expect("a", EventKind::closed); }, 256);
    REQUIRE(got["async"].size() >= 3);
    CHECK(got["async"][1] == "a#0 received[text 5] 'small'");
    CHECK(got["async"][2].find("exceeds 256 bytes") != std::string::npos);
    CHECK(got["async"] == got["sync"]);
}
