// The reference server over real sockets: in-process on port 0 (and the real binary for
// the signal tests), driven by a Beast client in which every read has a deadline.
#include "server_fixture.hpp"
#include "nowtime/server.hpp"
#include "pushcheck/net/tls.hpp"
#include "support/child_process.hpp"
#include "ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <ctime>
#include <future>
#include <regex>
#include <set>
#include <thread>

using namespace test_client;
using nlohmann::json;
using nowtime::Server;
using nowtime::ServerOptions;

using namespace server_test;

TEST_CASE("a member gets the welcome and then pushes at the room's interval", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    std::vector<std::chrono::system_clock::time_point> stamps;
    std::vector<Clock::time_point> arrivals;
    for (int i = 0; i < 6; ++i) {
        auto r = c.read(ms(1000));
        auto t = check_push(r);
        auto skew = std::chrono::duration<double>(std::chrono::system_clock::now() - t).count();
        CHECK(std::abs(skew) < 1.0);  // the server's current UTC time
        stamps.push_back(t);
        arrivals.push_back(r.at);
    }
    for (std::size_t i = 1; i < stamps.size(); ++i) {
        double gap = std::chrono::duration<double, std::milli>(stamps[i] - stamps[i - 1]).count();
        CAPTURE(i, gap);
        CHECK(gap >= 150);
        CHECK(gap <= 250);
    }
    double mean = ms_between(arrivals.front(), arrivals.back()) / (arrivals.size() - 1);
    CHECK(mean >= 150);
    CHECK(mean <= 250);
}

TEST_CASE("the first push follows the welcome within one interval", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    auto welcomed = Clock::now();
    auto r = c.read(ms(1000));
    check_push(r);
    CHECK(ms_between(welcomed, r.at) <= 250);
}

TEST_CASE("all members of a room receive byte-identical pushes", "[server]") {
    TestServer s;
    Client a, b, c;
    for (Client* m : {&a, &b, &c}) {
        REQUIRE_FALSE(m->connect(s.port(), "/nowtime"));
        read_welcome(*m);
    }
    std::vector<std::vector<std::string>> got(3);
    int i = 0;
    for (Client* m : {&a, &b, &c}) {
        for (int k = 0; k < 3; ++k) {
            auto r = m->read(ms(1000));
            check_push(r);
            got[i].push_back(r.text);
        }
        ++i;
    }
    // The tick all three had joined for is the latest first push; everyone got it verbatim.
    std::string common = std::max({got[0][0], got[1][0], got[2][0]});
    for (auto& seq : got) CHECK(std::find(seq.begin(), seq.end(), common) != seq.end());
    CHECK(s.server.metrics().members("/nowtime") == 3);
}

TEST_CASE("rooms are separate: each gets its own pushes", "[server]") {
    auto o = test_options();
    o.rooms = {"/nowtime", "/other"};
    TestServer s(o);
    Client a, b;
    REQUIRE_FALSE(a.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(b.connect(s.port(), "/other?x=1"));
    read_welcome(a);
    read_welcome(b);
    check_push(a.read(ms(1000)));
    check_push(b.read(ms(1000)));
    auto m = s.server.metrics();
    CHECK(m.members("/nowtime") == 1);
    CHECK(m.members("/other") == 1);
}

TEST_CASE("the close request gets the bye and then close 1000 and no push after the bye", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    check_push(c.read(ms(1000)));
    REQUIRE_FALSE(c.send_text(R"({"event":"close"})"));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes);
    REQUIRE_FALSE(r.ec);
    CHECK(parse(r.text) == json{{"message", "bye"}});
    CHECK(pushes <= 1);  // at most one already on its way
    // Even a slow close would show a push here: wait longer than an interval.
    expect_close(c, kNormal, ms(3 * kInterval.count()));
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 0; }));
}

TEST_CASE("an unknown room gets a 404 notification and close 1008", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nope"));
    auto r = c.read();
    REQUIRE_FALSE(r.ec);
    CHECK(parse(r.text) == json{{"status", 404}, {"event", "notification"}, {"data", "Unknown url"}});
    expect_close(c, kPolicyError);
    CHECK(s.server.metrics().members("/nowtime") == 0);
}

