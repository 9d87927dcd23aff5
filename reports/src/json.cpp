// The results document: write_json and its inverse read_json (reports/results.schema.json).
#include "pushcheck/engine/error.hpp"
#include "pushcheck/reports/escape.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <istream>
#include <iterator>
#include <memory>
#include <ostream>

namespace pushcheck::reports {

namespace {
/// The top-level members `pushcheck load` adds (objects; see results.schema.json).
constexpr const char* kLoadKeys[] = {"clients", "connections", "messages", "latency_us", "connect_us",
                                     "welcome_us", "disconnects", "harness", "load"};
} // namespace

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using namespace engine;

constexpr int kMaxDepth = 64;  // deeper input is rejected before it is copied recursively

// ---------------------------------------------------------------- base64 (lossless payloads)

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        for (int k = 18; k >= 0; k -= 6) out += kB64[(v >> k) & 63];
    }
    if (std::size_t rest = in.size() - i) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

bool base64_decode(std::string_view in, std::string& out) {
    if (in.size() % 4) return false;
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    out.clear();
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int pad = 0;
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = in[i + k];
            int d = 0;
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                ++pad;
            } else {
                if (pad) return false;  // data after padding
                d = val(c);
                if (d < 0) return false;
            }
            v = (v << 6) | static_cast<unsigned>(d);
        }
        out += static_cast<char>((v >> 16) & 0xFF);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(v & 0xFF);
    }
    return true;
}

// ---------------------------------------------------------------- writer

ordered_json latency_json(const Histogram& h) {
    auto p = detail::percentiles(h);
    auto ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
    ordered_json pct = {{"count", p.count},       {"min_ms", ms(p.min)}, {"p50_ms", ms(p.p50)}, {"p90_ms", ms(p.p90)},
                        {"p99_ms", ms(p.p99)},    {"max_ms", ms(p.max)}, {"mean_ms", p.mean / 1000.0}};
    return {{"percentiles", pct}, {"histogram", ordered_json(h.to_json())}};
}

ordered_json event_json(const Event& e, bool with_seq) {
    ordered_json j;
    if (with_seq) j["seq"] = e.seq;  // only in a partial transcript: where the event stood
    j["kind"] = to_string(e.kind);
    j["client"] = e.client;
    j["connection"] = e.connection;
    j["t_us"] = e.t_us;
    j["wall_us"] = e.wall_us;
    j["binary"] = e.binary;
    // Payloads that are not UTF-8 go as base64 so a hostile server's bytes survive exactly.
    if (is_valid_utf8(e.data)) j["data"] = e.data;
    else j["data_base64"] = base64_encode(e.data);
    j["size"] = e.size;
    j["close_code"] = e.close_code;
    j["clean"] = e.clean;
    j["by_peer"] = e.by_peer;
    j["http_status"] = e.http_status;
    if (e.handshake) {
        const Handshake& h = *e.handshake;
        ordered_json headers = ordered_json::array();
        for (const auto& [name, value] : h.headers) headers.push_back(ordered_json::array({name, value}));
        j["handshake"] = {{"url", h.url},
                          {"status", h.status},
                          {"reason", h.reason},
                          {"headers", std::move(headers)},
                          {"subprotocol", h.subprotocol}};
    }
    if (e.flood) j["flood"] = {{"count", e.count}, {"duration_us", e.duration_us}};
    if (!e.decoded.empty()) {  // the value the profile's framing decoded from data
        ordered_json d = ordered_json::parse(e.decoded, nullptr, false);
        if (!d.is_discarded()) j["decoded"] = std::move(d);
    }
    if (e.handling != Handling::none) j["handling"] = to_string(e.handling);
    return j;
}

