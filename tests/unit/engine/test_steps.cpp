// Every step: pass, fail and deadline, driven by a fake clock and a fake transport.
#include "fake.hpp"

using namespace pushcheck::test;

namespace {

json steps(json s, json clients = json::array({{{"name", "a"}}})) {
    return {{"clients", std::move(clients)}, {"steps", std::move(s)}};
}
const json kJoin = {{"step", "join"}, {"client", "a"}};

// Starts the scenario and answers the first join.
void joined(Fake& f) {
    f.start();
    f.accept_all();
}

} // namespace

TEST_CASE("join: passes on connected and releases every client at the end", "[steps][join]") {
    Fake f(steps({kJoin}));
    f.start();
    auto connects = f.of_kind(Command::Kind::connect);
    REQUIRE(connects.size() == 1);
    CHECK(connects[0].client == "a");
    CHECK(connects[0].connection == 0);
    CHECK(connects[0].path == "/nowtime");
    CHECK(connects[0].timeout == std::chrono::milliseconds(500));
    CHECK_FALSE(f.done());
    f.connected("a");
    REQUIRE(f.done());
    auto releases = f.of_kind(Command::Kind::release);
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].client == "a");
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.reason.empty());
    CHECK(finding(r, "steps/0").verdict == Verdict::pass);
    REQUIRE(r.transcript.events.size() == 1);
    CHECK(r.transcript.events[0].kind == EventKind::connected);
}

TEST_CASE("join: path, headers, subprotocols and the scaled timeout reach the command", "[steps][join]") {
    RunOptions o;
    o.timeout_scale = 2;
    Fake f(steps({{{"step", "join"}, {"client", "a"}, {"path", "/x"}, {"headers", {{"X-Token", "t"}}},
                   {"subprotocols", {"chat"}}, {"within_ms", 100}}}),
           test_profile(), o);
    f.start();
    auto c = f.of_kind(Command::Kind::connect).at(0);
    CHECK(c.path == "/x");
    CHECK(c.headers == std::vector<std::pair<std::string, std::string>>{{"X-Token", "t"}});
    CHECK(c.subprotocols == std::vector<std::string>{"chat"});
    CHECK(c.timeout == std::chrono::milliseconds(200));
    // Engine deadline: the scaled 200 ms plus 250 ms for the driver to report first.
    f.advance(449ms);
    CHECK_FALSE(f.done());
    f.advance(1ms);
    REQUIRE(f.done());
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason == "connect failed: no handshake within 200 ms (client a, /x)");
}

TEST_CASE("join: a TCP failure is reported as connect failed", "[steps][join]") {
    Fake f(steps({kJoin}));
    f.start();
    f.connect_failed("a", 0, "connection refused");
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason == "connect failed: connection refused (client a, /nowtime)");
    CHECK(finding(r, "steps/0").evidence == std::vector<std::size_t>{0});
    CHECK(r.transcript.events[0].http_status == 0);
}

TEST_CASE("join: expect open, refused or any against an HTTP refusal", "[steps][join]") {
    SECTION("open") {
        Fake f(steps({kJoin}));
        f.start();
        f.connect_failed("a", 404, "Not Found");
        auto r = f.result();
        CHECK(r.verdict == Verdict::fail);
        CHECK(r.reason == "a: the handshake to /nowtime was refused with HTTP 404: Not Found");
    }
    SECTION("refused") {
        Fake f(steps({{{"step", "join"}, {"client", "a"}, {"path", {{"$profile", "rooms.invalid.0"}}}, {"expect", "refused"}}}));
        f.start();
        CHECK(f.of_kind(Command::Kind::connect).at(0).path == "/nope");
        f.connect_failed("a", 404, "");
        CHECK(f.result().verdict == Verdict::pass);
    }
    SECTION("refused, but accepted") {
        Fake f(steps({{{"step", "join"}, {"client", "a"}, {"expect", "refused"}}}));
        joined(f);
        auto r = f.result();
        CHECK(r.reason == "a: the handshake to /nowtime was accepted; expected a refusal");
    }
    SECTION("any") {
        Fake f(steps({{{"step", "join"}, {"client", "a"}, {"expect", "any"}}}));
        f.start();
        f.connect_failed("a", 403, "Forbidden");
        CHECK(f.result().verdict == Verdict::pass);
    }
}