TEST_CASE("an abrupt disconnect leaves the room at once and the others see no gap", "[server]") {
    TestServer s;
    Client gone, stays;
    REQUIRE_FALSE(gone.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(stays.connect(s.port(), "/nowtime"));
    read_welcome(gone);
    read_welcome(stays);
    check_push(stays.read(ms(1000)));
    gone.reset();  // TCP RST, no close frame
    std::vector<Clock::time_point> arrivals;
    for (int i = 0; i < 5; ++i) {
        auto r = stays.read(ms(1000));
        check_push(r);
        arrivals.push_back(r.at);
    }
    for (std::size_t i = 1; i < arrivals.size(); ++i) {
        CAPTURE(i);
        CHECK(ms_between(arrivals[i - 1], arrivals[i]) <= 1.5 * kInterval.count());
    }
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 1; }));
    Client again;
    REQUIRE_FALSE(again.connect(s.port(), "/nowtime"));
    read_welcome(again);
    check_push(again.read(ms(1000)));
    CHECK(s.server.metrics().members("/nowtime") == 2);
}

TEST_CASE("a WebSocket close frame leaves the room", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    CHECK(s.server.metrics().members("/nowtime") == 1);
    CHECK_FALSE(c.close());
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 0; }));
    CHECK(eventually([&] { return s.server.metrics().open_connections == 0; }));
}

TEST_CASE("garbage is ignored and a later close request still gets the bye", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    for (std::string junk : {"not json", "[1,2]", "\"close\"", R"({"event":"dance"})", R"({"event":"close")"})
        REQUIRE_FALSE(c.send_text(junk));
    REQUIRE_FALSE(c.send_binary(std::string("\x01\x02\x00\xff", 4)));
    check_push(c.read(ms(1000)));  // still served
    REQUIRE_FALSE(c.send_text(R"({"event":"close"})"));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes);
    REQUIRE_FALSE(r.ec);
    CHECK(parse(r.text) == json{{"message", "bye"}});
    expect_close(c, kNormal);
}

TEST_CASE("a message over --max-message-bytes closes with 1009", "[server]") {
    auto o = test_options();
    o.max_message_bytes = 1024;
    TestServer s(o);
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    REQUIRE_FALSE(c.send_text(std::string(1000, ' ') + "{}"));  // below the limit: ignored
    REQUIRE_FALSE(c.send_text(std::string(2000, 'x')));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes);
    INFO(r.ec.message());
    REQUIRE(is_closed(r.ec));
    CHECK(c.close_code() == kTooBig);
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 0; }));
}

TEST_CASE("invalid UTF-8 in a text frame closes with 1007", "[server]") {
    TestServer s;
    Client c;
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    REQUIRE_FALSE(c.send_text("{\"event\":\"\xff\xfe\"}"));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes);
    INFO(r.ec.message());
    REQUIRE(is_closed(r.ec));
    CHECK(c.close_code() == kBadPayload);
}

TEST_CASE("a member that stops reading is cut off while the others stay on time", "[server][slow]") {
    auto o = test_options();
    o.interval = ms(10);
    o.max_queued_bytes = 2048;
    o.socket_send_buffer = 4096;  // so the kernel's buffers fill in a second, not minutes
    TestServer s(o);
    Client slow, fast;
    slow.receive_buffer(4096);
    REQUIRE_FALSE(slow.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(fast.connect(s.port(), "/nowtime"));
    read_welcome(slow);
    read_welcome(fast);
    // From here on `slow` reads nothing.
    auto start = Clock::now();
    auto last = start;
    double worst_gap = 0;
    int pushes = 0;
    while (s.server.metrics().slow_consumer_cutoffs == 0 && Clock::now() - start < std::chrono::seconds(15)) {
        auto r = fast.read(ms(1000));
        check_push(r);
        worst_gap = std::max(worst_gap, ms_between(last, r.at));
        last = r.at;
        ++pushes;
    }
    INFO("pushes to the fast member: " << pushes << ", worst gap " << worst_gap << " ms");
    REQUIRE(s.server.metrics().slow_consumer_cutoffs == 1);
    CHECK(worst_gap < 300);  // the slow member never held the room up
    // The fast member goes on being served after the cut-off.
    for (int i = 0; i < 20; ++i) {
        auto r = fast.read(ms(1000));
        check_push(r);
        worst_gap = std::max(worst_gap, ms_between(last, r.at));
        last = r.at;
    }
    CHECK(worst_gap < 300);
    CHECK(s.server.metrics().members("/nowtime") == 1);
    // The slow member finds its buffered pushes, then the end of the connection.
    Received r;
    int buffered = 0;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    do {
        r = slow.read(ms(2000));
        ++buffered;
    } while (!r.ec && Clock::now() < deadline);
    INFO("buffered pushes: " << buffered << ", end: " << r.ec.message());
    CHECK(r.ec);
    CHECK(!is_timeout(r.ec));
    if (is_closed(r.ec)) CHECK(slow.close_code() == kPolicyError);
}

TEST_CASE("a peer that stops answering pings is dropped", "[server][keepalive]") {
    auto o = test_options();
    o.interval = ms(100);
    o.ping_interval = ms(100);
    TestServer s(o);
    Client silent, alive;
    REQUIRE_FALSE(silent.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(alive.connect(s.port(), "/nowtime"));
    read_welcome(silent);
    read_welcome(alive);
    // `alive` keeps a read pending, so Beast answers the server's pings; `silent` does not.
    auto start = Clock::now();
    while (Clock::now() - start < ms(1000)) REQUIRE_FALSE(alive.read(ms(1000)).ec);
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 1; }, ms(2000)));
    CHECK(s.server.metrics().open_connections == 1);
    check_push(alive.read(ms(1000)));
}

