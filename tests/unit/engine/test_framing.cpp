// Framings: the registry, "json" as is, and "socketio" both ways: every packet type, every
// error with its message, the nesting limit, round trips and frames captured from socket.io 4.8.4.
#include "fake.hpp"

#include "pushcheck/engine/framing.hpp"

#include "matchers/preview.hpp"

#include <filesystem>
#include <fstream>

using namespace pushcheck::test;

namespace {

const Framing& sio() {
    static const FramingPtr f = make_framing("socketio");
    REQUIRE(f);
    return *f;
}

// The decoded value of a text frame (FAILs, showing the problem, when it has none).
json dec(std::string_view text, int depth = 64) {
    ParsedMessage m = sio().decode(text, false, depth);
    INFO(text << " -> " << m.problem);
    REQUIRE(m.kind == ParsedMessage::Kind::json);
    CHECK(m.size == text.size());
    return m.value();
}

// Why a text frame does not decode ("DECODED" when it does).
std::string problem(std::string_view text) {
    ParsedMessage m = sio().decode(text, false, 64);
    if (m.kind == ParsedMessage::Kind::json) return "DECODED";
    CHECK(m.kind == ParsedMessage::Kind::undecodable);
    CHECK(m.preview == text_preview(text));  // as parse_message shows a message that is not JSON
    CHECK(m.value().is_null());
    CHECK(m.size == text.size());
    return m.problem;
}

std::string enc(const json& v) {
    std::string why;
    auto s = sio().encode(v, &why);
    INFO(v.dump() << " -> " << why);
    REQUIRE(s);
    CHECK(why.empty());
    return *s;
}

// Why a value has no encoding ("ENCODED" when it has one).
std::string refusal(const json& v) {
    std::string why;
    if (sio().encode(v, &why)) return "ENCODED";
    CHECK(!sio().encode(v, nullptr));
    return why;
}

std::string prefixed(const std::string& p) { return "not a Socket.IO packet (" + p + ")"; }

} // namespace

TEST_CASE("framing registry: json and socketio, nothing else", "[framing]") {
    CHECK(framing_names() == std::vector<std::string>{"json", "socketio"});
    for (const auto& n : framing_names()) {
        FramingPtr f = make_framing(n);
        REQUIRE(f);
        CHECK(f->name() == n);
        CHECK(make_framing(n) == f);  // stateless: one instance serves everyone
    }
    CHECK(make_framing("socket.io") == nullptr);
    CHECK(make_framing("") == nullptr);
    CHECK(make_framing("json")->transforms() == false);
    CHECK(make_framing("socketio")->transforms() == true);
}

TEST_CASE("framing json: decode is parse_message, encode is the compact dump", "[framing]") {
    FramingPtr f = make_framing("json");
    for (std::string text : {R"({"event":"nowtime","data":"x"})", "not json", "[[[1]]]", ""}) {
        for (int depth : {64, 2}) {
            ParsedMessage a = f->decode(text, false, depth), b = parse_message(text, false, depth);
            CHECK(a.kind == b.kind);
            CHECK(a.value() == b.value());
            CHECK(a.preview == b.preview);
            CHECK(a.size == b.size);
            CHECK(a.depth_limit == b.depth_limit);
        }
    }
    CHECK(f->decode("\x01\x02", true, 64).kind == ParsedMessage::Kind::binary);
    CHECK(f->encode({{"event", "join"}, {"room", "/nowtime"}}, nullptr) == std::optional<std::string>(R"({"event":"join","room":"/nowtime"})"));
    std::string why;
    CHECK(!f->encode(json(std::string("\xff")), &why));
    CHECK(why == "the value holds a string that is not valid UTF-8");
}