TEST_CASE("expect: the next message matches", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "welcome.match"}}}}}));
    joined(f);
    f.advance(10ms);
    f.welcome("a");
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.findings.size() == 2);
    CHECK(r.transcript.events[1].t_us == 10000);
}

TEST_CASE("expect: a non-matching message fails naming it", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "welcome.match"}}}}}));
    joined(f);
    f.msg("a", {{"status", 200}, {"event", "nowtime"}, {"data", "2026-11-26T13:02:48Z"}});
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason ==
          "a: message {\"data\":\"2026-11-26T13:02:48Z\",\"event\":\"nowtime\",\"status\":200} does not match: at /event: "
          "expected \"notification\", got \"nowtime\"");
    CHECK(finding(r, "steps/1").evidence == std::vector<std::size_t>{1});
}

TEST_CASE("expect: messages matching skip are passed over", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "bye.match"}}}, {"skip", {{"$profile", "push.match"}}}}}));
    joined(f);
    f.push("a");
    f.push("a");
    CHECK_FALSE(f.done());
    f.msg("a", {{"message", "bye"}});
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("expect: deadline", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "bye.match"}}}, {"skip", {{"$profile", "push.match"}}}}}));
    joined(f);
    f.push("a");
    f.advance(299ms);
    CHECK_FALSE(f.done());
    f.advance(1ms);
    REQUIRE(f.done());
    auto r = f.result();
    // Says what was skipped and why (it matched skip), not just "(1 skipped)".
    CHECK(r.reason.rfind("a: no message matching an object with \"message\": \"bye\" within 300 ms; meanwhile 1 message "
                         "matching skip an object with ", 0) == 0);
    INFO(r.reason);
    CHECK(r.reason.find("was passed over") != std::string::npos);
    CHECK(finding(r, "steps/1").evidence == std::vector<std::size_t>{1});
}

TEST_CASE("expect: a message delivered after the deadline is too late", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "bye.match"}}}}}));
    joined(f);
    f.now += 301ms;  // the driver was late: the event comes before on_time
    f.msg("a", {{"message", "bye"}});
    REQUIRE(f.done());
    CHECK(f.result().reason.find("a: no message matching an object with \"message\": \"bye\" within 300 ms") == 0);
}

TEST_CASE("expect: the connection ending first fails the step", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "bye.match"}}}}}));
    joined(f);
    f.closed("a", 1000, true);
    auto r = f.result();
    CHECK(r.reason == "a: the connection ended (code 1000, clean) before a message matching an object with \"message\": \"bye\" arrived");
    CHECK(finding(r, "steps/1").evidence == std::vector<std::size_t>{1});
}

TEST_CASE("expect: messages queued during an earlier step are seen", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "sleep"}, {"for_ms", 50}}, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "welcome.match"}}}}}));
    joined(f);
    f.welcome("a");  // arrives during the sleep
    f.advance(50ms);
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("expect: too deep JSON is not JSON and the reason says so", "[steps][expect]") {
    RunOptions o;
    o.max_json_depth = 4;
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "welcome.match"}}}}}), test_profile(), o);
    joined(f);
    f.text("a", "[[[[[1]]]]]");
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(r.reason.find("does not match: message nests deeper than 4 levels") != std::string::npos);
}