TEST_CASE("stop() closes every session with 1001 within 2 s", "[server][stop]") {
    auto s = std::make_unique<TestServer>();
    auto port = s->port();
    Client a, b;
    REQUIRE_FALSE(a.connect(port, "/nowtime"));
    REQUIRE_FALSE(b.connect(port, "/nowtime"));
    read_welcome(a);
    read_welcome(b);
    auto started = Clock::now();
    auto stopped = std::async(std::launch::async, [&] {
        s->server.stop();
        return Clock::now();
    });
    for (Client* c : {&a, &b}) {
        int pushes = 0;
        auto r = c->read_past_pushes(pushes, ms(2500));
        INFO(r.text << " / " << r.ec.message());
        REQUIRE(is_closed(r.ec));
        CHECK(c->close_code() == kGoingAway);
    }
    REQUIRE(stopped.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
    CHECK(ms_between(started, stopped.get()) < 2000);
    Client late;
    CHECK(late.connect(port, "/nowtime", nullptr, ms(1000)));  // nobody listens any more
}

TEST_CASE("SIGTERM and SIGINT: 1001 to every session and exit 0 within 2 s", "[server][stop][process]") {
    int sig = GENERATE(SIGTERM, SIGINT);
    pushcheck::test::ChildProcess child(
        {NOWTIME_SERVER_BIN, "--port", "0", "--interval-ms", "100", "--threads", "2", "--log-level", "warn"});
    REQUIRE(child.ok());
    auto line = child.wait_for_line("listening on ", ms(15000));
    REQUIRE(line);
    auto port = pushcheck::test::port_from_listening_line(*line);
    REQUIRE(port);
    Client c;
    REQUIRE_FALSE(c.connect(*port, "/nowtime"));
    read_welcome(c);
    check_push(c.read(ms(1000)));
    auto signalled = Clock::now();
    REQUIRE(child.signal(sig));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes, ms(2500));
    INFO(r.text << " / " << r.ec.message());
    REQUIRE(is_closed(r.ec));
    CHECK(c.close_code() == kGoingAway);
    auto code = child.wait(ms(2500));
    auto took = ms_between(signalled, Clock::now());
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(took < 2000);
}

TEST_CASE("over --max-connections new connections get HTTP 503 before any upgrade", "[server][limits]") {
    auto o = test_options();
    o.max_connections = 2;
    TestServer s(o);
    Client a, b, c;
    REQUIRE_FALSE(a.connect(s.port(), "/nowtime"));
    REQUIRE_FALSE(b.connect(s.port(), "/nowtime"));
    int status = 0;
    auto ec = c.connect(s.port(), "/nowtime", &status);
    CHECK(ec);
    CHECK(status == 503);
    CHECK(s.server.metrics().rejected_connections == 1);
    // The refused connection counts until the server has closed it.
    CHECK(eventually([&] { return s.server.metrics().open_connections == 2; }));
    // A member leaves: there is room again.
    CHECK_FALSE(a.close());
    CHECK(eventually([&] { return s.server.metrics().open_connections == 1; }));
    Client d;
    REQUIRE_FALSE(d.connect(s.port(), "/nowtime"));
    read_welcome(d);
}

