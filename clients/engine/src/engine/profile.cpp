// Loading, overriding and validating profiles.
#include "pushcheck/engine/profile.hpp"

#include "engine/protocol.hpp"

#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/params.hpp"

#include "engine/util.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

namespace pushcheck::engine {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_dotted(const std::string& dotted) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : dotted) {
        if (c == '.') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(cur);
    return parts;
}

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

json* find_mut(json& root, const std::string& dotted) {
    json* cur = &root;
    for (const auto& part : split_dotted(dotted)) {
        if (cur->is_object()) {
            auto it = cur->find(part);
            if (it == cur->end()) return nullptr;
            cur = &*it;
        } else if (cur->is_array() && all_digits(part) && part.size() < 9) {
            std::size_t i = std::stoul(part);
            if (i >= cur->size()) return nullptr;
            cur = &(*cur)[i];
        } else {
            return nullptr;
        }
    }
    return cur;
}

void leaf_paths(const json& v, const std::string& prefix, std::vector<std::string>& out) {
    if (v.is_object() && !v.empty()) {
        for (const auto& [k, x] : v.items()) {
            std::string p = prefix.empty() ? k : prefix + "." + k;
            out.push_back(p);
            leaf_paths(x, p, out);
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            std::string p = prefix + "." + std::to_string(i);
            out.push_back(p);
            leaf_paths(v[i], p, out);
        }
    }
}

const char* json_type_word(const json& v) {
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "true or false";
    if (v.is_null()) return "null";
    if (v.is_array()) return "an array";
    return "an object";
}

std::string file_of(const Profile& p) { return p.file.empty() ? "profile " + p.name : p.file; }

} // namespace

std::string dotted_to_pointer(const std::string& dotted) {
    std::string out;
    for (const auto& part : split_dotted(dotted)) {
        out += '/';  // appended apart: GCC 12 warns falsely (-Wrestrict) on "/" + std::string
        out += pointer_escape(part);
    }
    return out;
}

const json* Profile::find(const std::string& dotted) const { return find_mut(const_cast<json&>(values), dotted); }

const json& Profile::at(const std::string& dotted) const {
    const json* v = find(dotted);
    if (!v) throw ConfigError(file_of(*this), dotted_to_pointer(dotted), "missing profile value \"" + dotted + "\"");
    return *v;
}

Profile make_profile(json values, const std::string& file) {
    Profile p;
    p.file = file;
    if (values.is_object() && values.contains("name") && values["name"].is_string())
        p.name = values["name"].get<std::string>();
    else
        p.name = fs::path(file).stem().string();
    p.values = std::move(values);
    validate_profile(p);
    return p;
}

Profile load_profile(const std::string& name_or_file, const std::vector<std::string>& search_dirs) {
    std::string file;
    const bool is_path = name_or_file.find('/') != std::string::npos ||
                         (name_or_file.size() > 5 && name_or_file.substr(name_or_file.size() - 5) == ".json");
    if (is_path) {
        file = name_or_file;
    } else {
        std::vector<std::string> known;
        for (const auto& dir : search_dirs) {
            fs::path candidate = fs::path(dir) / (name_or_file + ".json");
            std::error_code ec;
            if (file.empty() && fs::is_regular_file(candidate, ec)) file = candidate.string();
            for (const auto& e : fs::directory_iterator(dir, ec))
                if (e.path().extension() == ".json") known.push_back(e.path().stem().string());
        }
        if (file.empty()) {
            std::sort(known.begin(), known.end());
            known.erase(std::unique(known.begin(), known.end()), known.end());
            throw ConfigError(name_or_file, "",
                              "no such profile (looked for " + name_or_file + ".json in " +
                                  (search_dirs.empty() ? std::string("no directory") : util::join(search_dirs)) +
                                  "); known profiles: " + (known.empty() ? std::string("none") : util::join(known)));
        }
    }
    std::string text = util::read_file(file);
    return make_profile(util::parse_config_json(text, file), file);
}

void apply_override(Profile& p, const std::string& assignment) {
    const std::string origin = "--set " + assignment;
    auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError(origin, "", "expected KEY=VALUE, e.g. push.interval_ms=200");
    const std::string key = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    json* target = find_mut(p.values, key);
    if (!target) {
        std::vector<std::string> paths;
        leaf_paths(p.values, "", paths);
        auto near = util::closest(key, paths);
        std::string hint;
        if (!near.empty()) {
            hint = "; did you mean " + util::join(near, " or ") + "?";
        } else {
            // List the keys under the deepest prefix that exists.
            auto parts = split_dotted(key);
            std::string prefix;
            const json* at = &p.values;
            for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
                const json* next = find_mut(p.values, prefix.empty() ? parts[i] : prefix + "." + parts[i]);
                if (!next) break;
                prefix = prefix.empty() ? parts[i] : prefix + "." + parts[i];
                at = next;
            }
            std::vector<std::string> keys;
            if (at->is_object())
                for (const auto& [k, v] : at->items()) keys.push_back(prefix.empty() ? k : prefix + "." + k);
            hint = "; known keys" + (prefix.empty() ? std::string() : " under " + prefix) + ": " + util::join(keys);
        }
        throw ConfigError(origin, "", "unknown profile key \"" + key + "\"" + hint);
    }
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded() || (target->is_string() && !value.is_string())) value = text;
    const bool same = (target->is_number() && value.is_number()) || target->type() == value.type();
    if (!same)
        throw ConfigError(origin, "",
                          key + " is " + json_type_word(*target) + " (now " + show_json(*target, 40) + "), got " +
                              show_json(value, 40));
    json before = std::exchange(*target, std::move(value));
    // The file was valid before: whatever is wrong now is this override's fault.
    try {
        validate_profile(p);
    } catch (const ConfigError& e) {
        *target = std::move(before);
        throw ConfigError(origin, "", e.problem());
    }
}