TEST_CASE("expect: binary and non-JSON messages are explained", "[steps][expect]") {
    Fake f(steps({kJoin, {{"step", "expect"}, {"client", "a"}, {"match", {{"message", "bye"}}}}}));
    joined(f);
    f.binary("a", std::string("\x00\x01", 2));
    CHECK(f.result().reason ==
          "a: message (a binary message of 2 bytes) does not match: expected an object with \"message\": \"bye\", got a "
          "binary message of 2 bytes");
}

TEST_CASE("receive: count messages each within its deadline", "[steps][receive]") {
    // each_within default: 100 + max(20, 5) + 300 = 420 ms.
    Fake f(steps({kJoin, {{"step", "receive"}, {"client", "a"}, {"count", 3}, {"match", {{"$profile", "push.match"}}}}}));
    joined(f);
    for (int i = 0; i < 3; ++i) {
        f.advance(100ms);
        CHECK_FALSE(f.done());
        f.push("a");
    }
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("receive: the next message is late", "[steps][receive]") {
    Fake f(steps({kJoin, {{"step", "receive"}, {"client", "a"}, {"count", 3}, {"match", {{"$profile", "push.match"}}}}}));
    joined(f);
    f.advance(100ms);
    f.push("a");
    f.advance(419ms);
    CHECK_FALSE(f.done());
    f.advance(1ms);
    REQUIRE(f.done());
    auto r = f.result();
    CHECK(r.reason.rfind("a: received 1 of 3 messages matching an object with", 0) == 0);
    CHECK(r.reason.find("; the next did not come within 420 ms of the previous one") != std::string::npos);
    CHECK(finding(r, "steps/1").evidence == std::vector<std::size_t>{1});
}

TEST_CASE("receive: first_within_ms and a mismatch", "[steps][receive]") {
    SECTION("nothing comes") {
        Fake f(steps({kJoin, {{"step", "receive"}, {"client", "a"}, {"count", 2}, {"match", {{"message", "x"}}}, {"first_within_ms", 50}}}));
        joined(f);
        f.advance(50ms);
        CHECK(f.result().reason == "a: no message matching an object with \"message\": \"x\" within 50 ms");
    }
    SECTION("a stranger comes") {
        Fake f(steps({kJoin, {{"step", "receive"}, {"client", "a"}, {"count", 2}, {"match", {{"message", "x"}}}}}));
        joined(f);
        f.msg("a", {{"message", "x"}});
        f.msg("a", {{"message", "y"}});
        CHECK(f.result().reason ==
              "a: message {\"message\":\"y\"} (after 1 of 2 matching) does not match: at /message: expected \"x\", got \"y\"");
    }
    SECTION("the connection ends") {
        Fake f(steps({kJoin, {{"step", "receive"}, {"client", "a"}, {"count", 2}, {"match", {{"message", "x"}}}}}));
        joined(f);
        f.msg("a", {{"message", "x"}});
        f.closed("a", 1006, false, "reset");
        CHECK(f.result().reason ==
              "a: the connection ended (code 1006, not clean: reset) after 1 of 2 messages matching an object with \"message\": \"x\"");
    }
}

TEST_CASE("send: json, text with repeat and binary", "[steps][send]") {
    Fake f(steps({kJoin,
                  {{"step", "send"}, {"client", "a"}, {"json", {{"$profile", "close_request.json"}}}},
                  {{"step", "send"}, {"client", "a"}, {"text", "ab"}, {"repeat", 3}},
                  {{"step", "send"}, {"client", "a"}, {"binary_hex", "0001fF"}}}));
    joined(f);
    REQUIRE(f.done());
    auto text = f.of_kind(Command::Kind::send_text);
    REQUIRE(text.size() == 2);
    CHECK(text[0].data == "{\"event\":\"close\"}");
    CHECK(text[0].connection == 0);
    CHECK(text[1].data == "ababab");
    auto bin = f.of_kind(Command::Kind::send_binary);
    REQUIRE(bin.size() == 1);
    CHECK(bin[0].data == std::string("\x00\x01\xff", 3));
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("send: to a client that is not connected", "[steps][send]") {
    SECTION("never joined") {
        Fake f(steps({{{"step", "send"}, {"client", "a"}, {"text", "x"}}}));
        f.start();
        REQUIRE(f.done());
        CHECK(f.result().reason == "client a is not connected: it never joined");
    }
    SECTION("closed by the server") {
        Fake f(steps({kJoin, {{"step", "sleep"}, {"for_ms", 10}}, {{"step", "send"}, {"client", "a"}, {"text", "x"}}}));
        joined(f);
        f.closed("a", 1000, true);
        f.advance(10ms);
        auto r = f.result();
        CHECK(r.reason == "client a is not connected: its connection has ended");
        CHECK(finding(r, "steps/2").evidence == std::vector<std::size_t>{1});
        CHECK(f.of_kind(Command::Kind::send_text).empty());
    }
}

TEST_CASE("ping and expect_pong", "[steps][ping]") {
    json s = steps({kJoin, {{"step", "ping"}, {"client", "a"}}, {{"step", "expect_pong"}, {"client", "a"}}});
    SECTION("pass") {
        Fake f(s);
        joined(f);
        auto ping = f.of_kind(Command::Kind::ping);
        REQUIRE(ping.size() == 1);
        CHECK(ping[0].data == "pushcheck");
        f.pong("a", "pushcheck");
        CHECK(f.result().verdict == Verdict::pass);
    }
    SECTION("wrong payload, then the deadline") {
        Fake f(s);
        joined(f);
        f.pong("a", "other");
        f.advance(300ms);
        auto r = f.result();
        CHECK(r.reason == "a: no pong with payload \"pushcheck\" within 300 ms (1 pong(s) with another payload)");
        CHECK(finding(r, "steps/2").evidence == std::vector<std::size_t>{1});
    }
    SECTION("closed first") {
        Fake f(s);
        joined(f);
        f.closed("a", 1001, true);
        CHECK(f.result().reason == "a: the connection ended (code 1001, clean) before a pong arrived");
    }
    SECTION("explicit data") {
        Fake f(steps({kJoin, {{"step", "ping"}, {"client", "a"}, {"data", "p1"}}, {{"step", "expect_pong"}, {"client", "a"}, {"data", "p1"}}}));
        joined(f);
        CHECK(f.of_kind(Command::Kind::ping).at(0).data == "p1");
        f.pong("a", "p1");
        CHECK(f.result().verdict == Verdict::pass);
    }
}

TEST_CASE("close: sends the frame; later sends fail", "[steps][close]") {
    Fake f(steps({kJoin, {{"step", "close"}, {"client", "a"}, {"code", 4000}, {"reason", "done"}},
                  {{"step", "send"}, {"client", "a"}, {"text", "x"}}}));
    joined(f);
    auto c = f.of_kind(Command::Kind::close);
    REQUIRE(c.size() == 1);
    CHECK(c[0].code == 4000);
    CHECK(c[0].reason == "done");
    CHECK(f.result().reason == "client a is not connected: it has sent a close frame");
}

TEST_CASE("expect_close: codes, cleanliness, skip and deadline", "[steps][expect_close]") {
    auto run = [](json step, auto script) {
        json s = {{"step", "expect_close"}, {"client", "a"}};
        if (step.is_object()) s.update(step);
        Fake f(steps({kJoin, s}));
        joined(f);
        script(f);
        REQUIRE(f.done());
        return f.result();
    };
    CHECK(run({}, [](Fake& f) { f.closed("a", 1000, true); }).verdict == Verdict::pass);
    CHECK(run({}, [](Fake& f) { f.closed("a", 1008, true); }).reason == "a: closed with code 1008, expected 1000");
    CHECK(run({{"codes", {{"$profile", "unknown_room.close_codes"}}}}, [](Fake& f) { f.closed("a", 1011, true); }).reason ==
          "a: closed with code 1011, expected one of 1000, 1008");
    CHECK(run({{"codes", json::array()}}, [](Fake& f) { f.closed("a", 1011, true); }).verdict == Verdict::pass);
    CHECK(run({}, [](Fake& f) { f.closed("a", 1000, false, "eof"); }).reason ==
          "a: the connection did not close cleanly (code 1000, not clean: eof)");
    CHECK(run({{"clean", false}}, [](Fake& f) { f.closed("a", 1000, false); }).verdict == Verdict::pass);
    CHECK(run({}, [](Fake& f) { f.closed("a", 0, false, "connection reset"); }).reason ==
          "a: the connection ended without a close frame (no close frame, not clean: connection reset), expected code 1000");
    CHECK(run({}, [](Fake& f) { f.push("a"); }).reason.find("a: message {\"data\":") == 0);
    CHECK(run({}, [](Fake& f) { f.push("a"); }).reason.find("arrived before the close") != std::string::npos);
    CHECK(run({{"skip", {{"message", "bye"}}}}, [](Fake& f) { f.push("a"); }).reason.find(
              "and does not match skip: at /message: expected \"bye\", got nothing (no such key)") != std::string::npos);
    CHECK(run({{"skip", {{"$profile", "push.match"}}}}, [](Fake& f) {
              f.push("a");
              f.closed("a", 1000, true);
          }).verdict == Verdict::pass);
    auto late = run({}, [](Fake& f) {
        f.advance(199ms);
        CHECK_FALSE(f.done());
        f.advance(1ms);
    });
    CHECK(late.reason == "a: the connection did not close within 200 ms");
}

TEST_CASE("disconnect_abruptly: aborts the current connection", "[steps][disconnect]") {
    Fake f(steps({kJoin, {{"step", "disconnect_abruptly"}, {"client", "a"}}, {{"step", "send"}, {"client", "a"}, {"text", "x"}}}));
    joined(f);
    auto a = f.of_kind(Command::Kind::abort);
    REQUIRE(a.size() == 1);
    CHECK(a[0].client == "a");
    CHECK(a[0].connection == 0);
    CHECK(f.result().reason == "client a is not connected: its connection has ended");
}

TEST_CASE("disconnect_abruptly: needs a connection", "[steps][disconnect]") {
    Fake f(steps({{{"step", "disconnect_abruptly"}, {"client", "a"}}}));
    f.start();
    CHECK(f.result().reason == "client a is not connected: it never joined");
}

TEST_CASE("expect_silence: only matching messages inside the window fail", "[steps][silence]") {
    json s = steps({kJoin, {{"step", "expect_silence"}, {"client", "a"}, {"match", {{"$profile", "push.match"}}}, {"for_ms", 200}}});
    SECTION("pass: before the window and non-matching inside it") {
        Fake f(s);
        f.start();
        f.push("a");  // connection not yet open: ignored until connected? it is the current connection
        f.accept_all();
        f.welcome("a");
        f.advance(200ms);
        CHECK(f.result().verdict == Verdict::pass);
    }
    SECTION("fail") {
        Fake f(s);
        joined(f);
        f.advance(50ms);
        f.push("a");
        auto r = f.result();
        CHECK(r.reason.find("a: message {\"data\":") == 0);
        CHECK(r.reason.find("arrived 50 ms into a 200 ms silence window") != std::string::npos);
        CHECK(finding(r, "steps/1").evidence == std::vector<std::size_t>{1});
    }
    SECTION("the window is not scaled") {
        RunOptions o;
        o.timeout_scale = 3;
        Fake f(s, test_profile(), o);
        joined(f);
        f.advance(200ms);
        CHECK(f.done());
    }
}

TEST_CASE("sleep: passes after exactly for_ms", "[steps][sleep]") {
    Fake f(steps({{{"step", "sleep"}, {"for_ms", 120}}}));
    f.start();
    REQUIRE(f.r()->next_deadline() == f.t0 + 120ms);
    f.advance(119ms);
    CHECK_FALSE(f.done());
    f.advance(1ms);
    REQUIRE(f.done());
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.duration_ms == 120.0);
}

TEST_CASE("reconnect: drops the old connection and joins the same path again", "[steps][reconnect]") {
    Fake f(steps({{{"step", "join"}, {"client", "a"}, {"path", "/p"}, {"headers", {{"H", "v"}}}},
                  {{"step", "reconnect"}, {"client", "a"}},
                  {{"step", "expect"}, {"client", "a"}, {"match", {{"$profile", "welcome.match"}}}}}));
    joined(f);
    auto aborts = f.of_kind(Command::Kind::abort);
    REQUIRE(aborts.size() == 1);
    CHECK(aborts[0].connection == 0);
    auto connects = f.of_kind(Command::Kind::connect);
    REQUIRE(connects.size() == 2);
    CHECK(connects[1].connection == 1);
    CHECK(connects[1].path == "/p");
    CHECK(connects[1].headers == connects[0].headers);
    // A late welcome of the old connection is recorded but satisfies nothing.
    Event old;
    old.kind = EventKind::received;
    old.client = "a";
    old.connection = 0;
    old.data = R"({"status":200,"event":"notification","data":"Welcome"})";
    f.event(old);
    f.accept_all();
    CHECK_FALSE(f.done());
    f.welcome("a");
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.transcript.events.size() == 4);
    CHECK(f.of_kind(Command::Kind::release).at(0).connection == 1);
}

