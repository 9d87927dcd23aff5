// The reference server under abuse: bytes behind the upgrade, descriptor exhaustion,
// clients that never read, unfinished messages, HTTP garbage and bad close codes.
// Each case is the small-scale version of a hostile run (bench/abuse.sh runs the large ones).
#include "server_fixture.hpp"
#include "support/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

using namespace server_test;

namespace {

// Plain sockets that connect and then say nothing (half-open handshakes), closed on destruction.
class IdleSockets {
public:
    IdleSockets(unsigned short port, int n) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int i = 0; i < n; ++i) {
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (fd < 0) break;
            ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // completes in the kernel's backlog
            fds_.push_back(fd);
        }
    }
    ~IdleSockets() { close_all(); }
    void close_all() {
        for (int fd : fds_) ::close(fd);
        fds_.clear();
    }
    std::size_t size() const { return fds_.size(); }

private:
    std::vector<int> fds_;
};

bool is_close_frame(const RawExchange& x) { return !x.frames.empty() && x.frames.back().opcode == 8; }

std::vector<std::string> texts_of(const RawExchange& x) {
    std::vector<std::string> t;
    for (auto& f : x.frames)
        if (f.opcode == 1) t.push_back(f.payload);
    return t;
}

// The value of an unlabelled metric in Prometheus text; -1 when absent.
double metric_value(const std::string& text, const std::string& name) {
    auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
}

} // namespace

//--- Item 5: bytes behind the upgrade request --------------------------------------------

TEST_CASE("a close request in the same packet as the upgrade gets the welcome, the bye and close 1000",
          "[server][abuse]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect_tcp(s.port()));
    auto frame = client_frame(1, R"({"event":"close"})");
    SECTION("the whole frame behind the request") {
        REQUIRE_FALSE(c.send_raw(upgrade_request("/nowtime") + frame));
    }
    SECTION("half of the frame behind the request, the rest later") {
        REQUIRE_FALSE(c.send_raw(upgrade_request("/nowtime") + frame.substr(0, 7)));
        std::this_thread::sleep_for(ms(50));  // a second packet, not a synchronisation
        REQUIRE_FALSE(c.send_raw(frame.substr(7)));
    }
    auto x = read_raw_until(c, is_close_frame);
    INFO("head: " << x.head << " frames: " << x.frames.size());
    REQUIRE(x.head.rfind("HTTP/1.1 101", 0) == 0);
    REQUIRE(is_close_frame(x));
    CHECK(close_code_of(x.frames.back()) == kNormal);
    auto texts = texts_of(x);
    REQUIRE(texts.size() >= 2);
    CHECK(parse(texts.front()) == kWelcome);
    CHECK(parse(texts.back()) == json{{"message", "bye"}});
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 0; }));
}

//--- Item 9: HTTP garbage, a duplicated key, close codes out of range ---------------------

TEST_CASE("HTTP garbage gets 400 Bad Request", "[server][abuse][http]") {
    TestServer s;
    auto garbage = GENERATE(std::string("GARBAGE\r\n\r\n"), std::string("GET /nowtime HTTP/1.1\r\nHost x\r\n\r\n"),
                            std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15));
    Client c;
    REQUIRE_FALSE(c.connect_tcp(s.port()));
    REQUIRE_FALSE(c.send_raw(garbage));
    auto x = read_raw_until(c, [](const RawExchange&) { return false; });
    INFO("answer: " << x.head);
    CHECK(x.head.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(x.ended);
}

TEST_CASE("a duplicated Sec-WebSocket-Key is refused with 400", "[server][abuse][http]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect_tcp(s.port()));
    REQUIRE_FALSE(c.send_raw(upgrade_request("/nowtime", "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n")));
    auto x = read_raw_until(c, [](const RawExchange&) { return false; });
    INFO("answer: " << x.head);
    CHECK(x.head.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(x.frames.empty());
    CHECK(s.server.metrics().members("/nowtime") == 0);
}

TEST_CASE("a close code outside 1000-4999 is not echoed: the connection fails with 1002", "[server][abuse]") {
    TestServer s;
    int code = GENERATE(5000, 65535);
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    REQUIRE_FALSE(c.send_raw(client_frame(8, close_payload(code))));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes, ms(2000));
    INFO("code sent " << code << ", read: " << r.ec.message());
    REQUIRE_FALSE(is_timeout(r.ec));
    REQUIRE(is_closed(r.ec));
    CHECK(c.close_code() == 1002);
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 0; }));
}