ordered_json scenario_json(const ScenarioResult& s) {
    ordered_json j;
    j["id"] = s.id;
    j["group"] = s.group;
    j["title"] = s.title;
    j["description"] = s.description;
    j["file"] = s.file;
    j["level"] = to_string(s.level);
    j["driver"] = s.driver;
    j["verdict"] = to_string(s.verdict);
    j["reason"] = s.reason;
    j["started_ms"] = s.started_ms;
    j["duration_ms"] = s.duration_ms;
    j["measurements"] = ordered_json(s.measurements);
    ordered_json findings = ordered_json::array();
    for (const auto& f : s.findings) {
        ordered_json fj;
        fj["kind"] = f.kind;
        fj["name"] = f.name;
        fj["where"] = f.where;
        fj["level"] = to_string(f.level);
        fj["verdict"] = to_string(f.verdict);
        fj["reason"] = f.reason;
        fj["evidence"] = f.evidence;
        fj["measurements"] = ordered_json(f.measurements);
        if (f.definition.is_object()) fj["definition"] = ordered_json(f.definition);  // read_json wants an object
        findings.push_back(std::move(fj));
    }
    j["findings"] = std::move(findings);
    j["latency"] = latency_json(s.latency);
    ordered_json series = ordered_json::array();
    for (const auto& se : s.series)
        series.push_back({{"name", se.name},
                          {"unit", se.unit},
                          {"nominal", se.nominal},
                          {"tolerance", se.tolerance},
                          {"values", se.values}});
    j["series"] = std::move(series);
    ordered_json events = ordered_json::array();
    const bool partial = s.transcript.partial();
    for (const auto& e : s.transcript.events) events.push_back(event_json(e, partial));
    if (partial) j["events_recorded"] = s.transcript.recorded;
    j["transcript"] = std::move(events);
    return j;
}