TEST_CASE("the handshake timeout drops a client that never upgrades", "[server][limits]") {
    auto o = test_options();
    o.handshake_timeout = ms(300);
    TestServer s(o);
    SECTION("silent client") {
        Client c;
        REQUIRE_FALSE(c.connect_tcp(s.port()));
        auto start = Clock::now();
        auto r = c.read_raw(ms(3000));  // ends when the server drops us
        CHECK(r.ec);
        CHECK(!is_timeout(r.ec));
        CHECK(r.text.empty());
        CHECK(ms_between(start, Clock::now()) >= 250);
        CHECK(ms_between(start, Clock::now()) < 2000);
    }
    SECTION("a request that never ends") {
        Client c;
        REQUIRE_FALSE(c.connect_tcp(s.port()));
        REQUIRE_FALSE(c.send_raw("GET /nowtime HTTP/1.1\r\nHost: x\r\n"));  // no blank line: never ends
        auto start = Clock::now();
        auto r = c.read_raw(ms(3000));
        CHECK(r.ec);
        CHECK(!is_timeout(r.ec));
        CHECK(r.text.empty());
        CHECK(ms_between(start, Clock::now()) >= 250);
        CHECK(ms_between(start, Clock::now()) < 2000);
    }
    CHECK(eventually([&] { return s.server.metrics().handshake_failures == 1; }));
    CHECK(s.server.metrics().handshake_failures == 1);
}