namespace {

[[noreturn]] void bad(const Profile& p, const std::string& ptr, const std::string& problem) {
    throw ConfigError(file_of(p), ptr, problem);
}

const json& need(const Profile& p, const std::string& dotted, const char* what) {
    const json* v = p.find(dotted);
    if (!v) bad(p, dotted_to_pointer(dotted), std::string("missing (required: ") + what + ")");
    return *v;
}

// Durations past a day are a typo (1e12), not a plan.
constexpr double kMaxDurationMs = 86'400'000;

void need_number(const Profile& p, const std::string& dotted, bool positive, const char* what, double max) {
    const json& v = need(p, dotted, what);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0 || (positive && v.get<double>() == 0) ||
        v.get<double>() > max)
        bad(p, dotted_to_pointer(dotted),
            std::string("expected a number ") + (positive ? "> 0" : ">= 0") + " and at most " + util::num(max) + " (" +
                what + "), got " + show_json(v));
}

bool is_integral(const json& v) {
    return v.is_number_integer() || (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
}

// Generic rules for every key: "match" is a pattern, "*_ms" a duration, "*codes" close codes.
void check_tree(const Profile& p, const json& v, const std::string& ptr) {
    if (!v.is_object()) return;
    for (const auto& [k, x] : v.items()) {
        const std::string at = ptr + "/" + pointer_escape(k);
        if (k == "json") {
            continue;  // a payload to send: any JSON
        } else if (k == "match") {
            Pattern::compile(x, file_of(p), at);
        } else if (k.size() > 3 && k.compare(k.size() - 3, 3, "_ms") == 0) {
            if (!x.is_number() || !(x.get<double>() >= 0) || x.get<double>() > kMaxDurationMs)
                bad(p, at, "expected a duration in milliseconds from 0 to 86400000 (one day), got " + show_json(x));
        } else if (k.size() >= 5 && k.compare(k.size() - 5, 5, "codes") == 0) {
            if (!x.is_array()) bad(p, at, "expected an array of close codes, got " + show_json(x));
            for (const auto& c : x)
                if (!is_integral(c) || c.get<double>() < 1000 || c.get<double>() > 4999)
                    bad(p, at, "expected close codes (integers 1000..4999), got " + show_json(c));
        } else {
            check_tree(p, x, at);
        }
    }
}

} // namespace

void validate_profile(const Profile& p) {
    if (!p.values.is_object()) bad(p, "", "expected a JSON object (a profile) at the top level");
    if (p.values.contains("name") && !p.values["name"].is_string())
        bad(p, "/name", "expected a string, got " + show_json(p.values["name"]));
    const json& rooms = need(p, "rooms.valid", "the rooms a client may join");
    if (!rooms.is_array() || rooms.empty()) bad(p, "/rooms/valid", "expected a non-empty array of rooms, got " + show_json(rooms));
    // Rooms are request paths unless the profile's join says which path to connect to.
    const bool rooms_are_paths = !p.find("join.path");
    for (std::size_t i = 0; i < rooms.size(); ++i) {
        if (!rooms[i].is_string() || rooms[i].get<std::string>().empty())
            bad(p, "/rooms/valid/" + std::to_string(i), "expected a room name, got " + show_json(rooms[i]));
        if (rooms_are_paths && rooms[i].get<std::string>()[0] != '/')
            bad(p, "/rooms/valid/" + std::to_string(i),
                "expected a path starting with \"/\" (rooms are request paths unless the profile has join.path), got " +
                    show_json(rooms[i]));
    }
    if (const json* inv = p.find("rooms.invalid")) {
        if (!inv->is_array()) bad(p, "/rooms/invalid", "expected an array of paths, got " + show_json(*inv));
        for (std::size_t i = 0; i < inv->size(); ++i)
            if (!(*inv)[i].is_string())
                bad(p, "/rooms/invalid/" + std::to_string(i), "expected a path, got " + show_json((*inv)[i]));
    }
    need(p, "push.match", "the pattern of a push message");
    need_number(p, "push.interval_ms", true, "the nominal push interval", kMaxDurationMs);
    need_number(p, "push.tolerance_pct", false, "the allowed interval deviation in percent", 1000);
    need_number(p, "push.tolerance_min_ms", false, "the smallest allowed interval deviation", kMaxDurationMs);
    const json& ptr = need(p, "push.timestamp_pointer", "the JSON pointer of the timestamp in a push");
    if (!ptr.is_string() || (!ptr.get<std::string>().empty() && ptr.get<std::string>()[0] != '/'))
        bad(p, "/push/timestamp_pointer", "expected a JSON pointer such as \"/data\", got " + show_json(ptr));
    if (const json* tf = p.find("push.timestamp_format"))
        if (!tf->is_string() || !timestamp_format(tf->get<std::string>()))
            bad(p, "/push/timestamp_format", "expected \"iso8601-utc\", \"epoch-s\" or \"epoch-ms\", got " + show_json(*tf));
    need(p, "close.codes", "the accepted close codes");
    need_number(p, "close.within_ms", true, "how soon a requested close must happen", kMaxDurationMs);
    need_number(p, "timeouts.connect_ms", true, "the connect and handshake deadline", kMaxDurationMs);
    need_number(p, "timeouts.message_ms", true, "the deadline of an expected message", kMaxDurationMs);
    need_number(p, "latency.bound_ms", true, "the p99 latency bound", kMaxDurationMs);
    check_tree(p, p.values, "");
    (void)build_protocol(p);  // framing, join and leave steps, auto_reply, ignore, subprotocols
}

} // namespace pushcheck::engine