/// Indented JSON, but an array of scalars stays on one line ([133, 1], evidence, series values),
/// and so does each event of a transcript (a 10,000-client run keeps its document to a few MB).
void pretty(const ordered_json& j, int indent, std::string& out) {
    auto scalar = [](const ordered_json& x) { return !x.is_object() && !x.is_array(); };
    auto dump = [](const ordered_json& x) { return x.dump(-1, ' ', false, json::error_handler_t::replace); };
    const std::string pad(static_cast<std::size_t>(indent) + 2, ' ');
    if (j.is_object() && !j.empty()) {
        out += "{\n";
        bool first = true;
        for (auto it = j.begin(); it != j.end(); ++it) {
            out += first ? "" : ",\n";
            first = false;
            out += pad + dump(ordered_json(it.key())) + ": ";
            if (it.key() == "transcript" && it.value().is_array() && !it.value().empty()) {
                const std::string inner(static_cast<std::size_t>(indent) + 4, ' ');
                out += "[\n";
                for (std::size_t i = 0; i < it.value().size(); ++i) out += (i ? ",\n" : "") + inner + dump(it.value()[i]);
                out += "\n" + pad + "]";
                continue;
            }
            pretty(it.value(), indent + 2, out);
        }
        out += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + "}";
    } else if (j.is_array() && !j.empty() && !std::all_of(j.begin(), j.end(), scalar)) {
        out += "[\n";
        for (std::size_t i = 0; i < j.size(); ++i) {
            out += i ? ",\n" + pad : pad;
            pretty(j[i], indent + 2, out);
        }
        out += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + "]";
    } else if (j.is_array() && !j.empty()) {
        out += "[";
        for (std::size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + dump(j[i]);
        out += "]";
    } else {
        out += dump(j);
    }
}

// ---------------------------------------------------------------- reader

/// Reads one document, throwing ConfigError(file, JSON pointer, problem) on the first problem.
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& ptr, const std::string& problem) const {
        throw ConfigError(file_, ptr.empty() ? "/" : ptr, problem);
    }

    static std::string type_name(const json& j) {
        if (j.is_number_integer()) return "an integer";
        if (j.is_number()) return "a number";
        if (j.is_string()) return "a string";
        if (j.is_boolean()) return "a boolean";
        if (j.is_null()) return "null";
        if (j.is_array()) return "an array";
        return "an object";
    }
    static std::string key_ptr(const std::string& ptr, std::string_view key) {
        std::string k;
        for (char c : key) k += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
        return ptr + "/" + k;
    }

    const json& object(const json& j, const std::string& ptr) const {
        if (!j.is_object()) fail(ptr, "expected an object, got " + type_name(j));
        return j;
    }
    const json& array(const json& j, const std::string& ptr) const {
        if (!j.is_array()) fail(ptr, "expected an array, got " + type_name(j));
        return j;
    }
    // A member that must be present.
    const json& req(const json& obj, const std::string& ptr, const char* key) const {
        auto it = obj.find(key);
        if (it == obj.end()) fail(ptr, std::string("missing required member \"") + key + "\"");
        return *it;
    }
    const json* opt(const json& obj, const char* key) const {
        auto it = obj.find(key);
        return it == obj.end() ? nullptr : &*it;
    }

    std::string str(const json& obj, const std::string& ptr, const char* key, bool required = false) const {
        const json* v = required ? &req(obj, ptr, key) : opt(obj, key);
        if (!v) return {};
        if (!v->is_string()) fail(key_ptr(ptr, key), "expected a string, got " + type_name(*v));
        return v->get<std::string>();
    }
    double num(const json& obj, const std::string& ptr, const char* key, bool required = false) const {
        const json* v = required ? &req(obj, ptr, key) : opt(obj, key);
        if (!v) return 0;
        if (!v->is_number()) fail(key_ptr(ptr, key), "expected a number, got " + type_name(*v));
        return v->get<double>();
    }
    std::int64_t integer(const json& obj, const std::string& ptr, const char* key, std::int64_t lo,
                         std::int64_t hi) const {
        const json* v = opt(obj, key);
        if (!v) return 0;
        if (!v->is_number_integer()) fail(key_ptr(ptr, key), "expected an integer, got " + type_name(*v));
        if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
            fail(key_ptr(ptr, key), "out of range");
        auto x = v->get<std::int64_t>();
        if (x < lo || x > hi) fail(key_ptr(ptr, key), "out of range");
        return x;
    }
    bool boolean(const json& obj, const std::string& ptr, const char* key) const {
        const json* v = opt(obj, key);
        if (!v) return false;
        if (!v->is_boolean()) fail(key_ptr(ptr, key), "expected true or false, got " + type_name(*v));
        return v->get<bool>();
    }
    json obj_member(const json& obj, const std::string& ptr, const char* key) const {
        const json* v = opt(obj, key);
        if (!v) return json::object();
        return object(*v, key_ptr(ptr, key));
    }

    std::vector<std::string> strings(const json& obj, const std::string& ptr, const char* key) const {
        std::vector<std::string> out;
        const json* d = opt(obj, key);
        if (!d) return out;
        const std::string dp = key_ptr(ptr, key);
        array(*d, dp);
        for (std::size_t i = 0; i < d->size(); ++i) {
            if (!(*d)[i].is_string()) fail(dp + "/" + std::to_string(i), "expected a string, got " + type_name((*d)[i]));
            out.push_back((*d)[i].get<std::string>());
        }
        return out;
    }

    Level level(const json& obj, const std::string& ptr, bool required) const {
        if (!required && !opt(obj, "level")) return Level::must;
        auto s = str(obj, ptr, "level", true);
        auto l = level_from_string(s);
        if (!l) fail(key_ptr(ptr, "level"), "expected one of must, should, may, got \"" + s + "\"");
        return *l;
    }
    Verdict verdict(const json& obj, const std::string& ptr, bool required) const {
        if (!required && !opt(obj, "verdict")) return Verdict::pass;
        auto s = str(obj, ptr, "verdict", true);
        auto v = verdict_from_string(s);
        if (!v)
            fail(key_ptr(ptr, "verdict"),
                 "expected one of pass, fail, non_strict, informational, harness_error, not_applicable, got \"" + s + "\"");
        return *v;
    }

    Histogram latency(const json& obj, const std::string& ptr) const {
        const json* l = opt(obj, "latency");
        if (!l) return {};
        std::string lp = key_ptr(ptr, "latency");
        object(*l, lp);
        const json* h = opt(*l, "histogram");
        if (!h) return {};
        std::string hp = key_ptr(lp, "histogram");
        // Bucket indices beyond what an int64 value can reach would overflow the bucket bounds.
        static const std::int64_t max_index = Histogram::bucket_index(INT64_MAX);
        if (const json* b = h->is_object() ? opt(*h, "buckets") : nullptr; b && b->is_array())
            for (std::size_t i = 0; i < b->size(); ++i) {
                const json& e = (*b)[i];
                if (e.is_array() && !e.empty() && e[0].is_number_integer() &&
                    (e[0].is_number_unsigned() ? e[0].get<std::uint64_t>() > static_cast<std::uint64_t>(max_index)
                                               : e[0].get<std::int64_t>() > max_index))
                    fail(hp + "/buckets/" + std::to_string(i), "bucket index out of range (at most " +
                                                                   std::to_string(max_index) + ")");
            }
        if (h->is_object() && h->contains("min") && h->contains("max") && (*h)["min"].is_number_integer() &&
            (*h)["max"].is_number_integer() && (*h)["min"].get<std::int64_t>() > (*h)["max"].get<std::int64_t>())
            fail(hp + "/min", "greater than /max");
        try {
            return Histogram::from_json(*h);
        } catch (const std::invalid_argument& e) {
            // The histogram's own messages start with the pointer inside it ("/buckets/3: ...").
            std::string what = e.what();
            if (!what.empty() && what[0] == '/') {
                auto colon = what.find(": ");
                if (colon != std::string::npos) fail(hp + what.substr(0, colon), what.substr(colon + 2));
            }
            fail(hp, what);
        } catch (const json::exception& e) {
            fail(hp, std::string("malformed histogram: ") + e.what());
        }
    }

    Event event(const json& j, const std::string& ptr) const {
        object(j, ptr);
        Event e;
        auto kind = str(j, ptr, "kind", true);
        bool known = false;
        for (auto k : {EventKind::connected, EventKind::connect_failed, EventKind::sent, EventKind::received,
                       EventKind::pong, EventKind::closed, EventKind::error})
            if (kind == to_string(k)) {
                e.kind = k;
                known = true;
            }
        if (!known)
            fail(key_ptr(ptr, "kind"),
                 "expected one of connected, connect_failed, sent, received, pong, closed, error, got \"" + kind + "\"");
        e.client = str(j, ptr, "client");
        e.connection = static_cast<int>(integer(j, ptr, "connection", 0, INT32_MAX));
        e.t_us = integer(j, ptr, "t_us", INT64_MIN, INT64_MAX);
        e.wall_us = integer(j, ptr, "wall_us", INT64_MIN, INT64_MAX);
        e.binary = boolean(j, ptr, "binary");
        if (opt(j, "data") && opt(j, "data_base64")) fail(ptr, "both \"data\" and \"data_base64\"");
        if (opt(j, "data_base64")) {
            if (!base64_decode(str(j, ptr, "data_base64"), e.data))
                fail(key_ptr(ptr, "data_base64"), "not valid base64");
        } else {
            e.data = str(j, ptr, "data");
        }
        e.size = static_cast<std::size_t>(integer(j, ptr, "size", 0, INT64_MAX));
        e.close_code = static_cast<int>(integer(j, ptr, "close_code", 0, 65535));
        e.clean = boolean(j, ptr, "clean");
        e.by_peer = boolean(j, ptr, "by_peer");
        e.http_status = static_cast<int>(integer(j, ptr, "http_status", 0, 999));
        if (const json* h = opt(j, "handshake")) e.handshake = handshake(*h, key_ptr(ptr, "handshake"));
        if (const json* f = opt(j, "flood")) {
            const std::string fp = key_ptr(ptr, "flood");
            object(*f, fp);
            e.flood = true;
            e.count = static_cast<std::uint64_t>(integer(*f, fp, "count", 0, INT64_MAX));
            e.duration_us = integer(*f, fp, "duration_us", 0, INT64_MAX);
        }
        if (const json* d = opt(j, "decoded")) e.decoded = d->dump();
        if (opt(j, "handling")) {
            const std::string h = str(j, ptr, "handling");
            if (h == "ignored") e.handling = Handling::ignored;
            else if (h == "auto_replied") e.handling = Handling::auto_replied;
            else if (h == "profile_steps") e.handling = Handling::profile_steps;
            else fail(key_ptr(ptr, "handling"), "expected \"ignored\", \"auto_replied\" or \"profile_steps\", got \"" + h + "\"");
        }
        return e;
    }

    std::shared_ptr<const Handshake> handshake(const json& j, const std::string& ptr) const {
        object(j, ptr);
        auto h = std::make_shared<Handshake>();
        h->url = str(j, ptr, "url");
        h->status = static_cast<int>(integer(j, ptr, "status", 0, 999));
        h->reason = str(j, ptr, "reason");
        h->subprotocol = str(j, ptr, "subprotocol");
        if (const json* hs = opt(j, "headers")) {
            std::string hp = key_ptr(ptr, "headers");
            array(*hs, hp);
            for (std::size_t i = 0; i < hs->size(); ++i) {
                const json& x = (*hs)[i];
                if (!x.is_array() || x.size() != 2 || !x[0].is_string() || !x[1].is_string())
                    fail(hp + "/" + std::to_string(i), "expected [name, value] (two strings)");
                h->headers.emplace_back(x[0].get<std::string>(), x[1].get<std::string>());
            }
        }
        return h;
    }

    Finding finding(const json& j, const std::string& ptr, std::size_t n_events) const {
        object(j, ptr);
        Finding f;
        f.kind = str(j, ptr, "kind");
        f.name = str(j, ptr, "name");
        f.where = str(j, ptr, "where");
        f.level = level(j, ptr, false);
        f.verdict = verdict(j, ptr, false);
        f.reason = str(j, ptr, "reason");
        if (const json* ev = opt(j, "evidence")) {
            std::string ep = key_ptr(ptr, "evidence");
            array(*ev, ep);
            for (std::size_t i = 0; i < ev->size(); ++i) {
                const json& x = (*ev)[i];
                std::string xp = ep + "/" + std::to_string(i);
                if (!x.is_number_unsigned()) fail(xp, "expected a transcript index, got " + type_name(x));
                if (x.get<std::uint64_t>() >= n_events)
                    fail(xp, "index " + std::to_string(x.get<std::uint64_t>()) + " is past the transcript's " +
                                 std::to_string(n_events) + " events");
                f.evidence.push_back(x.get<std::size_t>());
            }
        }
        f.measurements = obj_member(j, ptr, "measurements");
        if (const json* d = opt(j, "definition")) f.definition = object(*d, key_ptr(ptr, "definition"));
        return f;
    }

    ScenarioResult scenario(const json& j, const std::string& ptr) const {
        object(j, ptr);
        ScenarioResult s;
        s.id = str(j, ptr, "id", true);
        if (s.id.empty()) fail(key_ptr(ptr, "id"), "must not be empty");
        s.group = str(j, ptr, "group");
        s.title = str(j, ptr, "title");
        s.description = str(j, ptr, "description");
        s.file = str(j, ptr, "file");
        s.level = level(j, ptr, true);
        s.driver = str(j, ptr, "driver", true);
        s.verdict = verdict(j, ptr, true);
        s.reason = str(j, ptr, "reason", true);
        s.started_ms = num(j, ptr, "started_ms");  // absent before it existed: 0
        s.duration_ms = num(j, ptr, "duration_ms", true);
        s.measurements = obj_member(j, ptr, "measurements");
        if (const json* t = opt(j, "transcript")) {
            std::string tp = key_ptr(ptr, "transcript");
            array(*t, tp);
            for (std::size_t i = 0; i < t->size(); ++i) {
                const std::string ep = tp + "/" + std::to_string(i);
                Event e = event((*t)[i], ep);
                e.seq = opt((*t)[i], "seq") ? static_cast<std::size_t>(integer((*t)[i], ep, "seq", 0, INT64_MAX)) : i;
                if (i > 0 && e.seq <= s.transcript.events.back().seq)
                    fail(key_ptr(ep, "seq"), "expected a number above the previous event's seq " +
                                                 std::to_string(s.transcript.events.back().seq));
                s.transcript.events.push_back(std::move(e));
            }
        }
        s.transcript.recorded = s.transcript.events.size();
        if (opt(j, "events_recorded")) {
            s.transcript.recorded = static_cast<std::size_t>(integer(j, ptr, "events_recorded", 0, INT64_MAX));
            const std::size_t least = s.transcript.events.empty() ? 0 : s.transcript.events.back().seq + 1;
            if (s.transcript.recorded < least)
                fail(key_ptr(ptr, "events_recorded"), "expected at least " + std::to_string(least) +
                                                         " (the last event's seq + 1), got " + std::to_string(s.transcript.recorded));
        }
        if (const json* fs = opt(j, "findings")) {
            std::string fp = key_ptr(ptr, "findings");
            array(*fs, fp);
            for (std::size_t i = 0; i < fs->size(); ++i)
                s.findings.push_back(finding((*fs)[i], fp + "/" + std::to_string(i), s.transcript.events.size()));
        }
        s.latency = latency(j, ptr);
        if (const json* ss = opt(j, "series")) {
            std::string sp = key_ptr(ptr, "series");
            array(*ss, sp);
            for (std::size_t i = 0; i < ss->size(); ++i) {
                std::string p = sp + "/" + std::to_string(i);
                const json& x = object((*ss)[i], p);
                Series se;
                se.name = str(x, p, "name");
                se.unit = str(x, p, "unit");
                se.nominal = num(x, p, "nominal");
                se.tolerance = num(x, p, "tolerance");
                if (const json* vs = opt(x, "values")) {
                    std::string vp = key_ptr(p, "values");
                    array(*vs, vp);
                    for (std::size_t k = 0; k < vs->size(); ++k) {
                        if (!(*vs)[k].is_number())
                            fail(vp + "/" + std::to_string(k), "expected a number, got " + type_name((*vs)[k]));
                        se.values.push_back((*vs)[k].get<double>());
                    }
                }
                s.series.push_back(std::move(se));
            }
        }
        return s;
    }

    RunResult run(const json& doc) const {
        object(doc, "");
        const json& ver = req(doc, "", "schema_version");
        if (!ver.is_number_integer()) fail("/schema_version", "expected an integer, got " + type_name(ver));
        if (ver.get<std::int64_t>() < 1 || ver.get<std::int64_t>() > kResultsSchemaVersion)
            fail("/schema_version", "unsupported version " + ver.dump() + " (this pushcheck reads version " +
                                        std::to_string(kResultsSchemaVersion) + ")");
        RunResult r;
        r.pushcheck_version = str(doc, "", "pushcheck_version");
        r.started_at = str(doc, "", "started_at");
        r.duration_ms = num(doc, "", "duration_ms");
        r.hostname = str(doc, "", "hostname");
        r.target = str(doc, "", "target");
        r.embedded = boolean(doc, "", "embedded");
        r.target_unreachable = boolean(doc, "", "target_unreachable");
        r.profile_name = str(doc, "", "profile_name");
        r.profile = obj_member(doc, "", "profile");
        r.drivers = strings(doc, "", "drivers");
        r.dialled = strings(doc, "", "dialled");
        if (const json* in = opt(doc, "interrupted")) {
            const std::string ip = "/interrupted";
            object(*in, ip);
            Interruption x;
            x.signal = str(*in, ip, "signal");
            if (const json* un = opt(*in, "unfinished")) {
                const std::string up = ip + "/unfinished";
                array(*un, up);
                for (std::size_t i = 0; i < un->size(); ++i) {
                    const std::string p = up + "/" + std::to_string(i);
                    object((*un)[i], p);
                    x.unfinished.push_back({str((*un)[i], p, "id", true), str((*un)[i], p, "driver")});
                }
            }
            r.interrupted = std::move(x);
        }
        if (const json* sh = opt(doc, "shard")) {
            object(*sh, "/shard");
            Shard x;
            x.count = static_cast<unsigned>(integer(*sh, "/shard", "count", 1, 100000));
            x.index = static_cast<unsigned>(integer(*sh, "/shard", "index", 1, x.count));
            r.shard = x;
        }
        if (opt(doc, "merged_from")) r.merged_from = strings(doc, "", "merged_from");
        for (const char* key : kLoadKeys)
            if (const json* v = opt(doc, key)) {
                object(*v, std::string("/") + key);
                r.load[key] = *v;
            }
        if (const json* sv = opt(doc, "server")) {
            const std::string sp = "/server";
            object(*sv, sp);
            ServerProcess p;
            p.command = str(*sv, sp, "command");
            p.pid = static_cast<int>(integer(*sv, sp, "pid", 0, INT32_MAX));
            p.exit = str(*sv, sp, "exit");
            p.log_tail = str(*sv, sp, "log_tail");
            r.server = std::move(p);
        }
        // Derived figures (summary, percentiles, merged latency) are recomputed, not trusted.
        if (const json* s = opt(doc, "summary")) object(*s, "/summary");
        const json& sc = array(req(doc, "", "scenarios"), "/scenarios");
        for (std::size_t i = 0; i < sc.size(); ++i) r.scenarios.push_back(scenario(sc[i], "/scenarios/" + std::to_string(i)));
        latency(doc, "");  // validated for the pointer in its error; the merge below is exact
        r.recompute_summary();
        return r;
    }

