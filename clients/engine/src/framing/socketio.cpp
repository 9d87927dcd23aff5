// The "socketio" framing: Socket.IO 4.x on its WebSocket transport. Each text frame is one
// Engine.IO (protocol 4) packet; a "4" (message) packet carries one Socket.IO (protocol 5)
// packet. Decoded to {"type", "nsp", "id", "attachments", "data"} as docs/profiles.md
// ("Framing: socketio") describes. The checks follow socket.io-parser 4.x (decodeString,
// isPayloadValid), without its JavaScript number quirks, and also refuse an event, ack or
// connect_error without data (socket.io never writes one: an event has its name, an ack its
// array, and the official client fails on a connect_error without its object). Written here
// because Debian packages no Socket.IO parser for C++.
#include "framing/framings.hpp"
#include "matchers/preview.hpp"

#include <array>
#include <cstdint>

namespace pushcheck::engine::framing {

namespace {

using json = nlohmann::json;

// 2^53 - 1: the largest integer a JavaScript peer holds exactly (ack ids, attachment counts).
constexpr std::uint64_t kMaxInteger = 9007199254740991ULL;
constexpr const char* kMaxIntegerText = "9007199254740991";

// What a packet's "data" may be: one rule per packet type, applied alike by decode and encode.
enum class Data : std::uint8_t {
    none,           // close, upgrade, noop, disconnect
    text,           // ping, pong: optional; the raw text after the type ("probe")
    handshake,      // open: a JSON object
    connect,        // optional JSON object
    event,          // a JSON array starting with the event name
    ack,            // a JSON array
    connect_error,  // a JSON object or string
};

struct PacketType {
    std::string_view name;
    char engine;  // the Engine.IO type digit
    char socket;  // the Socket.IO type digit after the Engine.IO '4'; 0 for Engine.IO packets
    Data data;
    bool socket_io() const { return socket != 0; }
    bool binary() const { return socket == '5' || socket == '6'; }
};

constexpr std::array<PacketType, 13> kTypes{{
    {"open", '0', 0, Data::handshake},
    {"close", '1', 0, Data::none},
    {"ping", '2', 0, Data::text},
    {"pong", '3', 0, Data::text},
    {"upgrade", '5', 0, Data::none},
    {"noop", '6', 0, Data::none},
    {"connect", '4', '0', Data::connect},
    {"disconnect", '4', '1', Data::none},
    {"event", '4', '2', Data::event},
    {"ack", '4', '3', Data::ack},
    {"connect_error", '4', '4', Data::connect_error},
    {"binary_event", '4', '5', Data::event},
    {"binary_ack", '4', '6', Data::ack},
}};

const PacketType* engine_type(char c) {
    for (const auto& t : kTypes)
        if (!t.socket_io() && t.engine == c) return &t;
    return nullptr;
}

const PacketType* socket_type(char c) {
    for (const auto& t : kTypes)
        if (t.socket_io() && t.socket == c) return &t;
    return nullptr;
}

const PacketType* named(std::string_view name) {
    for (const auto& t : kTypes)
        if (t.name == name) return &t;
    return nullptr;
}

const std::string& type_names() {
    static const std::string names = [] {
        std::string s;
        for (const auto& t : kTypes) s += (s.empty() ? "\"" : ", \"") + std::string(t.name) + "\"";
        return s;
    }();
    return names;
}

// `a Socket.IO "event"`, `an Engine.IO "ping"`: how messages name a packet type.
std::string title(const PacketType& t) {
    return (t.socket_io() ? "a Socket.IO \"" : "an Engine.IO \"") + std::string(t.name) + "\"";
}

// A type character for messages: '9', or byte 0xff when it is not printable ASCII.
std::string shown(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;  // continuation bytes
        std::uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1fu;
        else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0fu;
        else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07u;
        else return false;
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0u) != 0x80u) return false;
            cp = (cp << 6) | (d & 0x3fu);
        }
        if (n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;  // overlong, surrogate
        if (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) return false;
        i += n + 1;
    }
    return true;
}

// The digits at `i` (at least one), moving `i` past them; false when the number exceeds
// kMaxInteger (all its digits are still consumed, so a long run costs linear time).
bool read_integer(std::string_view s, std::size_t& i, std::uint64_t& out) {
    out = 0;
    bool fits = true;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (fits) out = out * 10 + static_cast<std::uint64_t>(s[i] - '0');
        if (out > kMaxInteger) fits = false;
    }
    return fits;
}