TEST_CASE("/healthz and /metrics over plain HTTP on the same port", "[server][http]") {
    TestServer s;
    auto health = http_get(s.port(), "/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->body == "ok");

    auto missing = http_get(s.port(), "/nothing-here");
    REQUIRE(missing);
    CHECK(missing->status == 404);

    auto metrics_text = [&] {
        auto res = http_get(s.port(), "/metrics");
        return res && res->status == 200 ? res->body : std::string();
    };
    auto has = [&](const std::string& line) { return metrics_text().find("\n" + line + "\n") != std::string::npos; };
    auto first = http_get(s.port(), "/metrics");
    REQUIRE(first);
    CHECK(first->content_type.rfind("text/plain; version=0.0.4", 0) == 0);
    // Every open TCP connection counts, the /metrics request itself included.
    CHECK(eventually([&] { return has("nowtime_open_connections 1"); }));
    CHECK(has("nowtime_room_members{room=\"/nowtime\"} 0"));

    {
        Client a, b;
        REQUIRE_FALSE(a.connect(s.port(), "/nowtime"));
        REQUIRE_FALSE(b.connect(s.port(), "/nowtime"));
        read_welcome(a);
        read_welcome(b);
        check_push(a.read(ms(1000)));
        CHECK(eventually([&] { return has("nowtime_open_connections 3"); }));
        CHECK(has("nowtime_room_members{room=\"/nowtime\"} 2"));
        CHECK_FALSE(has("nowtime_pushes_sent_total 0"));
        CHECK_FALSE(has("nowtime_bytes_sent_total 0"));
        a.reset();
        CHECK(b.close() == error_code{});
    }
    CHECK(eventually([&] { return has("nowtime_open_connections 1"); }));
    CHECK(has("nowtime_room_members{room=\"/nowtime\"} 0"));
    CHECK(has("nowtime_slow_consumer_cutoffs_total 0"));
    CHECK(has("nowtime_rejected_connections_total 0"));
}

TEST_CASE("wss with a self-signed certificate", "[server][tls]") {
    pushcheck::test::TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    std::string error;
    REQUIRE(pushcheck::net::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"), "localhost", error));
    auto o = test_options();
    o.tls_cert = dir.file("cert.pem");
    o.tls_key = dir.file("key.pem");
    TestServer s(o);
    CHECK(s.server.tls());

    Client c(Tls{dir.file("cert.pem"), "127.0.0.1"});
    REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
    read_welcome(c);
    check_push(c.read(ms(1000)));
    REQUIRE_FALSE(c.send_text(R"({"event":"close"})"));
    int pushes = 0;
    auto r = c.read_past_pushes(pushes);
    REQUIRE_FALSE(r.ec);
    CHECK(parse(r.text) == json{{"message", "bye"}});
    expect_close(c, kNormal);

    Client plain;  // a ws:// client cannot talk to a wss:// server
    CHECK(plain.connect(s.port(), "/nowtime"));
    CHECK(eventually([&] { return s.server.metrics().handshake_failures >= 1; }));
}

TEST_CASE("start() reports a port in use as an error value", "[server]") {
    TestServer first;
    auto o = test_options();
    o.port = first.port();
    Server second(o);
    std::string where;
    auto ec = second.start(&where);
    CHECK(ec);
    CHECK_THAT(where, Catch::Contains(std::to_string(first.port())));
}

//------------------------------------------------------------------------------
// Fault injection (the mutant gallery): each fault must change what a client sees,
// otherwise a conformance suite run against it would prove nothing.

namespace {

TestServer faulty(const char* fault, ServerOptions o = test_options()) {
    REQUIRE(nowtime::set_fault(o.faults, fault));
    return TestServer(std::move(o));
}

// Connects to `path` and returns the first message.
Received first_message(Client& c, unsigned short port, const std::string& path = "/nowtime") {
    REQUIRE_FALSE(c.connect(port, path));
    return c.read(ms(1000));
}

// Joins, reads the welcome and one push, sends the close request; returns the next message.
Received after_close_request(Client& c, unsigned short port) {
    REQUIRE_FALSE(c.connect(port, "/nowtime"));
    read_welcome(c);
    check_push(c.read(ms(1000)));
    REQUIRE_FALSE(c.send_text(R"({"event":"close"})"));
    int pushes = 0;
    return c.read_past_pushes(pushes, ms(3 * kInterval.count()));
}

std::string data_of(const Received& r) {
    auto j = parse(r.text);
    return j.is_object() && j["data"].is_string() ? j["data"].get<std::string>() : std::string();
}

const json kBye = {{"message", "bye"}};

} // namespace

TEST_CASE("fault: the welcome", "[faults]") {
    Client c;
    SECTION("no_welcome") {
        auto s = faulty("no_welcome");
        check_push(first_message(c, s.port()));
    }
    SECTION("welcome_status_500") {
        auto s = faulty("welcome_status_500");
        CHECK(parse(first_message(c, s.port()).text)["status"] == 500);
    }
}

TEST_CASE("fault: the push", "[faults]") {
    Client c;
    SECTION("wrong_push_event") {
        auto s = faulty("wrong_push_event");
        first_message(c, s.port());
        CHECK(parse(c.read(ms(1000)).text)["event"] == "time");
    }
    SECTION("push_not_json") {
        auto s = faulty("push_not_json");
        first_message(c, s.port());
        auto r = c.read(ms(1000));
        REQUIRE_FALSE(r.ec);
        CHECK(parse(r.text).is_discarded());
    }
    SECTION("timestamp_not_iso") {
        auto s = faulty("timestamp_not_iso");
        first_message(c, s.port());
        CHECK(std::regex_match(data_of(c.read(ms(1000))), std::regex(R"(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d)")));
    }
    SECTION("timestamp_not_utc") {
        auto s = faulty("timestamp_not_utc");
        first_message(c, s.port());
        auto d = data_of(c.read(ms(1000)));
        CHECK(d.size() > 6);
        CHECK(d.substr(d.size() - 6) == "+01:00");
    }
    SECTION("timestamp_stale") {
        auto s = faulty("timestamp_stale");
        first_message(c, s.port());
        auto t = check_push(c.read(ms(1000)));
        auto age = std::chrono::duration<double>(std::chrono::system_clock::now() - t).count();
        CHECK(age > 4.0);
        CHECK(age < 6.0);
    }
    SECTION("push_twice") {
        auto s = faulty("push_twice");
        first_message(c, s.port());
        auto a = c.read(ms(1000));
        auto b = c.read(ms(1000));
        check_push(a);
        CHECK(a.text == b.text);
    }
}

TEST_CASE("fault: the interval", "[faults]") {
    auto [fault, expected] = GENERATE(table<const char*, double>({{"interval_long", 280.0}, {"interval_short", 120.0}}));
    CAPTURE(fault);
    auto s = faulty(fault);
    Client c;
    first_message(c, s.port());
    auto t0 = check_push(c.read(ms(1000)));
    auto t1 = check_push(c.read(ms(1000)));
    auto t2 = check_push(c.read(ms(1000)));
    double gap = std::chrono::duration<double, std::milli>(t2 - t0).count() / 2;
    (void)t1;
    CHECK(gap == Approx(expected).margin(25));
}

TEST_CASE("fault: the close request", "[faults]") {
    Client c;
    SECTION("no_bye") {
        auto s = faulty("no_bye");
        auto r = after_close_request(c, s.port());
        REQUIRE(is_closed(r.ec));
        CHECK(c.close_code() == kNormal);
    }
    SECTION("push_after_bye") {
        auto s = faulty("push_after_bye");
        CHECK(parse(after_close_request(c, s.port()).text) == kBye);
        check_push(c.read(ms(1000)));
        expect_close(c, kNormal);
    }
    SECTION("bye_no_close") {
        auto s = faulty("bye_no_close");
        CHECK(parse(after_close_request(c, s.port()).text) == kBye);
        CHECK(is_timeout(c.read(ms(3 * kInterval.count())).ec));  // nothing at all
    }
    SECTION("close_code_1011") {
        auto s = faulty("close_code_1011");
        CHECK(parse(after_close_request(c, s.port()).text) == kBye);
        expect_close(c, kInternalError);
    }
    SECTION("ignore_close_request") {
        auto s = faulty("ignore_close_request");
        REQUIRE_FALSE(c.connect(s.port(), "/nowtime"));
        read_welcome(c);
        REQUIRE_FALSE(c.send_text(R"({"event":"close"})"));
        for (int i = 0; i < 5; ++i) check_push(c.read(ms(1000)));  // no bye, no close: pushes go on
    }
}

TEST_CASE("fault: rooms and members", "[faults]") {
    Client a, b;
    SECTION("unknown_room_accepted") {
        auto s = faulty("unknown_room_accepted");
        CHECK(parse(first_message(a, s.port(), "/nope").text) == kWelcome);
        check_push(a.read(ms(1000)));
    }
    SECTION("second_member_refused") {
        auto s = faulty("second_member_refused");
        CHECK(parse(first_message(a, s.port()).text) == kWelcome);
        REQUIRE_FALSE(b.connect(s.port(), "/nowtime"));
        expect_close(b, kTryAgainLater);
    }
    SECTION("abrupt_disconnect_breaks_ticker") {
        auto s = faulty("abrupt_disconnect_breaks_ticker");
        CHECK(parse(first_message(a, s.port()).text) == kWelcome);
        CHECK(parse(first_message(b, s.port()).text) == kWelcome);
        check_push(b.read(ms(1000)));
        a.reset();
        REQUIRE(eventually([&] { return s.server.metrics().members("/nowtime") == 1; }));
        // At most the pushes already on their way, then silence.
        int late = 0;
        Received r;
        while (!(r = b.read(ms(3 * kInterval.count()))).ec && late < 5) ++late;
        CHECK(is_timeout(r.ec));
        CHECK(late <= 3);
    }
    SECTION("garbage_kills_connection") {
        auto s = faulty("garbage_kills_connection");
        CHECK(parse(first_message(a, s.port()).text) == kWelcome);
        REQUIRE_FALSE(a.send_text("not json"));
        int pushes = 0;
        auto r = a.read_past_pushes(pushes);
        REQUIRE(is_closed(r.ec));
        CHECK(a.close_code() == kUnknownData);
    }
    SECTION("per_connection_timer") {
        auto s = faulty("per_connection_timer");
        CHECK(parse(first_message(a, s.port()).text) == kWelcome);
        auto welcomed = Clock::now();
        auto first = a.read(ms(1000));
        check_push(first);
        CHECK(ms_between(welcomed, first.at) < 100);  // at once, like the original
        CHECK(parse(first_message(b, s.port()).text) == kWelcome);
        std::set<std::string> seen_a, seen_b;
        for (int i = 0; i < 3; ++i) {
            seen_a.insert(a.read(ms(1000)).text);
            seen_b.insert(b.read(ms(1000)).text);
        }
        for (auto& t : seen_b) CHECK(seen_a.count(t) == 0);  // each connection formats its own push
    }
}
