// Profile hooks: join and leave steps, templates, captures, auto_reply, ignore, subprotocols.
#include "fake.hpp"

#include "engine/protocol.hpp"

#include <fstream>
#include <sstream>

using namespace pushcheck::test;

namespace {

/// A join-by-message protocol in the style of Pusher Channels.
json pusher_like() {
    json push = {{"event", "nowtime"},
                 {"channel", "{{room}}"},
                 {"data", {{"$json", {{"time", {{"$timestamp", "iso8601-utc"}}}}}}}};
    return {
        {"name", "pusher-like"},
        {"rooms", {{"valid", {"lobby"}}, {"invalid", {"nope"}}}},
        {"join",
         {{"path", "/app/key?protocol=7"},
          {"steps",
           {{{"expect", {{"event", "pusher:connection_established"}}},
             {"capture", {{"socket_id", {{"pointer", "/data"}, {"regex", "\"socket_id\":\"([^\"]+)\""}}}}}},
            {{"send", {{"event", "pusher:subscribe"}, {"data", {{"channel", "{{room}}"}, {"auth", "{{socket_id}}"}}}}}}}}}},
        {"leave",
         {{"steps",
           {{{"send", {{"event", "pusher:unsubscribe"}, {"data", {{"channel", "{{room}}"}}}}}},
            {{"send", {{"event", "pusher:ping"}, {"data", json::object()}}}},
            {{"expect", {{"event", "pusher:pong"}}}, {"skip", push}}}}}},
        {"auto_reply", {{{"match", {{"event", "pusher:ping"}}}, {"send", {{"event", "pusher:pong"}, {"data", json::object()}}}}}},
        {"ignore", {{{"event", "pusher:debug"}}}},
        {"welcome", {{"match", {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "{{room}}"}}}}},
        {"push",
         {{"match", push}, {"timestamp_pointer", "/data"}, {"interval_ms", 100}, {"tolerance_pct", 20}, {"tolerance_min_ms", 5}}},
        {"close", {{"codes", {1000}}, {"within_ms", 200}}},
        {"latency", {{"bound_ms", 50}}},
        {"timeouts", {{"connect_ms", 500}, {"message_ms", 300}}},
    };
}

Profile profile_of(const json& v) { return make_profile(v, "pusher-like.json"); }

const json kEstablished = {{"event", "pusher:connection_established"}, {"data", "{\"socket_id\":\"123.456\",\"activity_timeout\":120}"}};

json join_and_welcome(const std::string& client = "a") {
    return {{{"step", "join"}, {"client", client}},
            {{"step", "expect"}, {"client", client}, {"match", {{"$profile", "welcome.match"}}}}};
}

std::vector<json> sent_json(const Fake& f, const std::string& client) {
    std::vector<json> out;
    for (const auto& c : f.of_kind(Command::Kind::send_text))
        if (c.client == client) out.push_back(json::parse(c.data));
    return out;
}

} // namespace

