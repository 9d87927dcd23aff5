// The sync and async drivers against real peers on 127.0.0.1: the Python `websockets`
// peer (peer.py) and a raw-frame C++ peer for what a library server would never do.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <poll.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

using namespace drivertest;

namespace {

std::optional<Event> find(const std::vector<Event>& events, EventKind kind, int nth = 0) {
    for (const auto& e : events)
        if (e.kind == kind && nth-- == 0) return e;
    return std::nullopt;
}

// "2026-11-26T13:02:48.542529Z" -> microseconds since the epoch (0 if malformed).
std::int64_t iso_us(const std::string& s) {
    std::tm tm{};
    int us = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &us) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(::timegm(&tm)) * 1000000 + us;
}

int count(const std::vector<Event>& events, EventKind kind) {
    int n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
}

} // namespace

TEST_CASE("a nowtime lifecycle gives the same events under both drivers", "[drivers]") {
    PythonPeer peer;
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        Script s;
        s.connect("a", "/nowtime?interval=50&count=3")
            .expect("a", EventKind::connected)
            .expect("a", EventKind::received, "Welcome")
            .expect("a", EventKind::received, "nowtime", 3)
            .send("a", R"({"event":"close"})")
            .expect("a", EventKind::received, "bye")
            .expect("a", EventKind::closed);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        sigs[driver] = signatures(s.events_of("a"));
        auto events = s.events_of("a");
        auto closed = find(events, EventKind::closed);
        REQUIRE(closed);
        CHECK(closed->close_code == 1000);
        CHECK(closed->clean);
        CHECK(closed->by_peer);
        auto welcome = find(events, EventKind::received);
        REQUIRE(welcome);
        CHECK(welcome->wall_us > 0);
        CHECK_FALSE(welcome->binary);
        CHECK(welcome->size == welcome->data.size());
    }
    std::vector<std::string> expected{"a#0 connected[]",        "a#0 received[notification]", "a#0 received[nowtime]",
                                      "a#0 received[nowtime]",  "a#0 received[nowtime]",      "a#0 sent[text 17]",
                                      "a#0 received[bye]",      "a#0 closed[1000 clean by_peer]"};
    CHECK(sigs["async"] == expected);
    CHECK(sigs["sync"] == expected);
}

TEST_CASE("push intervals are measured at arrival while another client is busy", "[drivers][timing]") {
    PythonPeer peer;
    for (const char* driver : {"async", "sync"}) {
        // b receives a 32 KiB message every 2 ms; c writes 128 KiB messages and reads the echoes.
        Script s;
        s.connect("a", "/nowtime?interval=100&count=7")
            .connect("b", "/flood?count=400&size=32768&every=2")
            .connect("c", "/echo");
        for (int i = 0; i < 20; ++i) s.send("c", std::string(128 * 1024, 'c'));
        s.expect("a", EventKind::connected)
            .expect("b", EventKind::connected)
            .expect("a", EventKind::received, "nowtime", 7, 5000ms)
            .expect("b", EventKind::received, "", 400, 10000ms)
            .expect("c", EventKind::received, "", 20, 10000ms);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        // The first push meets the start of the flood; the measurement starts at the second.
        std::vector<SteadyTime> pushes;
        std::vector<std::int64_t> sent_us, arrived_us;  // server's timestamp, client's wall clock
        for (const auto& r : s.records())
            if (r.event.client == "a" && r.event.data.find("nowtime") != std::string::npos) {
                pushes.push_back(r.t);
                sent_us.push_back(iso_us(nlohmann::json::parse(r.event.data).value("data", "")));
                arrived_us.push_back(r.event.wall_us);
            }
        REQUIRE(pushes.size() == 7);
        int busy = 0;  // b's messages that arrived while the gaps were measured
        for (const auto& r : s.records())
            if (r.event.client == "b" && r.event.kind == EventKind::received && r.t > pushes[1] && r.t < pushes.back())
                ++busy;
        INFO(driver << ": b received " << busy << " messages during a's pushes");
        CHECK(busy >= 50);
        for (std::size_t i = 2; i < pushes.size(); ++i) {
            auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(pushes[i] - pushes[i - 1]).count();
            INFO(driver << ": gap " << i << " = " << gap << " ms; server sent them "
                        << (sent_us[i] - sent_us[i - 1]) / 1000 << " ms apart; latency "
                        << (arrived_us[i] - sent_us[i]) / 1000 << " ms");
            CHECK(gap >= 70);
            CHECK(gap <= 130);
        }
    }
}