//--- Item 8: unfinished messages --------------------------------------------------------

TEST_CASE("a message left unfinished is closed with 1008 after the handshake timeout", "[server][abuse]") {
    auto o = test_options();
    o.handshake_timeout = ms(300);
    TestServer s(o);
    Client c, other;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(other.connect(s.port(), "/nowtime"));
    read_welcome(c);
    read_welcome(other);
    SECTION("a frame that announces more than it carries") {
        REQUIRE_FALSE(c.send_raw(client_frame(1, std::string(100, 'x'), true, 60000)));
    }
    SECTION("a fragment whose final frame never comes") {
        REQUIRE_FALSE(c.send_raw(client_frame(1, R"({"event":)", false)));
    }
    auto start = Clock::now();
    int pushes = 0;
    auto r = c.read_past_pushes(pushes, ms(3000));
    INFO("read: " << r.ec.message() << " after " << ms_between(start, Clock::now()) << " ms");
    REQUIRE(is_closed(r.ec));
    CHECK(c.close_code() == kPolicyError);
    CHECK(ms_between(start, Clock::now()) < 2000);
    // The member that behaves is not affected.
    check_push(other.read(ms(1000)));
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 1; }));
}

//--- Item 7: the slow-consumer budget bounds memory -------------------------------------

TEST_CASE("200 members that never read are cut off within seconds while another keeps cadence",
          "[server][abuse][slow]") {
    auto o = test_options();
    o.interval = ms(20);
    o.max_queued_bytes = 4096;  // the socket send buffer keeps its default
    TestServer s(o);
    constexpr int kStuck = 200;
    std::vector<std::unique_ptr<Client>> stuck;
    for (int i = 0; i < kStuck; ++i) {
        stuck.push_back(std::make_unique<Client>());
        stuck.back()->receive_buffer(4096);
        REQUIRE_FALSE(stuck.back()->connect(s.port(), "/nowtime"));
        read_welcome(*stuck.back());
    }
    Client fast;
    REQUIRE_FALSE(fast.connect(s.port(), "/nowtime"));
    read_welcome(fast);
    auto start = Clock::now();
    auto last = start;
    double worst_gap = 0;
    while (s.server.metrics().slow_consumer_cutoffs < kStuck && Clock::now() - start < std::chrono::seconds(20)) {
        auto r = fast.read(ms(1000));
        check_push(r);
        worst_gap = std::max(worst_gap, ms_between(last, r.at));
        last = r.at;
    }
    auto took = ms_between(start, Clock::now());
    INFO("cut off: " << s.server.metrics().slow_consumer_cutoffs << " after " << took << " ms, worst gap "
                     << worst_gap << " ms");
    REQUIRE(s.server.metrics().slow_consumer_cutoffs == kStuck);
    CHECK(took < 15000);
    CHECK(worst_gap < 500);  // 25 intervals: wide, as two ASan processes share two busy cores
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 1; }));
    check_push(fast.read(ms(1000)));
}

//--- Item 6: connections counted and capped at accept ------------------------------------

TEST_CASE("nowtime_open_connections counts connections still in their handshake", "[server][abuse][limits]") {
    TestServer s;
    IdleSockets idle(s.port(), 3);
    CHECK(eventually([&] { return s.server.metrics().open_connections == 3; }));
    idle.close_all();
    CHECK(eventually([&] { return s.server.metrics().open_connections == 0; }));
}