// `v` as an integer from `lo` to kMaxInteger, or nullopt (floats and booleans included).
std::optional<std::uint64_t> small_integer(const json& v, std::uint64_t lo) {
    std::uint64_t x = 0;
    if (v.is_number_unsigned()) x = v.get<std::uint64_t>();
    else if (v.is_number_integer() && v.get<std::int64_t>() >= 0) x = static_cast<std::uint64_t>(v.get<std::int64_t>());
    else return std::nullopt;
    if (x < lo || x > kMaxInteger) return std::nullopt;
    return x;
}

bool data_required(Data d) {
    return d == Data::handshake || d == Data::event || d == Data::ack || d == Data::connect_error;
}

// What "data" of a kind must be, in words.
const char* wanted(Data d) {
    switch (d) {
    case Data::none: return "nothing";
    case Data::text: return "a non-empty string";
    case Data::handshake: return "a JSON object (the handshake)";
    case Data::connect: return "an object";
    case Data::event: return "an array starting with the event name";
    case Data::ack: return "an array (the ack's arguments)";
    case Data::connect_error: return "an object or a string";
    }
    return "nothing";
}

bool fits(Data d, const json& v) {
    switch (d) {
    case Data::none: return false;
    case Data::text: return v.is_string() && !v.get_ref<const std::string&>().empty() && valid_utf8(v.get_ref<const std::string&>());
    case Data::handshake:
    case Data::connect: return v.is_object();
    case Data::event: return v.is_array() && !v.empty() && v.front().is_string();
    case Data::ack: return v.is_array();
    case Data::connect_error: return v.is_object() || v.is_string();
    }
    return false;
}

// Why `data` (nullptr: none) cannot be the "data" of a packet of type `t`; empty when it can.
std::string data_problem(const PacketType& t, const json* data) {
    if (t.data == Data::none) return data ? title(t) + " takes no \"data\"" : std::string();
    if (!data) return data_required(t.data) ? title(t) + " needs \"data\": " + wanted(t.data) : std::string();
    if (fits(t.data, *data)) return {};
    return title(t) + (data_required(t.data) ? " needs \"data\": " : " takes \"data\": ") + wanted(t.data) + ", got " +
           show_json(*data, 60);
}

// One text frame to its decoded value; on failure either too_deep or `problem` says why.
struct Decoder {
    std::string_view text;
    int max_depth;
    json value;
    std::string problem;
    bool too_deep = false;

    bool fail(std::string why) {
        problem = std::move(why);
        return false;
    }

    bool run() {
        if (text.empty()) return fail("an empty text frame");
        if (text[0] == '4') return socket_packet();
        const PacketType* t = engine_type(text[0]);
        if (!t) return fail("unknown Engine.IO packet type " + shown(text[0]));
        value = {{"type", t->name}};
        return data(*t, text.substr(1));
    }

    // text[0] is '4': [type digit][attachments "-"][namespace ","][ack id][JSON data]
    bool socket_packet() {
        if (text.size() < 2) return fail("an Engine.IO \"message\" without a Socket.IO packet");
        const PacketType* t = socket_type(text[1]);
        if (!t) return fail("unknown Socket.IO packet type " + shown(text[1]));
        value = {{"type", t->name}};
        std::size_t i = 2;
        std::uint64_t n = 0;
        if (t->binary()) {
            const std::size_t start = i;
            const bool fits = read_integer(text, i, n);
            if (i == start || i == text.size() || text[i] != '-')
                return fail(title(*t) + " needs its attachment count and \"-\" after the type");
            if (!fits || n < 1) return fail(title(*t) + " needs an attachment count from 1 to " + kMaxIntegerText);
            ++i;
            value["attachments"] = n;
        }
        std::string_view nsp = "/";
        if (i < text.size() && text[i] == '/') {  // up to ',' or the end, as socket.io-parser reads it
            const std::size_t comma = text.find(',', i);
            nsp = text.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
            i = comma == std::string_view::npos ? text.size() : comma + 1;
            if (!valid_utf8(nsp)) return fail("the namespace of " + title(*t) + " is not UTF-8");
        }
        value["nsp"] = nsp;
        if (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (!read_integer(text, i, n)) return fail("the ack id of " + title(*t) + " exceeds " + kMaxIntegerText);
            value["id"] = n;
        }
        return data(*t, text.substr(i));
    }

    // What follows the header: nothing, raw text (ping, pong) or JSON.
    bool data(const PacketType& t, std::string_view rest) {
        if (rest.empty()) {
            std::string why = data_problem(t, nullptr);
            return why.empty() || fail(std::move(why));
        }
        json v;
        if (t.data == Data::none || t.data == Data::text) {
            v = std::string(rest);
        } else {
            if (json_nesting_depth(rest, max_depth) > max_depth) {
                too_deep = true;
                return false;
            }
            v = json::parse(rest, nullptr, false);
            if (v.is_discarded()) return fail("the \"data\" of " + title(t) + " is not JSON");
        }
        if (std::string why = data_problem(t, &v); !why.empty()) return fail(std::move(why));
        value["data"] = std::move(v);
        return true;
    }
};