TEST_CASE("reconnect: refused, timed out, and reconnecting a closed connection", "[steps][reconnect]") {
    json s = steps({kJoin, {{"step", "reconnect"}, {"client", "a"}, {"within_ms", 100}}});
    SECTION("refused") {
        Fake f(s);
        joined(f);
        f.connect_failed("a", 503, "Service\nUnavailable");
        auto r = f.result();
        CHECK(r.reason == "a: the handshake to /nowtime was refused with HTTP 503: Service\\nUnavailable");
        CHECK(finding(r, "steps/1").evidence == std::vector<std::size_t>{1});
    }
    SECTION("no handshake in time") {
        Fake f(s);
        joined(f);
        f.advance(349ms);
        CHECK_FALSE(f.done());
        f.advance(1ms);
        CHECK(f.result().reason == "connect failed: no handshake within 100 ms (client a, /nowtime)");
    }
    SECTION("after the server closed: no abort, just a new connection") {
        Fake f(steps({kJoin, {{"step", "sleep"}, {"for_ms", 10}}, {{"step", "reconnect"}, {"client", "a"}}}));
        joined(f);
        f.closed("a", 1000, true);
        f.advance(10ms);
        CHECK(f.of_kind(Command::Kind::abort).empty());
        REQUIRE(f.of_kind(Command::Kind::connect).size() == 2);
        f.accept_all();
        CHECK(f.result().verdict == Verdict::pass);
    }
}

TEST_CASE("expect_close after a refused handshake passes; after a TCP failure it does not", "[steps][expect_close]") {
    json s = steps({{{"step", "join"}, {"client", "a"}, {"expect", "any"}}, {{"step", "expect_close"}, {"client", "a"}}});
    Fake f(s);
    f.start();
    f.connect_failed("a", 404, "Not Found");
    CHECK(f.result().verdict == Verdict::pass);
    Fake g(steps({{{"step", "join"}, {"client", "a"}, {"expect", "any"}}, {{"step", "sleep"}, {"for_ms", 1}}, {{"step", "expect_close"}, {"client", "a"}}}));
    g.start();
    g.accept_all();
    g.advance(1ms);
    g.closed("a", 1008, true);
    CHECK(g.result().reason == "a: closed with code 1008, expected 1000");
}
