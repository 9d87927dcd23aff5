#include "fixture.hpp"

#include <memory>
#include <string>

namespace pushcheck::test {

using namespace engine;
using namespace std::string_literals;

namespace {

Event ev(EventKind kind, const std::string& client, std::int64_t t_us, std::string data = {}) {
    Event e;
    e.kind = kind;
    e.client = client;
    e.t_us = t_us;
    e.wall_us = 1'795'000'000'000'000 + t_us;
    e.data = std::move(data);
    e.size = e.data.size();
    return e;
}

Event closed(const std::string& client, std::int64_t t_us, int code, bool clean, bool by_peer, std::string reason = {}) {
    Event e = ev(EventKind::closed, client, t_us, std::move(reason));
    e.size = 0;
    e.close_code = code;
    e.clean = clean;
    e.by_peer = by_peer;
    return e;
}

std::string push(int k) { return "{\"status\":200,\"event\":\"nowtime\",\"data\":\"2026-11-26T13:02:4" + std::to_string(k) + ".5Z\"}"; }
const std::string kWelcome = R"({"status":200,"event":"notification","data":"Welcome"})";

Finding finding(std::string kind, std::string name, std::string where, Level level, Verdict v, std::string reason,
                std::vector<std::size_t> evidence = {}, nlohmann::json m = nlohmann::json::object()) {
    Finding f;
    f.kind = std::move(kind);
    f.name = std::move(name);
    f.where = std::move(where);
    f.level = level;
    f.verdict = v;
    f.reason = std::move(reason);
    f.evidence = std::move(evidence);
    f.measurements = std::move(m);
    return f;
}

std::shared_ptr<const Handshake> upgraded(const std::string& url, const std::string& subprotocol = "") {
    auto h = std::make_shared<Handshake>();
    h->url = url;
    h->status = 101;
    h->reason = "Switching Protocols";
    h->headers = {{"Upgrade", "websocket"},
                  {"Connection", "Upgrade"},
                  {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
                  {"Server", "nowtime/1.0"}};
    if (!subprotocol.empty()) h->headers.emplace_back("Sec-WebSocket-Protocol", subprotocol);
    h->subprotocol = subprotocol;
    return h;
}

Event connected(const std::string& client, std::int64_t t_us, std::shared_ptr<const Handshake> h) {
    Event e = ev(EventKind::connected, client, t_us, h ? h->subprotocol : "");
    e.handshake = std::move(h);
    return e;
}

ScenarioResult scenario(std::string id, std::string title, Level level, std::string driver, Verdict v, double ms) {
    ScenarioResult s;
    s.id = std::move(id);
    s.group = s.id.substr(0, s.id.rfind('.'));
    s.title = std::move(title);
    s.description = "What " + s.id + " proves, in one sentence.";
    s.file = "scenarios/suite/" + s.id + ".json";
    s.level = level;
    s.driver = std::move(driver);
    s.verdict = v;
    s.duration_ms = ms;
    return s;
}

} // namespace

std::string fixture_version() { return PUSHCHECK_VERSION_STRING; }

RunResult make_run() {
    RunResult run;
    run.pushcheck_version = fixture_version();
    run.target = "ws://127.0.0.1:5000/nowtime";
    run.profile_name = "nowtime";
    run.profile = {{"name", "nowtime"},
                   {"rooms", {{"valid", {"/nowtime"}}, {"invalid", {"/no-such-room"}}}},
                   {"push",
                    {{"interval_ms", 200},
                     {"tolerance_pct", 25},
                     {"tolerance_min_ms", 50},
                     {"timestamp_pointer", "/data"},
                     {"match", {{"status", 200}, {"event", "nowtime"}, {"data", {{"$timestamp", "iso8601-utc"}}}}}}},
                   {"close", {{"codes", {1000}}, {"within_ms", 2000}}},
                   {"latency", {{"bound_ms", 250}}}};
    run.drivers = {"async", "sync"};
    run.started_at = "2026-11-26T13:02:48.125Z";
    run.duration_ms = 4321.5;
    run.hostname = "ci-runner-7";
    run.dialled = {"ws://127.0.0.1:5000/nowtime", "ws://127.0.0.1:5000/no-such-room"};
    const std::string room = "ws://127.0.0.1:5000/nowtime";

    // 1. pass, with latency and a cadence series.
    {
        auto s = scenario("lifecycle.welcome", "Welcome on join, then pushes", Level::must, "async", Verdict::pass, 1012.25);
        s.started_ms = 5.0;
        s.transcript.events = {connected("a", 1200, upgraded(room, "nowtime.v1")), ev(EventKind::received, "a", 2500, kWelcome)};
        for (int k = 0; k < 4; ++k) s.transcript.events.push_back(ev(EventKind::received, "a", 202'000 + k * 200'500, push(k)));
        s.transcript.events.push_back(ev(EventKind::sent, "a", 900'000, R"({"event":"close"})"));
        s.transcript.events.push_back(ev(EventKind::received, "a", 901'300, R"({"message":"bye"})"));
        s.transcript.events.push_back(closed("a", 902'100, 1000, true, true));
        s.findings = {finding("step", "join", "/steps/0", Level::must, Verdict::pass, ""),
                      finding("step", "expect", "/steps/1", Level::must, Verdict::pass, "")};
        for (int i = 0; i < 40; ++i) s.latency.add(600 + (i * 37) % 900);
        s.series.push_back({"interval a", "ms", 200, 50, {200.5, 199.8, 201.2}});
        s.measurements = {{"pushes", 4}};
        run.scenarios.push_back(std::move(s));
    }
    // 2. fail, with evidence.
    {
        auto s = scenario("lifecycle.close_bye", "Close request is answered by bye and a normal close", Level::must, "async",
                          Verdict::fail, 2104.0);
        s.started_ms = 10.0;
        s.reason = R"(at /message: expected "bye", got a push {"status":200,"event":"nowtime",...} after the close request)";
        s.transcript.events = {connected("a", 900, upgraded(room)), ev(EventKind::received, "a", 2100, kWelcome),
                               ev(EventKind::received, "a", 201'000, push(1)),
                               ev(EventKind::sent, "a", 250'000, R"({"event":"close"})"),
                               ev(EventKind::received, "a", 401'000, push(2)),
                               closed("a", 2'101'000, 0, false, false, "deadline: no close frame within 2000 ms")};
        s.findings = {finding("step", "send", "/steps/2", Level::must, Verdict::pass, ""),
                      finding("step", "expect", "/steps/3", Level::must, Verdict::fail, s.reason, {3, 4})};
        s.findings[1].definition = {{"step", "expect"},
                                    {"client", "a"},
                                    {"match", {{"message", "bye"}}},
                                    {"skip", run.profile["push"]["match"]},
                                    {"within_ms", 3000}};
        run.scenarios.push_back(std::move(s));
    }
    // 3. non_strict: a SHOULD-level interval check.
    {
        auto s = scenario("push.cadence", "Pushes arrive every interval", Level::should, "async", Verdict::non_strict, 1530.5);
        s.started_ms = 20.0;
        s.reason = "gap 3 of 9 was 312.0 ms, outside 200 ms +- 50 ms";
        // The evidence (gap 3) lies before the last five events: a tail must still show it.
        for (int k = 0; k < 10; ++k) s.transcript.events.push_back(ev(EventKind::received, "m1", 100'000 + k * 200'000 + (k == 3 ? 112'000 : 0), push(k)));
        s.findings = {finding("check", "interval", "/checks/0", Level::should, Verdict::non_strict, s.reason, {2, 3},
                              {{"mean_ms", 218.7}, {"jitter_ms", 41.2}, {"drift_ms", 112.0}})};
        s.findings[0].definition = {{"check", "interval"}, {"client", "m1"}, {"level", "should"}, {"match", run.profile["push"]["match"]},
                                    {"nominal_ms", 200}, {"tolerance_pct", 25}, {"tolerance_min_ms", 50}};
        s.series.push_back({"interval m1", "ms", 200, 50, {200.1, 199.6, 312.0, 88.4, 201.0, 199.9, 200.2, 200.0, 199.7}});
        s.measurements = s.findings[0].measurements;
        run.scenarios.push_back(std::move(s));
    }
    // 4. informational: a MAY-level robustness finding.
    {
        auto s = scenario("robustness.non_json", "A text that is not JSON is ignored", Level::may, "sync",
                          Verdict::informational, 650.0);
        s.started_ms = 3000.0;
        s.reason = "the close request after a non-JSON text was not answered within 2000 ms";
        s.transcript.events = {ev(EventKind::connected, "a", 1000), ev(EventKind::sent, "a", 3000, "not json"),
                               ev(EventKind::sent, "a", 4000, R"({"event":"close"})")};
        s.findings = {finding("step", "expect", "/steps/4", Level::may, Verdict::informational, s.reason, {2})};
        run.scenarios.push_back(std::move(s));
    }
    // 5. harness_error.
    {
        auto s = scenario("broadcast.fifty", "Fifty members receive the same pushes", Level::must, "sync",
                          Verdict::harness_error, 12.0);
        s.started_ms = 3100.0;
        s.reason = "could not open 50 client connections: too many open files";
        Event e = ev(EventKind::connect_failed, "m37", 11'000, "socket: too many open files");
        auto none = std::make_shared<Handshake>();
        none->url = room;
        e.handshake = none;  // no HTTP response was read
        s.transcript.events = {connected("m1", 2000, upgraded(room)), e};
        run.scenarios.push_back(std::move(s));
    }
    // 6. pass with latency only, on the other driver, binary frame and pong in the transcript.
    {
        auto s = scenario("push.latency", "Push latency stays under the bound", Level::must, "sync", Verdict::pass, 1207.0);
        s.started_ms = 3200.0;
        Event bin = ev(EventKind::sent, "a", 5000, "\x01\x02\xfe\xff"s);
        bin.binary = true;
        Event pong = ev(EventKind::pong, "a", 6000, "pushcheck");
        s.transcript.events = {ev(EventKind::connected, "a", 1500), bin, pong, ev(EventKind::received, "a", 205'000, push(5))};
        for (int i = 0; i < 120; ++i) s.latency.add(300 + (i * 53) % 2400);
        s.latency.add(9800);
        s.findings = {finding("check", "latency", "/checks/0", Level::must, Verdict::pass, "", {},
                              {{"p50_ms", 1.5}, {"p99_ms", 2.7}})};
        run.scenarios.push_back(std::move(s));
    }
    run.recompute_summary();
    return run;
}

std::string hostile_text() {
    return "<script>alert(1)</script> & ]]> \"dq\" 'sq' bad:\xff\xfe|\xc3\x28|\xed\xa0\x80|\xe2\x82 ctl:\x01\x07\x1b[31m\x00"
           "\x0b\x0c\x7f\xc2\x85 nonchar:\xef\xbf\xbe\xef\xbf\xbf <img src=x onerror=alert(2)> </style></script> --> {{body}}"s;
}

RunResult make_interrupted_run() {
    RunResult run = make_run();
    // SIGINT came while push.latency (sync) ran and before rooms.broadcast_consistency (sync) started.
    run.scenarios.pop_back();
    run.interrupted = Interruption{"SIGINT", {{"push.latency", "sync"}, {"rooms.broadcast_consistency", "sync"}}};
    run.server = ServerProcess{"./my-server --port 5000", 4242, "signal SIGTERM",
                               "listening on :5000\nroom nowtime: 3 members\nerror: ticker stalled for 812 ms\n"};
    run.recompute_summary();
    return run;
}

RunResult make_hostile_run() {
    const std::string h = hostile_text();
    RunResult run;
    run.pushcheck_version = fixture_version();
    run.target = "ws://127.0.0.1:1/" + h;
    run.profile_name = h;
    run.profile = {{"name", h}, {"push", {{"match", {{"data", h}}}, {"interval_ms", 100}}}, {h, h}};
    run.drivers = {"async"};
    run.started_at = h;  // not a time at all: JUnit must still get a valid timestamp
    run.duration_ms = 10;
    run.hostname = h;

    auto s = scenario("hostile.payloads", h, Level::must, "async", Verdict::fail, 33.0);
    s.description = h;
    s.reason = "got " + h;
    s.file = h;
    auto hs = std::make_shared<Handshake>();
    hs->url = "ws://127.0.0.1:1/" + h;
    hs->status = 101;
    hs->reason = h;
    hs->headers = {{h, h}, {"Server", h}};
    hs->subprotocol = h;
    Event conn = ev(EventKind::connected, "a", 500, h);
    conn.handshake = hs;
    Event text = ev(EventKind::received, h, 1000, h);
    Event bin = ev(EventKind::received, "a", 2000, h);
    bin.binary = true;
    Event big = ev(EventKind::received, "a", 3000, std::string(5000, '<') + h);
    s.transcript.events = {conn, text, bin, big,
                           ev(EventKind::error, "a", 4000, h), closed("a", 5000, 4000, false, true, h)};
    s.findings = {finding("check", h, h, Level::must, Verdict::fail, h, {1, 4}, {{h, h}})};
    s.findings[0].definition = {{"check", h}, {h, {{"$regex", h}}}, {"within_ms", 5}};
    s.started_ms = 2;
    s.measurements = {{h, h}, {"n", 1}};
    s.series.push_back({h, h, 100, 10, {100, 150}});
    s.latency.add(1000);
    run.scenarios.push_back(s);

    auto s2 = scenario("hostile.should", h, Level::should, "async", Verdict::non_strict, 1.0);
    s2.reason = h;
    s2.transcript.events = {ev(EventKind::received, "a", 1000, h)};
    run.scenarios.push_back(s2);
    auto s3 = scenario("hostile.harness", h, Level::must, "async", Verdict::harness_error, 1.0);
    s3.reason = h;
    run.scenarios.push_back(s3);
    run.dialled = {h};
    run.interrupted = Interruption{h, {{h, h}, {"a.b", "async"}}};
    run.server = ServerProcess{h, 42, h, h + "\n" + h};
    run.recompute_summary();
    return run;
}

} // namespace pushcheck::test