// The keys a packet of type `t` takes, for messages: "type", "nsp", "id" and "data".
std::string keys(const PacketType& t) {
    std::vector<const char*> k{"\"type\""};
    if (t.socket_io()) k.insert(k.end(), {"\"nsp\"", "\"id\""});
    if (t.binary()) k.push_back("\"attachments\"");
    if (t.data != Data::none) k.push_back("\"data\"");
    std::string s = k[0];
    for (std::size_t i = 1; i < k.size(); ++i) s += std::string(i + 1 == k.size() ? " and " : ", ") + k[i];
    return s;
}

bool takes(const PacketType& t, const std::string& key) {
    if (key == "type") return true;
    if (key == "data") return t.data != Data::none;
    if (key == "nsp" || key == "id") return t.socket_io();
    return key == "attachments" && t.binary();
}

class SocketIoFraming final : public Framing {
public:
    const char* name() const override { return "socketio"; }

    ParsedMessage decode(std::string_view data, bool binary, int max_depth) const override {
        ParsedMessage m;
        m.size = data.size();
        if (binary) {
            m.kind = ParsedMessage::Kind::binary;
            return m;
        }
        Decoder d{data, max_depth, {}, {}};
        if (d.run()) {
            m.kind = ParsedMessage::Kind::json;
            m.set_value(std::move(d.value));
        } else if (d.too_deep) {
            m.kind = ParsedMessage::Kind::too_deep;
            m.depth_limit = max_depth;
        } else {
            m.kind = ParsedMessage::Kind::undecodable;
            m.problem = "not a Socket.IO packet (" + d.problem + ")";
            m.preview = text_preview(data);
        }
        return m;
    }

    std::optional<std::string> encode(const json& v, std::string* why) const override {
        auto fail = [why](std::string s) -> std::optional<std::string> {
            if (why) *why = std::move(s);
            return std::nullopt;
        };
        if (!v.is_object())
            return fail("a Socket.IO packet is an object with \"type\", e.g. {\"type\":\"event\",\"data\":[\"join\",\"/nowtime\"]}, got " +
                        show_json(v, 60));
        const auto type = v.find("type");
        const PacketType* t = type != v.end() && type->is_string() ? named(type->get_ref<const std::string&>()) : nullptr;
        if (!t)
            return fail("a Socket.IO packet needs \"type\": one of " + type_names() + ", got " +
                        (type == v.end() ? "none" : show_json(*type, 60)));
        for (const auto& item : v.items())
            if (!takes(*t, item.key()))
                return fail(show_json(json(item.key()), 60) + " is not a key of " + title(*t) + " (it takes " + keys(*t) + ")");

        std::string out(1, t->engine);
        if (t->socket_io()) {
            out += t->socket;
            if (t->binary()) {
                const auto a = v.find("attachments");
                const auto n = a == v.end() ? std::nullopt : small_integer(*a, 1);
                if (!n)
                    return fail(title(*t) + " needs \"attachments\": the number of binary attachments, from 1 to " + kMaxIntegerText +
                                (a == v.end() ? "" : ", got " + show_json(*a, 60)));
                out += std::to_string(*n) + '-';
            }
            if (const auto nsp = v.find("nsp"); nsp != v.end()) {
                const std::string* s = nsp->is_string() ? &nsp->get_ref<const std::string&>() : nullptr;
                if (!s || s->empty() || s->front() != '/' || s->find(',') != std::string::npos || !valid_utf8(*s))
                    return fail("\"nsp\" of " + title(*t) + " must be a namespace: a string starting with \"/\", without \",\", got " +
                                show_json(*nsp, 60));
                if (*s != "/") out += *s + ',';
            }
            if (const auto id = v.find("id"); id != v.end()) {
                const auto n = small_integer(*id, 0);
                if (!n)
                    return fail("\"id\" of " + title(*t) + " must be an integer from 0 to " + kMaxIntegerText + ", got " +
                                show_json(*id, 60));
                out += std::to_string(*n);
            }
        }
        const auto data = v.find("data");
        if (std::string problem = data_problem(*t, data == v.end() ? nullptr : &*data); !problem.empty()) return fail(problem);
        if (data == v.end()) return out;
        if (t->data == Data::text) return out + data->get_ref<const std::string&>();
        auto text = dump_checked(*data, why);
        if (!text) return std::nullopt;
        return out + *text;
    }

    bool transforms() const override { return true; }
};

} // namespace

FramingPtr make_socketio() {
    static const FramingPtr instance = std::make_shared<const SocketIoFraming>();
    return instance;
}

} // namespace pushcheck::engine::framing