TEST_CASE("a host name goes through the resolver (localhost)", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;  // listens on 127.0.0.1 only: a ::1 address from the resolver is refused first
    auto target = target_for(peer.port());
    target.url.host = "localhost";
    Script s;
    s.connect("a", "/nowtime?interval=50&count=1").expect("a", EventKind::received, "nowtime");
    run(driver, target, s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
}

TEST_CASE("a refused TCP connection is connect_failed", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    Script s;
    s.connect("a", "/nowtime").expect("a", EventKind::connect_failed);
    run(driver, target_for(closed_port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    auto events = s.events_of("a");
    REQUIRE(events.size() == 1);
    CHECK(events[0].http_status == 0);
    CHECK_THAT(events[0].data, Catch::Contains("refused"));
}

TEST_CASE("a refused upgrade is connect_failed with the HTTP status", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    Script s;
    s.connect("a", "/404").connect("b", "/503").expect("a", EventKind::connect_failed).expect("b", EventKind::connect_failed);
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    CHECK(s.events_of("a").at(0).http_status == 404);
    CHECK(s.events_of("b").at(0).http_status == 503);
    CHECK_THAT(s.events_of("a").at(0).data, Catch::Contains("HTTP 404"));
}

TEST_CASE("connect gives up at its timeout", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    // A peer that accepts TCP and never answers the upgrade.
    RawPeer peer([](RawConn& c) { c.read_until_end(3000ms); });
    Script s;
    s.connect("a", "/x", 0, {}, {}, 300ms).expect("a", EventKind::connect_failed);
    auto took = run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    CHECK_THAT(s.events_of("a").at(0).data, Catch::Contains("timed out after 300 ms (WebSocket upgrade)"));
    CHECK(took < 2000ms);
}

TEST_CASE("abort resets the TCP connection without a close frame", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    std::atomic<int> seen{-1};
    std::atomic<int> close_frames{0};
    {
        RawPeer peer([&](RawConn& c) {
            if (!c.handshake()) return;
            int closes = 0;
            seen = static_cast<int>(c.read_until_end(5000ms, &closes));
            close_frames = closes;
        });
        Script s;
        s.connect("a", "/x").expect("a", EventKind::connected).abort("a").expect("a", EventKind::closed);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        auto closed = find(s.events_of("a"), EventKind::closed);
        REQUIRE(closed);
        CHECK_FALSE(closed->clean);
        CHECK_FALSE(closed->by_peer);
        CHECK(closed->close_code == 0);
    }
    CHECK(seen == static_cast<int>(RawConn::Read::reset));
    CHECK(close_frames == 0);
}

TEST_CASE("a message over max_message_bytes is an error, then closed, under both drivers", "[drivers]") {
    PythonPeer peer;
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        auto target = target_for(peer.port());
        target.max_message_bytes = 65536;
        Script s;
        s.connect("a", "/big?bytes=100000").expect("a", EventKind::error).expect("a", EventKind::closed);
        run(driver, target, s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        sigs[driver] = signatures(s.events_of("a"));
    }
    std::vector<std::string> expected{"a#0 connected[]", "a#0 error[message exceeds 65536 bytes]", "a#0 closed[0]"};
    CHECK(sigs["async"] == expected);
    CHECK(sigs["sync"] == expected);
}

TEST_CASE("a server that stalls mid-frame cannot hang the driver", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    std::atomic<int> end{-1};
    std::atomic<int> close_frames{0};
    {
        std::string frame = RawConn::frame(1, std::string(1000, 'z'));
        RawPeer peer([&](RawConn& c) {
            if (!c.handshake(frame.substr(0, 14))) return;  // header and 10 bytes, then nothing
            int closes = 0;
            end = static_cast<int>(c.read_until_end(5000ms, &closes));
            close_frames = closes;
        });
        Script s;
        s.connect("a", "/x").expect("a", EventKind::connected).expect("a", EventKind::received, "", 1, 300ms);
        auto took = run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        CHECK_FALSE(s.passed());  // the message never completes
        CHECK_THAT(s.failure(), Catch::Contains("received"));
        CHECK(count(s.events_of("a"), EventKind::received) == 0);
        CHECK(took < 2000ms);  // 300 ms wait + release (close frame, 300 ms bound)
    }
    CHECK(close_frames == 1);  // release sent its close frame
    CHECK(end == static_cast<int>(RawConn::Read::eof));
}

TEST_CASE("a write the server never reads times out", "[drivers]") {
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        int over[2];
        REQUIRE(::pipe(over) == 0);
        Script s;
        s.connect("a", "/x").expect("a", EventKind::connected);
        for (int i = 0; i < 40; ++i) s.send("a", std::string(1 << 20, 'w'));
        s.expect("a", EventKind::error, "write timed out", 1, 15000ms).expect("a", EventKind::closed);
        {
            RawPeer peer([&](RawConn& c) {
                if (!c.handshake()) return;
                pollfd p{over[0], POLLIN, 0};
                ::poll(&p, 1, 10000);  // never read until the test is over: the client's writes back up
            });
            auto target = target_for(peer.port());
            target.io_timeout = 300ms;
            run(driver, target, s);
            ::close(over[1]);
        }
        ::close(over[0]);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        std::vector<std::string> sig;
        for (auto& x : signatures(s.events_of("a")))
            if (x.find("sent[") == std::string::npos) sig.push_back(x);
        sigs[driver] = sig;
    }
    std::vector<std::string> expected{"a#0 connected[]", "a#0 error[write timed out after 300 ms]", "a#0 closed[0]"};
    CHECK(sigs["async"] == expected);
    CHECK(sigs["sync"] == expected);
}

TEST_CASE("wss with a self-signed certificate: ca_file, insecure, and a verification failure", "[drivers][tls]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    static const CertFiles cert = make_cert();  // one RSA key per process: generating it is slow
    PythonPeer peer(cert.cert, cert.key);

    auto lifecycle = [](Script& s) {
        s.connect("a", "/nowtime?interval=50&count=2")
            .expect("a", EventKind::connected)
            .expect("a", EventKind::received, "nowtime", 2)
            .send("a", R"({"event":"close"})")
            .expect("a", EventKind::received, "bye")
            .expect("a", EventKind::closed);
    };
    SECTION("ca_file") {
        auto target = target_for(peer.port(), true);
        target.ca_file = cert.cert;
        Script s;
        lifecycle(s);
        run(driver, target, s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        auto closed = find(s.events_of("a"), EventKind::closed);
        REQUIRE(closed);
        CHECK(closed->clean);
        CHECK(closed->close_code == 1000);
    }
    SECTION("insecure") {
        auto target = target_for(peer.port(), true);
        target.insecure = true;
        Script s;
        lifecycle(s);
        run(driver, target, s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
    }
    SECTION("verification failure") {
        Script s;
        s.connect("a", "/nowtime").expect("a", EventKind::connect_failed);
        run(driver, target_for(peer.port(), true), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        CHECK_THAT(s.events_of("a").at(0).data, Catch::Contains("TLS handshake failed") && Catch::Contains("verify"));
    }
    SECTION("a CA file that cannot be read") {
        auto target = target_for(peer.port(), true);
        target.ca_file = cert.dir + "/missing.pem";
        Script s;
        s.connect("a", "/nowtime").expect("a", EventKind::connect_failed);
        run(driver, target, s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        CHECK_THAT(s.events_of("a").at(0).data, Catch::Contains("missing.pem"));
    }
}

TEST_CASE("200 clients of one session connect", "[drivers][load]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    Script s;
    const int n = 200;
    for (int i = 1; i <= n; ++i) s.connect("m" + std::to_string(i), "/nowtime?interval=1000&count=0", 0, {}, {}, 10000ms);
    for (int i = 1; i <= n; ++i) s.expect("m" + std::to_string(i), EventKind::received, "Welcome", 1, 15000ms);
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    int connected = 0;
    for (const auto& r : s.records()) connected += r.event.kind == EventKind::connected;
    CHECK(connected == n);
}

TEST_CASE("ping gets a pong event, and a server ping is answered", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    SECTION("client ping") {
        PythonPeer peer;
        Script s;
        s.connect("a", "/silent").expect("a", EventKind::connected).ping("a", "hello").expect("a", EventKind::pong, "hello");
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        CHECK(find(s.events_of("a"), EventKind::pong)->data == "hello");
    }
    SECTION("server ping") {
        std::string answer;
        {
            RawPeer peer([&](RawConn& c) {
                if (!c.handshake(RawConn::frame(9, "srv"))) return;
                RawConn::Frame f;
                if (c.read_frame(f, 3000ms) == RawConn::Read::frame && f.opcode == 10) answer = f.payload;
                c.send(RawConn::frame(1, "after"));
                c.read_until_end(3000ms);
            });
            Script s;
            s.connect("a", "/x").expect("a", EventKind::received, "after");
            run(driver, target_for(peer.port()), s);
            INFO(driver << ": " << describe(s));
            REQUIRE(s.passed());
            CHECK(count(s.events_of("a"), EventKind::pong) == 0);
            CHECK(count(s.events_of("a"), EventKind::error) == 0);
        }
        CHECK(answer == "srv");
    }
}

TEST_CASE("handshake carries the path prefix, headers, User-Agent and subprotocols", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    auto target = target_for(peer.port(), false, "/pre");
    target.headers = {{"X-Target", "t"}};
    Script s;
    s.connect("a", "/headers", 0, {{"X-Test", "c"}}, {"x", "chat.v1"})
        .expect("a", EventKind::connected, "chat.v1")
        .expect("a", EventKind::received, "_path");
    run(driver, target, s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    auto j = nlohmann::json::parse(find(s.events_of("a"), EventKind::received)->data);
    CHECK(j.value("_path", "") == "/pre/headers");
    CHECK(j.value("User-Agent", "") == "pushcheck-test");
    CHECK(j.value("X-Target", "") == "t");
    CHECK(j.value("X-Test", "") == "c");
}

TEST_CASE("close codes: server-initiated and client-initiated", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    SECTION("the server closes") {
        Script s;
        s.connect("a", "/close?code=4001&reason=go").expect("a", EventKind::closed);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        auto closed = find(s.events_of("a"), EventKind::closed);
        CHECK(closed->close_code == 4001);
        CHECK(closed->clean);
        CHECK(closed->by_peer);
        CHECK(closed->data == "go");
    }
    SECTION("the client closes") {
        Script s;
        s.connect("a", "/silent").expect("a", EventKind::connected).close("a", 4000, "done").expect("a", EventKind::closed);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        auto events = s.events_of("a");
        CHECK(signatures(events) ==
              std::vector<std::string>{"a#0 connected[]", "a#0 sent[close 4000]", "a#0 closed[4000 clean]"});
        CHECK(find(events, EventKind::sent)->data == "done");
    }
}

TEST_CASE("commands without an open connection are 'not connected' errors", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    Script s;
    s.send("b", "x")
        .expect("b", EventKind::error, "not connected")
        .connect("a", "/close?code=1000")
        .expect("a", EventKind::closed)
        .send("a", "late")
        .expect("a", EventKind::error, "not connected");
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
}

TEST_CASE("an invalid frame from the server is a protocol error under both drivers", "[drivers]") {
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        std::atomic<int> client_close{0};
        {
            RawPeer peer([&](RawConn& c) {
                if (!c.handshake(RawConn::frame(1, "masked", true, true))) return;
                RawConn::Frame f;
                while (c.read_frame(f, 3000ms) == RawConn::Read::frame)
                    if (f.opcode == 8) {
                        client_close = (static_cast<unsigned char>(f.payload[0]) << 8) | static_cast<unsigned char>(f.payload[1]);
                        c.send(RawConn::frame(8, f.payload.substr(0, 2)));
                        break;
                    }
            });
            Script s;
            s.connect("a", "/x").expect("a", EventKind::error).expect("a", EventKind::closed);
            run(driver, target_for(peer.port()), s);
            INFO(driver << ": " << describe(s));
            REQUIRE(s.passed());
            sigs[driver] = signatures(s.events_of("a"));
        }
        CHECK(client_close == 1002);
    }
    CHECK(sigs["async"] == sigs["sync"]);
    CHECK(sigs["async"].at(1).find("protocol error") != std::string::npos);
}

TEST_CASE("a server that drops TCP after a message: received, then closed by the peer", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    RawPeer peer([](RawConn& c) { c.handshake(RawConn::frame(1, "last")); });
    Script s;
    s.connect("a", "/x").expect("a", EventKind::closed);
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    CHECK(signatures(s.events_of("a")) ==
          std::vector<std::string>{"a#0 connected[]", "a#0 received[text 4]", "a#0 closed[0 by_peer]"});
    CHECK(find(s.events_of("a"), EventKind::closed)->data == "eof without close frame");
}

TEST_CASE("binary messages and reconnects", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    Script s;
    s.connect("a", "/echo")
        .expect("a", EventKind::connected)
        .send_binary("a", std::string("\x00\x01\xff", 3))
        .expect("a", EventKind::received)
        .connect("a", "/echo", 1)
        .expect("a", EventKind::connected)
        .send("a", "again")
        .expect("a", EventKind::received, "again")
        .close("a", 1000)
        .expect("a", EventKind::closed);
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    CHECK(signatures(s.events_of("a")) ==
          std::vector<std::string>{"a#0 connected[]", "a#0 sent[binary 3]", "a#0 received[binary 3]", "a#1 connected[]",
                                   "a#1 sent[text 5]", "a#1 received[text 5]", "a#1 sent[close 1000]",
                                   "a#1 closed[1000 clean]"});
    CHECK(find(s.events_of("a"), EventKind::received)->data == std::string("\x00\x01\xff", 3));
}

TEST_CASE("sessions run up to `jobs` at once and each is reported done", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    std::vector<std::unique_ptr<Script>> scripts;
    std::vector<pushcheck::engine::Session*> sessions;
    for (int i = 0; i < 4; ++i) {
        scripts.push_back(std::make_unique<Script>("s" + std::to_string(i)));
        scripts.back()->connect("a", "/nowtime?interval=50&count=1").expect("a", EventKind::received, "nowtime");
        sessions.push_back(scripts.back().get());
    }
    std::vector<std::string> done;
    auto d = make_driver(driver, target_for(peer.port()));
    d->run(sessions, 2, [&](pushcheck::engine::Session& s) { done.push_back(s.name()); });
    REQUIRE(done.size() == 4);
    for (auto& s : scripts) {
        INFO(driver << ": " << describe(*s));
        CHECK(s->passed());
    }
}

TEST_CASE("a peer that never answers with HTTP gets no invented status", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    struct Case {
        std::string name, bytes, text;
    };
    auto c = GENERATE(Case{"drop", "", "connection closed before any HTTP response"},
                      Case{"ssh", "SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP response: first 21 bytes: 'SSH-2.0-OpenSSH_9.2\\r\\n'"},
                      Case{"tls", std::string("\x15\x03\x03\x00\x02\x02\x46", 7), "use wss://"},
                      Case{"half", "HTTP/1.1 101 Swi", "in the middle of the HTTP response"});
    RawPeer peer([&](RawConn& conn) {
        if (conn.read_request() && !c.bytes.empty()) conn.send(c.bytes);
    });
    Script s;
    s.connect("a", "/nowtime").expect("a", EventKind::connect_failed);
    run(driver, target_for(peer.port()), s);
    INFO(driver << " " << c.name << ": " << describe(s));
    REQUIRE(s.passed());
    const auto e = s.events_of("a").at(0);
    CHECK(e.http_status == 0);
    CHECK_THAT(e.data, Catch::Contains(c.text));
    CHECK(e.reached == (c.name == "half"));
    REQUIRE(e.handshake);
    CHECK(e.handshake->status == 0);
    CHECK(e.handshake->url == "ws://127.0.0.1:" + peer.port() + "/nowtime");
}

TEST_CASE("connected and refused events carry the dialled URL and the HTTP response", "[drivers]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    Script s;
    s.connect("a", "/nowtime?interval=50&count=1").expect("a", EventKind::connected);
    s.connect("b", "/404").expect("b", EventKind::connect_failed);
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    const auto ok = s.events_of("a").at(0);
    REQUIRE(ok.handshake);
    CHECK(ok.handshake->status == 101);
    CHECK(ok.handshake->url == "ws://127.0.0.1:" + peer.port() + "/nowtime?interval=50&count=1");
    bool upgrade = false;
    for (const auto& [name, value] : ok.handshake->headers) upgrade = upgrade || (name == "Upgrade" || name == "upgrade");
    CHECK(upgrade);
    const auto refused = s.events_of("b").at(0);
    REQUIRE(refused.handshake);
    CHECK(refused.handshake->status == 404);
    CHECK(refused.reached);
}