private:
    std::string file_;
};

std::pair<int, int> line_col(const std::string& text, std::size_t byte) {
    int line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

} // namespace

void write_json(const RunResult& run, std::ostream& out) {
    ordered_json doc;
    doc["schema_version"] = kResultsSchemaVersion;
    doc["pushcheck_version"] = run.pushcheck_version;
    doc["started_at"] = run.started_at;
    doc["duration_ms"] = run.duration_ms;
    doc["hostname"] = run.hostname;
    doc["target"] = run.target;
    doc["embedded"] = run.embedded;
    doc["target_unreachable"] = run.target_unreachable;
    doc["profile_name"] = run.profile_name;
    doc["profile"] = ordered_json(run.profile);
    doc["drivers"] = run.drivers;
    doc["dialled"] = run.dialled;
    if (run.interrupted) {
        ordered_json unfinished = ordered_json::array();
        for (const auto& u : run.interrupted->unfinished) unfinished.push_back({{"id", u.id}, {"driver", u.driver}});
        doc["interrupted"] = {{"signal", run.interrupted->signal}, {"unfinished", std::move(unfinished)}};
    }
    if (run.shard) doc["shard"] = {{"index", run.shard->index}, {"count", run.shard->count}};
    if (!run.merged_from.empty()) doc["merged_from"] = run.merged_from;
    for (const auto& [key, value] : run.load.items()) doc[key] = ordered_json(value);  // pushcheck load's figures
    if (run.server)
        doc["server"] = {{"command", run.server->command},
                         {"pid", run.server->pid},
                         {"exit", run.server->exit},
                         {"log_tail", run.server->log_tail}};
    const auto& s = run.summary;
    doc["summary"] = {{"total", s.total},
                      {"pass", s.pass},
                      {"fail", s.fail},
                      {"non_strict", s.non_strict},
                      {"informational", s.informational},
                      {"harness_error", s.harness_error},
                      {"not_applicable", s.not_applicable},
                      {"verdict", to_string(detail::overall_verdict(run))}};
    doc["latency"] = latency_json(run.latency);
    ordered_json scenarios = ordered_json::array();
    for (const auto& sc : run.scenarios) scenarios.push_back(scenario_json(sc));
    doc["scenarios"] = std::move(scenarios);
    // Strings other than payloads (reasons quoting a server) get U+FFFD for invalid UTF-8.
    std::string text;
    pretty(doc, 0, text);
    out << text << '\n';
}

RunResult read_json(std::istream& in, const std::string& file_name) {
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw ConfigError(file_name, "", "cannot read the file");
    Reader reader(file_name);
    json doc;
    try {
        bool too_deep = false;
        doc = json::parse(text, [&](int depth, json::parse_event_t, json&) {
            if (depth > kMaxDepth) too_deep = true;
            return !too_deep;
        });
        if (too_deep) throw ConfigError(file_name, "", "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    } catch (const json::parse_error& e) {
        auto [line, col] = line_col(text, e.byte ? e.byte - 1 : 0);
        std::string what = e.what();
        auto colon = what.find(": ");
        std::string problem = colon == std::string::npos ? what : what.substr(colon + 2);
        throw ConfigError(file_name, "line " + std::to_string(line) + ", column " + std::to_string(col),
                          "not valid JSON: " + problem);
    }
    try {
        return reader.run(doc);
    } catch (const json::exception& e) {
        // Reader checks types before every get(); this is a last line of defence.
        throw ConfigError(file_name, "", std::string("malformed results document: ") + e.what());
    }
}

} // namespace pushcheck::reports