TEST_CASE("join connects to the profile's path, runs its steps with templates and captures, then expects the welcome",
          "[hooks][join]") {
    Fake f({{"steps", join_and_welcome()}}, profile_of(pusher_like()));
    f.start();
    auto connects = f.of_kind(Command::Kind::connect);
    REQUIRE(connects.size() == 1);
    CHECK(connects[0].path == "/app/key?protocol=7");
    f.accept_all();
    CHECK(f.of_kind(Command::Kind::send_text).empty());  // the join steps wait for connection_established
    f.msg("a", kEstablished);
    auto sent = sent_json(f, "a");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0] == json{{"event", "pusher:subscribe"}, {"data", {{"channel", "lobby"}, {"auth", "123.456"}}}});
    f.msg("a", {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "lobby"}});
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("a template in a pattern matches only the client's own value, and the reason names it", "[hooks][templates]") {
    Fake f({{"steps", join_and_welcome()}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", kEstablished);
    f.msg("a", {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "other"}});
    REQUIRE(f.done());
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(finding(r, "steps/1").reason.find("at /channel: expected \"lobby\" ({{room}}), got \"other\"") != std::string::npos);
}

TEST_CASE("a join step that does not match fails the join and names the profile's step", "[hooks][join]") {
    Fake f({{"steps", join_and_welcome()}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", {{"event", "pusher:error"}, {"data", {{"code", 4001}}}});
    REQUIRE(f.done());
    auto r = f.result();
    const std::string reason = finding(r, "steps/0").reason;
    CHECK(reason.find("a: profile pusher-like, join.steps.0: message ") == 0);
    CHECK(reason.find("does not match") != std::string::npos);
}

TEST_CASE("a join step that gets no answer fails at its deadline", "[hooks][join]") {
    Fake f({{"steps", join_and_welcome()}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.advance(2s);
    REQUIRE(f.done());
    CHECK(finding(f.result(), "steps/0").reason ==
          "a: profile pusher-like, join.steps.0: no message matching an object with \"event\": "
          "\"pusher:connection_established\" within 300 ms");
}

TEST_CASE("auto_reply answers a heartbeat wherever it comes, and no step sees it", "[hooks][auto_reply]") {
    json steps = join_and_welcome();
    steps.push_back({{"step", "receive"}, {"client", "a"}, {"count", 2}, {"match", {{"$profile", "push.match"}}}});
    Fake f({{"steps", steps}, {"checks", {{{"check", "heartbeat"}, {"client", "a"}, {"match", {{"event", "pusher:ping"}}}, {"interval_ms", 1000}}}}},
           profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", {{"event", "pusher:ping"}, {"data", json::object()}});  // during the join steps
    f.msg("a", kEstablished);
    f.msg("a", {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "lobby"}});
    const json push = {{"event", "nowtime"}, {"channel", "lobby"}, {"data", "{\"time\":\"2026-12-01T00:00:00.000Z\"}"}};
    f.msg("a", push);
    f.msg("a", {{"event", "pusher:ping"}, {"data", json::object()}});  // between pushes
    f.msg("a", push);
    REQUIRE(f.done());
    auto sent = sent_json(f, "a");
    CHECK(std::count(sent.begin(), sent.end(), json{{"event", "pusher:pong"}, {"data", json::object()}}) == 2);
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.measurements["profile_hooks"]["auto_replied"] == 2);
    CHECK(finding(r, "checks/0").measurements["heartbeats"] == 2);
    CHECK(finding(r, "checks/0").measurements["auto_replied"] == 2);
    std::size_t marked = 0;
    for (const auto& e : r.transcript.events) marked += e.handling == Handling::auto_replied;
    CHECK(marked == 2);
}

TEST_CASE("a client joined with auto_reply false leaves heartbeats to the steps", "[hooks][auto_reply]") {
    Fake f({{"steps",
             {{{"step", "join"}, {"client", "a"}, {"auto_reply", false}},
              {{"step", "expect"}, {"client", "a"}, {"match", {{"event", "pusher:ping"}}}}}}},
           profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", kEstablished);
    f.msg("a", {{"event", "pusher:ping"}, {"data", json::object()}});
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
    CHECK(sent_json(f, "a").size() == 1);  // the subscribe only
}

TEST_CASE("ignored messages reach neither steps nor content checks; the join steps' messages reach no check",
          "[hooks][ignore]") {
    json steps = join_and_welcome();
    // The first message a check sees is the welcome: connection_established belongs to the join steps.
    Fake f({{"steps", steps},
            {"checks", {{{"check", "ordering"}, {"client", "a"}, {"first", {{"event", "pusher_internal:subscription_succeeded"}}}}}}},
           profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", {{"event", "pusher:debug"}});  // first: the ordering check would fail on it
    f.msg("a", kEstablished);
    f.msg("a", {{"event", "pusher:debug"}});  // the welcome's expect would fail on it
    f.msg("a", {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "lobby"}});
    REQUIRE(f.done());
    auto r = f.result();
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.measurements["profile_hooks"]["ignored"] == 2);
    std::vector<Handling> handled;
    for (const auto& e : r.transcript.events)
        if (e.kind == EventKind::received) handled.push_back(e.handling);
    CHECK(handled == std::vector<Handling>{Handling::ignored, Handling::profile_steps, Handling::ignored, Handling::none});
}

TEST_CASE("members join rooms named by their index; captures belong to each client", "[hooks][templates]") {
    Fake f({{"clients", {{{"name", "m"}, {"count", 3}}}},
            {"steps", {{{"step", "join"}, {"client", "m"}, {"room", "room-{{index}}"}},
                       {{"step", "expect"}, {"client", "m"}, {"match", {{"$profile", "welcome.match"}}}}}}},
           profile_of(pusher_like()));
    f.start();
    f.accept_all();
    for (int i = 1; i <= 3; ++i) {
        const std::string m = "m" + std::to_string(i);
        f.msg(m, {{"event", "pusher:connection_established"}, {"data", "{\"socket_id\":\"s" + std::to_string(i) + "\"}"}});
        auto sent = sent_json(f, m);
        REQUIRE(sent.size() == 1);
        CHECK(sent[0]["data"] == json{{"channel", "room-" + std::to_string(i)}, {"auth", "s" + std::to_string(i)}});
        f.msg(m, {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "room-" + std::to_string(i)}});
    }
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("leave runs the profile's leave steps on the open connection", "[hooks][leave]") {
    json steps = join_and_welcome();
    steps.push_back({{"step", "leave"}, {"client", "a"}});
    Fake f({{"steps", steps}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", kEstablished);
    f.msg("a", {{"event", "pusher_internal:subscription_succeeded"}, {"channel", "lobby"}});
    auto sent = sent_json(f, "a");
    REQUIRE(sent.size() == 3);
    CHECK(sent[1] == json{{"event", "pusher:unsubscribe"}, {"data", {{"channel", "lobby"}}}});
    CHECK(sent[2]["event"] == "pusher:ping");
    f.msg("a", {{"event", "nowtime"}, {"channel", "lobby"}, {"data", "{\"time\":\"2026-12-01T00:00:00.000Z\"}"}});  // skipped
    CHECK_FALSE(f.done());
    f.msg("a", {{"event", "pusher:pong"}});
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
}

TEST_CASE("the subprotocol the server chose is checked against the profile", "[hooks][subprotocols]") {
    json p = pusher_like();
    p.erase("join");
    p["rooms"]["valid"] = {"/lobby"};
    p["welcome"]["match"] = {{"event", "hello"}};
    p["subprotocols"] = {{"offer", {"v2.json", "v1.json"}}, {"expect", "v2.json"}};
    Fake f({{"steps", {{{"step", "join"}, {"client", "a"}}}}}, profile_of(p));
    f.start();
    auto connects = f.of_kind(Command::Kind::connect);
    REQUIRE(connects.size() == 1);
    CHECK(connects[0].subprotocols == std::vector<std::string>{"v2.json", "v1.json"});
    Event e = f.make(EventKind::connected, "a");
    e.data = "v1.json";
    f.event(std::move(e));
    REQUIRE(f.done());
    CHECK(finding(f.result(), "steps/0").reason ==
          "a: the server chose subprotocol \"v1.json\"; profile pusher-like expects \"v2.json\" (offered: v2.json, v1.json)");
}

TEST_CASE("profile hooks are checked when the profile loads", "[hooks][profile]") {
    auto error = [](json v) { return config_error([&] { make_profile(v, "p.json"); }); };
    json p = pusher_like();
    p["join"]["steps"][1]["send"]["data"]["auth"] = "{{sokcet_id}}";
    CHECK(error(p).find("p.json: /join: unknown template {{sokcet_id}}: known names are room, client, group, index, socket_id") == 0);
    p = pusher_like();
    p["join"]["steps"][0]["capture"] = {{"room", "/data"}};
    CHECK(error(p) == "p.json: /join/steps/0/capture/room: \"room\" is a built-in template name (room, client, group, index); choose another");
    p = pusher_like();
    p["auto_reply"][0].erase("match");
    CHECK(error(p) == "p.json: /auto_reply/0: missing \"match\": the pattern of the messages to answer");
    p = pusher_like();
    p["join"]["steps"][1] = {{"send", {{"a", 1}}}, {"send_text", "x"}};
    CHECK(error(p).find("p.json: /join/steps/1: expected exactly one of \"send\" (JSON, encoded by the framing) or \"send_text\"") == 0);
    p = pusher_like();
    p["framing"] = "protobuf";
    CHECK(error(p).find("p.json: /framing: expected one of json") == 0);
    p = pusher_like();
    p["subprotocols"] = {{"offer", {"a"}}, {"expect", "b"}};
    CHECK(error(p) == "p.json: /subprotocols/expect: \"b\" is not among the offered subprotocols [\"a\"]");
    p = pusher_like();
    p.erase("join");
    CHECK(error(p) == "p.json: /rooms/valid/0: expected a path starting with \"/\" (rooms are request paths unless the "
                      "profile has join.path), got \"lobby\"");
}

TEST_CASE("requires accepts dotted keys and json_frames", "[hooks][requires]") {
    Scenario s = scenario_of({{"requires", {"unknown_room.close_codes", "leave", "json_frames"}},
                              {"steps", {{{"step", "sleep"}, {"for_ms", 1}}}}});
    CHECK(missing_sections(s, test_profile().values) == std::vector<std::string>{"leave"});
    json p = pusher_like();
    CHECK(missing_sections(s, p) == std::vector<std::string>{"unknown_room.close_codes"});
    p["framing"] = "socketio";
    CHECK(missing_sections(s, p) == std::vector<std::string>{"unknown_room.close_codes", "json_frames"});
}

TEST_CASE("the worked example of docs/profiles.md loads and joins as documented", "[hooks][docs]") {
    std::ifstream in(std::string(PUSHCHECK_SOURCE_DIR) + "/docs/profiles.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    auto at = doc.find("### Worked example: a join-by-message protocol");
    REQUIRE(at != std::string::npos);
    auto start = doc.find("```json\n", at);
    REQUIRE(start != std::string::npos);
    start += 8;
    Profile p = make_profile(json::parse(doc.substr(start, doc.find("```", start) - start)), "docs/profiles.md");
    json steps = join_and_welcome();
    steps.push_back({{"step", "receive"}, {"client", "a"}, {"count", 1}, {"match", {{"$profile", "push.match"}}}});
    steps.push_back({{"step", "leave"}, {"client", "a"}});
    Fake f({{"steps", steps}}, p);
    f.start();
    REQUIRE(f.of_kind(Command::Kind::connect).at(0).path == "/ws");
    f.accept_all();
    f.msg("a", {{"type", "hello"}, {"session", "s-1"}});
    f.msg("a", {{"type", "ping"}});  // answered by auto_reply
    f.msg("a", {{"type", "subscribed"}, {"room", "lobby"}});
    f.msg("a", {{"type", "tick"}, {"room", "lobby"}, {"at", f.wall_base / 1000}});
    f.msg("a", {{"type", "pong"}});
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
    auto sent = sent_json(f, "a");
    REQUIRE(sent.size() == 4);
    CHECK(sent[0] == json{{"type", "subscribe"}, {"room", "lobby"}, {"session", "s-1"}});
    CHECK(sent[1] == json{{"type", "pong"}});
    CHECK(sent[2] == json{{"type", "unsubscribe"}, {"room", "lobby"}});
    CHECK(sent[3] == json{{"type", "ping"}});
}

TEST_CASE("a capture's regex runs on a server's long text in bounded stack; back-references are refused", "[hooks][capture]") {
    auto caps = parse_captures(json{{"word", {{"regex", "^([a-z]+)$"}}}}, "p.json", "/join/steps/0/capture");
    REQUIRE(caps.size() == 1);
    const std::string frame(200000, 'a');  // the default (depth-first) matcher overflowed the stack on this
    ParsedMessage m = parse_message(frame, false, 64);
    std::string why;
    auto v = caps[0].take(m, frame, &why);
    REQUIRE(v.has_value());
    CHECK(v->size() == frame.size());
    CHECK(config_error([] { parse_captures(json{{"x", {{"regex", "(a)\\1"}}}}, "p.json", "/c"); }).find("back-references") !=
          std::string::npos);
}

TEST_CASE("a load run's attempt join still runs the join steps, and their failure only stops that client", "[hooks][join][load]") {
    json steps = {{{"step", "join"}, {"client", "m"}, {"expect", "attempt"}}};
    Fake f({{"clients", {{{"name", "m"}, {"count", 2}}}}, {"steps", steps}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("m1", kEstablished);
    CHECK(sent_json(f, "m1").size() == 1);  // subscribed
    f.msg("m2", {{"event", "pusher:error"}});  // not the hello: m2's join steps stop, leniently
    REQUIRE(f.done());
    CHECK(f.result().verdict == Verdict::pass);
    CHECK(sent_json(f, "m2").empty());
}

TEST_CASE("templates any takes a profile pattern for every room", "[hooks][templates]") {
    // The unknown-room scenarios: no push of any room may come, not only of the unknown one.
    json steps = {{{"step", "join"}, {"client", "a"}, {"room", "nope"}, {"expect", "any"}},
                  {{"step", "expect_silence"}, {"client", "a"}, {"match", {{"$profile", "push.match"}, {"templates", "any"}}}, {"for_ms", 100}}};
    Fake f({{"steps", steps}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", kEstablished);
    f.msg("a", {{"event", "nowtime"}, {"channel", "lobby"}, {"data", "{\"time\":\"2026-12-01T00:00:00.000Z\"}"}});
    f.advance(200ms);
    REQUIRE(f.done());
    auto r = f.result();
    CHECK(r.verdict == Verdict::fail);
    CHECK(finding(r, "steps/1").reason.find("ms into a 100 ms silence window") != std::string::npos);
}

TEST_CASE("requires follows array indices in dotted keys", "[hooks][requires]") {
    Scenario s = scenario_of({{"requires", {"rooms.invalid.0", "rooms.invalid.3"}}, {"steps", {{{"step", "sleep"}, {"for_ms", 1}}}}});
    CHECK(missing_sections(s, test_profile().values) == std::vector<std::string>{"rooms.invalid.3"});
}

TEST_CASE("a message of the join steps is not a request to leave: the server's close is its own", "[hooks][delivery]") {
    json steps = {{{"step", "join"}, {"client", "a"}, {"expect", "attempt"}},
                  {{"step", "hold"}, {"client", "a"}, {"for_ms", 300}, {"allow_disconnect", true}}};
    Fake f({{"steps", steps}, {"checks", {{{"check", "delivery"}, {"client", "a"}}}}}, profile_of(pusher_like()));
    f.start();
    f.accept_all();
    f.msg("a", kEstablished);  // the join steps send the subscribe
    REQUIRE(sent_json(f, "a").size() == 1);
    f.closed("a", 1000, true);  // the server closes, cleanly
    f.advance(400ms);
    REQUIRE(f.done());
    auto r = f.result();
    const auto& m = finding(r, "checks/0").measurements;
    INFO(m.dump());
    CHECK(m["disconnects"].size() == 1);  // counted as the server's doing
    CHECK(m["messages"]["missed"].get<int>() >= 2);  // owed pushes until the end of the run
}