TEST_CASE("socketio: Engine.IO packets decode", "[framing][socketio]") {
    CHECK(dec(R"(0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})") ==
          json{{"type", "open"},
               {"data", {{"sid", "abc"}, {"upgrades", json::array()}, {"pingInterval", 25000}, {"pingTimeout", 20000}, {"maxPayload", 1000000}}}});
    CHECK(dec("1") == json{{"type", "close"}});
    CHECK(dec("2") == json{{"type", "ping"}});
    CHECK(dec("2probe") == json{{"type", "ping"}, {"data", "probe"}});
    CHECK(dec("3") == json{{"type", "pong"}});
    CHECK(dec("3probe") == json{{"type", "pong"}, {"data", "probe"}});
    CHECK(dec("5") == json{{"type", "upgrade"}});
    CHECK(dec("6") == json{{"type", "noop"}});
    CHECK(dec("2[not json]") == json{{"type", "ping"}, {"data", "[not json]"}});  // ping data is text
}

TEST_CASE("socketio: Socket.IO packets decode", "[framing][socketio]") {
    CHECK(dec("40") == json{{"type", "connect"}, {"nsp", "/"}});
    CHECK(dec(R"(40{"token":"x"})") == json{{"type", "connect"}, {"nsp", "/"}, {"data", {{"token", "x"}}}});
    CHECK(dec("40/admin,") == json{{"type", "connect"}, {"nsp", "/admin"}});
    CHECK(dec(R"(40/admin,{"sid":"s"})") == json{{"type", "connect"}, {"nsp", "/admin"}, {"data", {{"sid", "s"}}}});
    CHECK(dec("41") == json{{"type", "disconnect"}, {"nsp", "/"}});
    CHECK(dec("41/admin,") == json{{"type", "disconnect"}, {"nsp", "/admin"}});
    CHECK(dec(R"(42["join","/nowtime"])") == json{{"type", "event"}, {"nsp", "/"}, {"data", {"join", "/nowtime"}}});
    CHECK(dec(R"(421["join","/nowtime"])") == json{{"type", "event"}, {"nsp", "/"}, {"id", 1}, {"data", {"join", "/nowtime"}}});
    CHECK(dec(R"(42/admin,7["x"])") == json{{"type", "event"}, {"nsp", "/admin"}, {"id", 7}, {"data", {"x"}}});
    CHECK(dec(R"(42[""])") == json{{"type", "event"}, {"nsp", "/"}, {"data", {""}}});
    CHECK(dec("43[]") == json{{"type", "ack"}, {"nsp", "/"}, {"data", json::array()}});
    CHECK(dec(R"(4312[{"status":200}])") == json{{"type", "ack"}, {"nsp", "/"}, {"id", 12}, {"data", {{{"status", 200}}}}});
    CHECK(dec(R"(44{"message":"Invalid namespace"})") ==
          json{{"type", "connect_error"}, {"nsp", "/"}, {"data", {{"message", "Invalid namespace"}}}});
    CHECK(dec(R"(44/admin,"not authorized")") == json{{"type", "connect_error"}, {"nsp", "/admin"}, {"data", "not authorized"}});
    CHECK(dec(R"(451-["upload",{"_placeholder":true,"num":0}])") ==
          json{{"type", "binary_event"}, {"nsp", "/"}, {"attachments", 1}, {"data", {"upload", {{"_placeholder", true}, {"num", 0}}}}});
    CHECK(dec(R"(452-/admin,3["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")["attachments"] == 2);
    CHECK(dec(R"(461-/admin,5[{"_placeholder":true,"num":0}])") ==
          json{{"type", "binary_ack"}, {"nsp", "/admin"}, {"attachments", 1}, {"id", 5}, {"data", {{{"_placeholder", true}, {"num", 0}}}}});
}

TEST_CASE("socketio: the edges of the header, as socket.io-parser reads them", "[framing][socketio]") {
    // A namespace runs to ',' or to the end of the text.
    CHECK(dec("41/admin") == json{{"type", "disconnect"}, {"nsp", "/admin"}});
    CHECK(dec("40/,") == json{{"type", "connect"}, {"nsp", "/"}});
    CHECK(dec(R"(42/a[1],["x"])")["nsp"] == "/a[1]");  // brackets in a namespace do not count as nesting
    // Ack ids: leading zeros, the largest a JavaScript number holds exactly, an id with no data.
    CHECK(dec(R"(42007["x"])")["id"] == 7);
    CHECK(dec(R"(429007199254740991["x"])")["id"] == 9007199254740991ULL);
    CHECK(dec("401") == json{{"type", "connect"}, {"nsp", "/"}, {"id", 1}});
    // JSON may be surrounded by white space (JSON.parse allows it too).
    CHECK(dec(R"(42 ["x"] )")["data"] == json{"x"});
    CHECK(dec(R"(42["x"])")["data"] == json{"x"});
}

TEST_CASE("socketio: frames captured from socket.io 4.8.4 (docs/peers.md)", "[framing][socketio]") {
    CHECK(dec(R"(0{"sid":"86dbAdL5SEoHIinjAAAA","upgrades":[],"pingInterval":500,"pingTimeout":400,"maxPayload":1000000})") ==
          json{{"type", "open"},
               {"data",
                {{"sid", "86dbAdL5SEoHIinjAAAA"}, {"upgrades", json::array()}, {"pingInterval", 500}, {"pingTimeout", 400}, {"maxPayload", 1000000}}}});
    CHECK(dec(R"(40{"sid":"1aXaJNZ-rbwBGDoQAAAA"})") == json{{"type", "connect"}, {"nsp", "/"}, {"data", {{"sid", "1aXaJNZ-rbwBGDoQAAAA"}}}});
    CHECK(dec(R"(431[{"status":200,"room":"/nowtime"}])") ==
          json{{"type", "ack"}, {"nsp", "/"}, {"id", 1}, {"data", {{{"status", 200}, {"room", "/nowtime"}}}}});
    CHECK(dec(R"(430[{"status":200,"room":"/nowtime"}])")["id"] == 0);
    CHECK(dec(R"(431[{"status":409,"message":"Already joined","room":"/nowtime"}])")["data"][0]["status"] == 409);
    CHECK(dec(R"(42["welcome",{"status":200,"message":"Welcome","room":"/nowtime"}])") ==
          json{{"type", "event"}, {"nsp", "/"}, {"data", {"welcome", {{"status", 200}, {"message", "Welcome"}, {"room", "/nowtime"}}}}});
    const json push = dec(R"(42["nowtime",{"room":"/nowtime","time":"2026-11-30T15:53:16.347Z"}])");
    CHECK(push == json{{"type", "event"}, {"nsp", "/"}, {"data", {"nowtime", {{"room", "/nowtime"}, {"time", "2026-11-30T15:53:16.347Z"}}}}});
    CHECK(push.at(json::json_pointer("/data/1/time")) == "2026-11-30T15:53:16.347Z");  // the profile's timestamp_pointer
    CHECK(dec(R"(42["bye",{"message":"bye"}])")["data"][0] == "bye");
    CHECK(dec(R"(42["error",{"status":404,"message":"Unknown room","room":"/no-such-room"}])")["data"][1]["status"] == 404);
    CHECK(dec(R"(42["error",{"status":404,"message":"Unknown room","room":null}])")["data"][1]["room"].is_null());
    CHECK(dec("41") == json{{"type", "disconnect"}, {"nsp", "/"}});
    CHECK(dec("2") == json{{"type", "ping"}});
    CHECK(dec("3") == json{{"type", "pong"}});
}

TEST_CASE("socketio: what the transcripts send decodes, except the two frames the server rejects", "[framing][socketio]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(PUSHCHECK_SOURCE_DIR) / "tests/peers/socketio/transcripts";
    std::size_t sent = 0, rejected = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::ifstream in(entry.path());
        const json script = json::parse(in);
        for (const auto& step : script.at("steps")) {
            if (!step.contains("send")) continue;
            const std::string text = step.at("send");
            INFO(entry.path().filename().string() << ": " << text);
            ++sent;
            ParsedMessage m = sio().decode(text, false, 64);
            if (text == "42not json" || text == R"({"event":"close"})") {
                CHECK(m.kind == ParsedMessage::Kind::undecodable);
                ++rejected;
                continue;
            }
            REQUIRE(m.kind == ParsedMessage::Kind::json);
            CHECK(dec(enc(m.value())) == m.value());
        }
    }
    CHECK(sent >= 20);
    CHECK(rejected == 2);
    CHECK(problem("42not json") == prefixed(R"(the "data" of a Socket.IO "event" is not JSON)"));
    CHECK(problem(R"({"event":"close"})") == prefixed("unknown Engine.IO packet type '{'"));
}

TEST_CASE("socketio: every reason a frame does not decode", "[framing][socketio]") {
    CHECK(problem("") == prefixed("an empty text frame"));
    CHECK(problem("9") == prefixed("unknown Engine.IO packet type '9'"));
    CHECK(problem("b4AAA") == prefixed("unknown Engine.IO packet type 'b'"));  // base64 binary: polling only
    CHECK(problem("\xff") == prefixed("unknown Engine.IO packet type byte 0xff"));
    CHECK(problem(std::string("\0", 1)) == prefixed("unknown Engine.IO packet type byte 0x00"));
    // Engine.IO packets
    CHECK(problem("0") == prefixed(R"(an Engine.IO "open" needs "data": a JSON object (the handshake))"));
    CHECK(problem("0{") == prefixed(R"(the "data" of an Engine.IO "open" is not JSON)"));
    CHECK(problem("0[1]") == prefixed(R"(an Engine.IO "open" needs "data": a JSON object (the handshake), got [1])"));
    CHECK(problem("1x") == prefixed(R"(an Engine.IO "close" takes no "data")"));
    CHECK(problem("5probe") == prefixed(R"(an Engine.IO "upgrade" takes no "data")"));
    CHECK(problem("6 ") == prefixed(R"(an Engine.IO "noop" takes no "data")"));
    CHECK(problem("2\xc3") == prefixed(R"(an Engine.IO "ping" takes "data": a non-empty string, got ")" "\xef\xbf\xbd" R"(")"));
    CHECK(problem("3\xed\xa0\x80") != "DECODED");  // a UTF-16 surrogate is not UTF-8
    // The Socket.IO header
    CHECK(problem("4") == prefixed(R"(an Engine.IO "message" without a Socket.IO packet)"));
    CHECK(problem("47") == prefixed("unknown Socket.IO packet type '7'"));
    CHECK(problem("4x") == prefixed("unknown Socket.IO packet type 'x'"));
    CHECK(problem(R"(45["x"])") == prefixed(R"(a Socket.IO "binary_event" needs its attachment count and "-" after the type)"));
    CHECK(problem(R"(451["x"])") == prefixed(R"(a Socket.IO "binary_event" needs its attachment count and "-" after the type)"));
    CHECK(problem("461") == prefixed(R"(a Socket.IO "binary_ack" needs its attachment count and "-" after the type)"));
    CHECK(problem(R"(450-["x"])") == prefixed(R"(a Socket.IO "binary_event" needs an attachment count from 1 to 9007199254740991)"));
    CHECK(problem(R"(469007199254740992-[])") == prefixed(R"(a Socket.IO "binary_ack" needs an attachment count from 1 to 9007199254740991)"));
    CHECK(problem("42/\xff,[\"x\"]") == prefixed(R"(the namespace of a Socket.IO "event" is not UTF-8)"));
    CHECK(problem(R"(429007199254740992["x"])") == prefixed(R"(the ack id of a Socket.IO "event" exceeds 9007199254740991)"));
    CHECK(problem(R"(4299999999999999999999999999999["x"])") == prefixed(R"(the ack id of a Socket.IO "event" exceeds 9007199254740991)"));
    // The data, by packet type
    CHECK(problem("42") == prefixed(R"(a Socket.IO "event" needs "data": an array starting with the event name)"));
    CHECK(problem("421") == prefixed(R"(a Socket.IO "event" needs "data": an array starting with the event name)"));
    CHECK(problem(R"(42{"x":1})") == prefixed(R"(a Socket.IO "event" needs "data": an array starting with the event name, got {"x":1})"));
    CHECK(problem("42[]") == prefixed(R"(a Socket.IO "event" needs "data": an array starting with the event name, got [])"));
    CHECK(problem("42[1]") == prefixed(R"(a Socket.IO "event" needs "data": an array starting with the event name, got [1])"));
    CHECK(problem(R"(42["x")") == prefixed(R"(the "data" of a Socket.IO "event" is not JSON)"));
    CHECK(problem(R"(42["x"]["y"])") == prefixed(R"(the "data" of a Socket.IO "event" is not JSON)"));
    CHECK(problem("42,[\"x\"]") == prefixed(R"(the "data" of a Socket.IO "event" is not JSON)"));
    CHECK(problem(R"(451-{"x":1})") == prefixed(R"(a Socket.IO "binary_event" needs "data": an array starting with the event name, got {"x":1})"));
    CHECK(problem("43") == prefixed(R"(a Socket.IO "ack" needs "data": an array (the ack's arguments))"));
    CHECK(problem(R"(431{"status":200})") == prefixed(R"(a Socket.IO "ack" needs "data": an array (the ack's arguments), got {"status":200})"));
    CHECK(problem("40[]") == prefixed(R"(a Socket.IO "connect" takes "data": an object, got [])"));
    CHECK(problem(R"(40"x")") == prefixed(R"(a Socket.IO "connect" takes "data": an object, got "x")"));
    CHECK(problem("41{}") == prefixed(R"(a Socket.IO "disconnect" takes no "data")"));
    CHECK(problem("44") == prefixed(R"(a Socket.IO "connect_error" needs "data": an object or a string)"));
    CHECK(problem("44[]") == prefixed(R"(a Socket.IO "connect_error" needs "data": an object or a string, got [])"));
    // The explanation a matcher gives for such a message.
    std::string why;
    CHECK(!Pattern::compile({{"type", "event"}}, "t.json", "/m")->matches(sio().decode("9", false, 64), &why));
    CHECK(why == R"(expected an object with "type": "event", got a message that is not a Socket.IO packet (unknown Engine.IO packet type '9'): "9")");
}

TEST_CASE("socketio: previews are cut as parse_message cuts them", "[framing][socketio]") {
    const std::string text = "9" + std::string(100, 'x');
    ParsedMessage m = sio().decode(text, false, 64);
    CHECK(m.kind == ParsedMessage::Kind::undecodable);
    CHECK(m.preview == "\"9" + std::string(59, 'x') + "...\"");
    CHECK(m.size == 101);
}

TEST_CASE("socketio: binary frames and the nesting limit", "[framing][socketio]") {
    ParsedMessage b = sio().decode(R"(42["x"])", true, 64);
    CHECK(b.kind == ParsedMessage::Kind::binary);
    CHECK(b.size == 7);
    CHECK(b.value().is_null());

    const std::string deep = R"(42["x",[[[1]]]])";  // the data nests 4 deep
    CHECK(dec(deep, 4)["data"][1][0][0][0] == 1);
    ParsedMessage m = sio().decode(deep, false, 3);
    CHECK(m.kind == ParsedMessage::Kind::too_deep);
    CHECK(m.depth_limit == 3);
    CHECK(m.size == deep.size());
    CHECK(m.value().is_null());
    CHECK(sio().decode(R"(0{"a":{"b":{}}})", false, 2).kind == ParsedMessage::Kind::too_deep);
    CHECK(sio().decode(R"(0{"a":{"b":{}}})", false, 3).kind == ParsedMessage::Kind::json);
    // Only the data counts: brackets in the namespace are text.
    CHECK(dec(R"(42/[[[[[,["x"])", 1)["nsp"] == "/[[[[[");
    // Hostile nesting is refused before it is parsed, never a crash.
    const std::string hostile = "42" + std::string(100000, '[');
    CHECK(sio().decode(hostile, false, 64).kind == ParsedMessage::Kind::too_deep);
    // The header is read before the limit: a frame that is not a packet says so.
    CHECK(sio().decode("9[[[[", false, 1).kind == ParsedMessage::Kind::undecodable);
}

TEST_CASE("socketio: encoding writes the wire form", "[framing][socketio]") {
    CHECK(enc({{"type", "event"}, {"data", {"join", "/nowtime"}}}) == R"(42["join","/nowtime"])");
    CHECK(enc({{"type", "event"}, {"nsp", "/admin"}, {"data", {"join", "/nowtime"}}}) == R"(42/admin,["join","/nowtime"])");
    CHECK(enc({{"type", "event"}, {"id", 3}, {"data", {"join", "/nowtime"}}}) == R"(423["join","/nowtime"])");
    CHECK(enc({{"type", "event"}, {"nsp", "/admin"}, {"id", 3}, {"data", {"x"}}}) == R"(42/admin,3["x"])");
    CHECK(enc({{"type", "event"}, {"nsp", "/"}, {"data", {"close"}}}) == R"(42["close"])");
    CHECK(enc({{"type", "connect"}}) == "40");
    CHECK(enc({{"type", "connect"}, {"data", {{"token", "x"}}}}) == R"(40{"token":"x"})");
    CHECK(enc({{"type", "connect"}, {"nsp", "/admin"}}) == "40/admin,");
    CHECK(enc({{"type", "disconnect"}}) == "41");
    CHECK(enc({{"type", "ack"}, {"id", 0}, {"data", json::array()}}) == "430[]");
    CHECK(enc({{"type", "connect_error"}, {"data", "nope"}}) == R"(44"nope")");
    CHECK(enc({{"type", "binary_event"}, {"attachments", 1}, {"data", {"up", {{"_placeholder", true}, {"num", 0}}}}}) ==
          R"(451-["up",{"_placeholder":true,"num":0}])");
    CHECK(enc({{"type", "binary_ack"}, {"attachments", 2}, {"nsp", "/a"}, {"id", 9}, {"data", json::array()}}) == "462-/a,9[]");
    CHECK(enc({{"type", "open"}, {"data", {{"sid", "s"}}}}) == R"(0{"sid":"s"})");
    CHECK(enc({{"type", "close"}}) == "1");
    CHECK(enc({{"type", "ping"}}) == "2");
    CHECK(enc({{"type", "ping"}, {"data", "probe"}}) == "2probe");
    CHECK(enc({{"type", "pong"}}) == "3");
    CHECK(enc({{"type", "pong"}, {"data", "probe"}}) == "3probe");
    CHECK(enc({{"type", "upgrade"}}) == "5");
    CHECK(enc({{"type", "noop"}}) == "6");
    CHECK(enc({{"type", "event"}, {"id", 9007199254740991ULL}, {"data", {"x"}}}) == R"(429007199254740991["x"])");
}

TEST_CASE("socketio: every reason a value has no encoding", "[framing][socketio]") {
    CHECK(refusal(json::array({"join"})) ==
          R"(a Socket.IO packet is an object with "type", e.g. {"type":"event","data":["join","/nowtime"]}, got ["join"])");
    const std::string types =
        R"("open", "close", "ping", "pong", "upgrade", "noop", "connect", "disconnect", "event", "ack", "connect_error", "binary_event", "binary_ack")";
    CHECK(refusal({{"data", {"x"}}}) == "a Socket.IO packet needs \"type\": one of " + types + ", got none");
    CHECK(refusal({{"type", "message"}}) == "a Socket.IO packet needs \"type\": one of " + types + ", got \"message\"");
    CHECK(refusal({{"type", 2}}) == "a Socket.IO packet needs \"type\": one of " + types + ", got 2");
    CHECK(refusal({{"type", "event"}, {"event", "join"}}) ==
          R"("event" is not a key of a Socket.IO "event" (it takes "type", "nsp", "id" and "data"))");
    CHECK(refusal({{"type", "disconnect"}, {"data", {"x"}}}) ==
          R"("data" is not a key of a Socket.IO "disconnect" (it takes "type", "nsp" and "id"))");
    CHECK(refusal({{"type", "ping"}, {"nsp", "/"}}) == R"("nsp" is not a key of an Engine.IO "ping" (it takes "type" and "data"))");
    CHECK(refusal({{"type", "close"}, {"data", "x"}}) == R"("data" is not a key of an Engine.IO "close" (it takes "type"))");
    CHECK(refusal({{"type", "event"}, {"attachments", 1}, {"data", {"x"}}}) ==
          R"("attachments" is not a key of a Socket.IO "event" (it takes "type", "nsp", "id" and "data"))");
    CHECK(refusal({{"type", "event"}, {"data", {{"x", 1}}}}) ==
          R"(a Socket.IO "event" needs "data": an array starting with the event name, got {"x":1})");
    CHECK(refusal({{"type", "event"}}) == R"(a Socket.IO "event" needs "data": an array starting with the event name)");
    CHECK(refusal({{"type", "event"}, {"data", json::array()}}) ==
          R"(a Socket.IO "event" needs "data": an array starting with the event name, got [])");
    CHECK(refusal({{"type", "event"}, {"data", {1, 2}}}) ==
          R"(a Socket.IO "event" needs "data": an array starting with the event name, got [1,2])");
    CHECK(refusal({{"type", "ack"}, {"id", 1}}) == R"(a Socket.IO "ack" needs "data": an array (the ack's arguments))");
    CHECK(refusal({{"type", "connect"}, {"data", "x"}}) == R"(a Socket.IO "connect" takes "data": an object, got "x")");
    CHECK(refusal({{"type", "connect_error"}, {"data", 1}}) == R"(a Socket.IO "connect_error" needs "data": an object or a string, got 1)");
    CHECK(refusal({{"type", "open"}}) == R"(an Engine.IO "open" needs "data": a JSON object (the handshake))");
    CHECK(refusal({{"type", "ping"}, {"data", ""}}) == R"(an Engine.IO "ping" takes "data": a non-empty string, got "")");
    CHECK(refusal({{"type", "pong"}, {"data", 1}}) == R"(an Engine.IO "pong" takes "data": a non-empty string, got 1)");
    CHECK(refusal({{"type", "event"}, {"nsp", "admin"}, {"data", {"x"}}}) ==
          R"("nsp" of a Socket.IO "event" must be a namespace: a string starting with "/", without ",", got "admin")");
    CHECK(refusal({{"type", "event"}, {"nsp", "/a,b"}, {"data", {"x"}}}) ==
          R"("nsp" of a Socket.IO "event" must be a namespace: a string starting with "/", without ",", got "/a,b")");
    CHECK(refusal({{"type", "event"}, {"nsp", nullptr}, {"data", {"x"}}}) ==
          R"("nsp" of a Socket.IO "event" must be a namespace: a string starting with "/", without ",", got null)");
    for (json id : {json(-1), json(1.5), json(1.0), json("1"), json(true), json(9007199254740992ULL)})
        CHECK(refusal({{"type", "event"}, {"id", id}, {"data", {"x"}}}) ==
              R"("id" of a Socket.IO "event" must be an integer from 0 to 9007199254740991, got )" + id.dump());
    CHECK(refusal({{"type", "binary_event"}, {"data", {"x"}}}) ==
          R"(a Socket.IO "binary_event" needs "attachments": the number of binary attachments, from 1 to 9007199254740991)");
    CHECK(refusal({{"type", "binary_ack"}, {"attachments", 0}, {"data", json::array()}}) ==
          R"(a Socket.IO "binary_ack" needs "attachments": the number of binary attachments, from 1 to 9007199254740991, got 0)");
    CHECK(refusal({{"type", "event"}, {"data", {"x", std::string("\xff")}}}) == "the value holds a string that is not valid UTF-8");
    CHECK(refusal({{"type", "ping"}, {"data", std::string("\xff")}}) ==
          R"(an Engine.IO "ping" takes "data": a non-empty string, got ")" "\xef\xbf\xbd" R"(")");
}

TEST_CASE("socketio: decode(encode(v)) == v for every kind of valid value", "[framing][socketio]") {
    const std::vector<json> values = {
        {{"type", "open"}, {"data", {{"sid", "s"}, {"upgrades", json::array()}, {"pingInterval", 25000}, {"x", {1.5, -2, nullptr}}}}},
        {{"type", "close"}},
        {{"type", "ping"}},
        {{"type", "ping"}, {"data", "probe"}},
        {{"type", "ping"}, {"data", "4[\"x\"] \xc3\xa9"}},
        {{"type", "pong"}},
        {{"type", "pong"}, {"data", "probe"}},
        {{"type", "upgrade"}},
        {{"type", "noop"}},
        {{"type", "connect"}, {"nsp", "/"}},
        {{"type", "connect"}, {"nsp", "/admin"}, {"data", {{"token", "x"}}}},
        {{"type", "connect"}, {"nsp", "/"}, {"id", 4}},
        {{"type", "disconnect"}, {"nsp", "/"}},
        {{"type", "disconnect"}, {"nsp", "/x/y"}, {"id", 0}},
        {{"type", "event"}, {"nsp", "/"}, {"data", {"join", "/nowtime"}}},
        {{"type", "event"}, {"nsp", "/1"}, {"id", 12}, {"data", {"a", {{"b", {1, 2.25, "\u00e9\n"}}}}}},
        {{"type", "event"}, {"nsp", "/"}, {"id", 9007199254740991ULL}, {"data", {""}}},
        {{"type", "ack"}, {"nsp", "/"}, {"data", json::array()}},
        {{"type", "ack"}, {"nsp", "/"}, {"id", 0}, {"data", {{{"status", 200}}}}},
        {{"type", "connect_error"}, {"nsp", "/"}, {"data", "nope"}},
        {{"type", "connect_error"}, {"nsp", "/admin"}, {"data", {{"message", "Invalid namespace"}}}},
        {{"type", "binary_event"}, {"nsp", "/"}, {"attachments", 1}, {"data", {"up", {{"_placeholder", true}, {"num", 0}}}}},
        {{"type", "binary_ack"}, {"nsp", "/b"}, {"attachments", 3}, {"id", 2}, {"data", json::array()}},
    };
    for (const auto& v : values) {
        INFO(v.dump());
        CHECK(dec(enc(v)) == v);
    }
    // "nsp" may be left out when encoding; decoding always says it.
    json no_nsp = {{"type", "event"}, {"data", {"x"}}};
    json with_nsp = no_nsp;
    with_nsp["nsp"] = "/";
    CHECK(dec(enc(no_nsp)) == with_nsp);
    // Canonical frames come back byte for byte.
    for (std::string text : {"40", "41", "2", "3", "2probe", "1", "5", "6", R"(42["join","/nowtime"])", R"(421["join","/nowtime"])",
                             R"(42/admin,3["x"])", "430[]", R"(44"x")", R"(451-["x",{"_placeholder":true,"num":0}])"})
        CHECK(enc(dec(text)) == text);
}