TEST_CASE("descriptors run short: half-open sockets are dropped oldest first, a join gets in and /metrics answers",
          "[server][abuse][limits][process]") {
    // 200 descriptors for the server, 600 half-open sockets against it.
    pushcheck::test::ChildProcess child(
        {"/bin/sh", "-c",
         std::string("ulimit -n 200 && exec ") + NOWTIME_SERVER_BIN +
             " --port 0 --interval-ms 200 --threads 2 --log-level info --handshake-timeout-ms 10000 2>&1"});
    REQUIRE(child.ok());
    auto line = child.wait_for_line("listening on ", ms(15000));
    REQUIRE(line);
    auto port = pushcheck::test::port_from_listening_line(*line);
    REQUIRE(port);
    IdleSockets idle(*port, 600);
    REQUIRE(idle.size() == 600);
    std::this_thread::sleep_for(ms(300));  // let the server take in the flood (no event to wait on)
    auto start = Clock::now();
    Client honest;
    REQUIRE_FALSE(honest.connect(*port, "/nowtime", nullptr, ms(1000)));
    read_welcome(honest);
    CHECK(ms_between(start, Clock::now()) < 1000);
    auto metrics = http_get(*port, "/metrics", ms(1000));
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    auto open = metric_value(metrics->body, "nowtime_open_connections");
    INFO(metrics->body);
    CHECK(open > 0);
    CHECK(open < 200);
    // The refusals are counted, and logged a few lines a second at most, not once each.
    CHECK(metric_value(metrics->body, "nowtime_refused_connections_total") +
              metric_value(metrics->body, "nowtime_evicted_connections_total") >= 400);
    int lines = 0;
    while (child.read_line(ms(300))) ++lines;
    INFO("log lines: " << lines << "\n" << child.output());
    CHECK(lines < 20);
}

TEST_CASE("a per-address cap (max_connections_per_address) closes connections over it at accept", "[server][abuse][limits]") {
    auto o = test_options();
    o.max_connections_per_address = 3;
    TestServer s(o);
    IdleSockets idle(s.port(), 5);
    CHECK(eventually([&] { return s.server.metrics().refused_connections == 2; }));
    CHECK(s.server.metrics().open_connections == 3);
    idle.close_all();
    CHECK(eventually([&] { return s.server.metrics().open_connections == 0; }));
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
}

TEST_CASE("unfinished messages share one byte budget: past it the connection closes with 1013",
          "[server][abuse]") {
    auto o = test_options();
    o.max_unfinished_bytes = 3000;
    TestServer s(o);
    Client a, b;
    REQUIRE_FALSE(a.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(b.connect(s.port(), "/nowtime"));
    read_welcome(a);
    read_welcome(b);
    REQUIRE_FALSE(a.send_raw(client_frame(1, std::string(2000, 'x'), true, 10000)));
    CHECK(eventually([&] { return s.server.metrics().unfinished_message_bytes == 2000; }));
    REQUIRE_FALSE(b.send_raw(client_frame(1, std::string(2000, 'y'), true, 10000)));
    int pushes = 0;
    auto r = b.read_past_pushes(pushes, ms(2000));
    INFO("read: " << r.ec.message());
    REQUIRE(is_closed(r.ec));
    CHECK(b.close_code() == kTryAgainLater);
    // The first one still holds its part; once it leaves, nothing is held.
    check_push(a.read(ms(1000)));
    a.reset();
    CHECK(eventually([&] { return s.server.metrics().unfinished_message_bytes == 0; }));
    INFO("still held: " << s.server.metrics().unfinished_message_bytes << " bytes by "
                        << s.server.metrics().open_connections << " open connections");
    CHECK(s.server.metrics().unfinished_message_bytes == 0);
    CHECK(eventually([&] { return s.server.metrics().open_connections == 0; }));
}

TEST_CASE("a bad frame sent while the server closes does not keep the connection forever",
          "[server][abuse]") {
    // The server's close starts from a timer while its read is pending; the peer then sends
    // bytes that are not UTF-8 inside its text frame. Beast's read then waits for the
    // close's write lock while the close waits for the read lock.
    auto o = test_options();
    o.handshake_timeout = ms(300);
    TestServer s(o);
    Client c;
    REQUIRE_FALSE(c.connect_tcp(s.port()));
    REQUIRE_FALSE(c.send_raw(upgrade_request("/nowtime") + client_frame(1, std::string(100, 'x'), true, 60000)));
    auto x = read_raw_until(c, is_close_frame);
    REQUIRE(is_close_frame(x));
    CHECK(close_code_of(x.frames.back()) == kPolicyError);
    // The rest of the announced frame: 0xff once unmasked (the mask is 1 2 3 4, at offset 100).
    std::string bad;
    for (int i = 0; i < 200; ++i) bad += static_cast<char>(0xff ^ (1 + i % 4));
    REQUIRE_FALSE(c.send_raw(bad));
    CHECK(eventually([&] { return s.server.metrics().open_connections == 0; }, ms(5000)));
    CHECK(s.server.metrics().unfinished_message_bytes == 0);
    auto rest = read_raw_until(c, [](const RawExchange&) { return false; }, ms(2000));
    CHECK(rest.ended);
}
