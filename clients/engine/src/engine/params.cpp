// Clients, parameter specs, profile references and the typed parameter reader.
#include "pushcheck/engine/params.hpp"

#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/scenario.hpp"
#include "pushcheck/engine/step.hpp"

#include "engine/templating.hpp"
#include "engine/util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pushcheck::engine {

using nlohmann::json;

std::string pointer_escape(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

// ---- clients ----

ClientTable ClientTable::build(const std::vector<ClientDecl>& decls, const std::string& file, unsigned shard_index,
                               unsigned shard_count) {
    if (shard_count == 0 || shard_index >= shard_count)
        throw ConfigError(file, "", fmt::format("shard {} of {}: expected an index below the count", shard_index, shard_count));
    ClientTable t;
    t.shard_index_ = shard_index;
    t.shard_count_ = shard_count;
    std::unordered_map<std::string, char> declared;  // every member name, kept or not
    for (std::size_t i = 0; i < decls.size(); ++i) {
        const auto& d = decls[i];
        const std::string where = "/clients/" + std::to_string(i) + "/name";
        for (const auto& other : t.decls_)
            if (other.name == d.name) throw ConfigError(file, where, "duplicate client name \"" + d.name + "\"");
        Decl decl{d.name, d.count, static_cast<ClientId>(t.names_.size()), 0};
        auto add = [&](std::string member, int k) {
            if (!declared.emplace(member, 1).second)
                throw ConfigError(file, where, "client \"" + member + "\" is declared twice (a group member and a client)");
            if (static_cast<unsigned>(k - 1) % shard_count != shard_index) return;
            t.member_index_.emplace(member, static_cast<ClientId>(t.names_.size()));
            t.names_.push_back(std::move(member));
            ++decl.kept;
        };
        if (d.count <= 0) add(d.name, 1);
        else
            for (int k = 1; k <= d.count; ++k) add(d.name + std::to_string(k), k);
        t.decls_.push_back(decl);
    }
    // A group name must not also be a member name of another declaration.
    for (std::size_t i = 0; i < t.decls_.size(); ++i)
        if (t.decls_[i].count > 0 && declared.count(t.decls_[i].name))
            throw ConfigError(file, "/clients/" + std::to_string(i) + "/name",
                              "group name \"" + t.decls_[i].name + "\" is also the name of a client");
    if (shard_count > 1)
        for (const auto& [name, _] : declared)
            if (!t.member_index_.count(name)) t.absent_.insert(name);
    return t;
}

bool ClientTable::absent(const std::string& name) const {
    if (shard_count_ == 1) return false;
    if (absent_.count(name)) return true;
    for (const auto& d : decls_)
        if (d.name == name && d.count > 0) return d.kept == 0;
    return false;
}

std::optional<ClientId> ClientTable::find(const std::string& member) const {
    auto it = member_index_.find(member);
    if (it == member_index_.end()) return std::nullopt;
    return it->second;
}

std::string ClientTable::listing() const {
    std::vector<std::string> parts;
    for (const auto& d : decls_) {
        if (d.count <= 0) parts.push_back(d.name);
        else if (d.count == 1) parts.push_back(d.name + " (group " + d.name + "1)");
        else parts.push_back(fmt::format("{} (group {}1..{}{})", d.name, d.name, d.name, d.count));
    }
    return util::join(parts);
}

std::optional<std::vector<ClientId>> ClientTable::resolve(const json& ref, std::string& error) const {
    std::vector<char> seen(names_.size(), 0);
    std::vector<ClientId> out;
    auto add = [&](ClientId id) {
        if (!seen[id]) {
            seen[id] = 1;
            out.push_back(id);
        }
    };
    auto one = [&](const std::string& name) -> bool {
        if (name == "*") {
            for (ClientId i = 0; i < names_.size(); ++i) add(i);
            return true;
        }
        for (const auto& d : decls_)
            if (d.name == name && d.count > 0) {
                for (int k = 0; k < d.kept; ++k) add(d.first + static_cast<ClientId>(k));
                return true;
            }
        if (auto id = find(name)) {
            add(*id);
            return true;
        }
        if (absent_.count(name)) return true;  // in another shard
        std::vector<std::string> candidates;
        for (const auto& d : decls_) candidates.push_back(d.name);
        error = "unknown client \"" + name + "\"" + util::did_you_mean(name, candidates) + "; clients: " + listing();
        return false;
    };
    if (ref.is_string()) {
        if (!one(ref.get<std::string>())) return std::nullopt;
    } else if (ref.is_array() && !ref.empty()) {
        for (const auto& r : ref) {
            if (!r.is_string()) {
                error = "expected client names (strings), got " + show_json(r);
                return std::nullopt;
            }
            if (!one(r.get<std::string>())) return std::nullopt;
        }
    } else {
        error = "expected a client name, a group name, a list of names or \"*\", got " + show_json(ref);
        return std::nullopt;
    }
    return out;
}

// ---- specs ----

bool contains_profile_ref(const json& v) {
    if (v.is_object()) {
        if (v.contains("$profile")) return true;
        for (const auto& [k, x] : v.items())
            if (contains_profile_ref(x)) return true;
    } else if (v.is_array()) {
        for (const auto& x : v)
            if (contains_profile_ref(x)) return true;
    }
    return false;
}

namespace {

bool is_integral(const json& v) {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    double d = v.get<double>();
    return std::isfinite(d) && std::trunc(d) == d;
}

std::string type_word(ParamType t) {
    switch (t) {
    case ParamType::string: return "a string";
    case ParamType::number: return "a number";
    case ParamType::duration: return "a duration in milliseconds (a number >= 0)";
    case ParamType::integer: return "an integer";
    case ParamType::boolean: return "true or false";
    case ParamType::pattern: return "a pattern";
    case ParamType::pattern_pair: return "[pattern, pattern]";
    case ParamType::strings: return "an array of strings";
    case ParamType::integers: return "an array of integers";
    case ParamType::headers: return "an object of header names to string values";
    case ParamType::pointer: return "a JSON pointer (\"\" or starting with \"/\")";
    case ParamType::choice: return "a string";
    case ParamType::json: return "any JSON value";
    }
    return "?";
}

// "an integer >= 1", "a number from 0 to 100": what a value outside [min, max] should have been.
std::string range_word(const char* what, double min, double max) {
    const bool low = std::isfinite(min), high = std::isfinite(max);
    if (low && high) return fmt::format("{} from {} to {}", what, util::num(min), util::num(max));
    if (low) return fmt::format("{} >= {}", what, util::num(min));
    return fmt::format("{} <= {}", what, util::num(max));
}

// Checks the shape of every {"$profile": ...} inside v.
void check_refs(const json& v, const std::string& file, const std::string& ptr) {
    if (v.is_object()) {
        if (v.contains("$profile")) {
            for (const auto& [k, x] : v.items()) {
                if (k == "$profile") {
                    if (!x.is_string() || x.get<std::string>().empty())
                        throw ConfigError(file, ptr + "/$profile", "expected a dotted profile path such as \"push.interval_ms\", got " + show_json(x));
                } else if (k == "times" || k == "plus") {
                    if (!x.is_number()) throw ConfigError(file, ptr + "/" + k, "expected a number, got " + show_json(x));
                } else if (k == "templates") {
                    if (x != "any")
                        throw ConfigError(file, ptr + "/templates",
                                          "expected \"any\" (every {{name}} string of the value matches any string), got " +
                                              show_json(x));
                } else {
                    throw ConfigError(file, ptr + "/" + pointer_escape(k),
                                      "unknown key \"" + k + "\" in a profile reference (allowed: $profile, times, plus, templates)");
                }
            }
            return;
        }
        for (const auto& [k, x] : v.items()) check_refs(x, file, ptr + "/" + pointer_escape(k));
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) check_refs(v[i], file, ptr + "/" + std::to_string(i));
    }
}

} // namespace

std::string check_param(const ParamSpec& spec, const json& v, const std::string& file, const std::string& ptr) {
    check_refs(v, file, ptr);
    if (spec.type == ParamType::pattern) {
        Pattern::check(v, file, ptr);
        return "";
    }
    if (spec.type == ParamType::pattern_pair) {
        if (v.is_object() && v.contains("$profile")) return "";
        if (!v.is_array() || v.size() != 2) return "expected [pattern, pattern], got " + show_json(v);
        Pattern::check(v[0], file, ptr + "/0");
        Pattern::check(v[1], file, ptr + "/1");
        return "";
    }
    if (contains_profile_ref(v)) return "";  // checked after binding
    auto bad = [&] { return "expected " + type_word(spec.type) + ", got " + show_json(v); };
    switch (spec.type) {
    case ParamType::string:
        if (!v.is_string()) return bad();
        break;
    case ParamType::number:
    case ParamType::duration: {
        if (!v.is_number()) return bad();
        double d = v.get<double>();
        if (spec.type == ParamType::duration) {
            double min = std::max(0.0, spec.min);
            if (d < min) return "expected a number >= " + util::num(min) + ", got " + show_json(v);
            // A deadline past a day is a typo (1e12), and would overflow the clock arithmetic.
            if (d > 86'400'000) return "expected a duration in milliseconds up to 86400000 (one day), got " + show_json(v);
        } else if (d < spec.min || d > spec.max) {
            return "expected " + range_word("a number", spec.min, spec.max) + ", got " + show_json(v);
        }
        break;
    }
    case ParamType::integer: {
        if (!is_integral(v)) return bad();
        double d = v.get<double>();
        if (d < spec.min || d > spec.max)
            return "expected " + range_word("an integer", spec.min, spec.max) + ", got " + show_json(v);
        break;
    }
    case ParamType::boolean:
        if (!v.is_boolean()) return bad();
        break;
    case ParamType::strings:
        if (!v.is_array()) return bad();
        for (const auto& x : v)
            if (!x.is_string()) return bad();
        break;
    case ParamType::integers:
        if (!v.is_array()) return bad();
        for (const auto& x : v)
            if (!is_integral(x)) return bad();
        break;
    case ParamType::headers:
        if (!v.is_object()) return bad();
        for (const auto& [k, x] : v.items())
            if (!x.is_string()) return "expected header \"" + k + "\" to be a string, got " + show_json(x);
        break;
    case ParamType::pointer:
        if (!v.is_string()) return bad();
        if (!v.get<std::string>().empty() && v.get<std::string>()[0] != '/') return bad();
        break;
    case ParamType::choice:
        if (!v.is_string() || std::find(spec.choices.begin(), spec.choices.end(), v.get<std::string>()) == spec.choices.end())
            return "expected one of " + util::join(spec.choices) + ", got " + show_json(v);
        break;
    case ParamType::json:
    case ParamType::pattern:
    case ParamType::pattern_pair: break;
    }
    return "";
}

void check_params(const std::vector<ParamSpec>& specs, const json& item, const std::string& what,
                  const std::string& file, const std::string& ptr) {
    for (const auto& p : specs) {
        if (!item.contains(p.name)) {
            if (p.required) throw ConfigError(file, ptr, what + " needs \"" + p.name + "\"");
            continue;
        }
        const std::string at = ptr + "/" + pointer_escape(p.name);
        std::string problem = check_param(p, item[p.name], file, at);
        if (!problem.empty()) throw ConfigError(file, at, problem);
    }
}

// ---- profile references ----

namespace {
// The value with every string holding a {{name}} template replaced by {"$type": "string"}.
json any_templates(const json& v) {
    if (v.is_string()) return has_templates(v) ? json{{"$type", "string"}} : v;
    if (v.is_object()) {
        json out = json::object();
        for (const auto& [k, x] : v.items()) out[k] = any_templates(x);
        return out;
    }
    if (v.is_array()) {
        json out = json::array();
        for (const auto& x : v) out.push_back(any_templates(x));
        return out;
    }
    return v;
}
} // namespace

json resolve_profile_refs(const json& v, const Profile& profile, const std::string& file, const std::string& ptr) {
    if (v.is_object()) {
        if (v.contains("$profile")) {
            check_refs(v, file, ptr);
            const std::string path = v["$profile"].get<std::string>();
            const json* found = profile.find(path);
            if (!found)
                throw ConfigError(file, ptr,
                                  "profile \"" + profile.name + "\" has no value at \"" + path + "\"" +
                                      (profile.file.empty() ? "" : " (" + profile.file + ")"));
            // "templates": "any": a pattern for every room or client ({{room}} matches any string).
            if (v.contains("templates")) return any_templates(*found);
            if (!v.contains("times") && !v.contains("plus")) return *found;
            if (!found->is_number())
                throw ConfigError(file, ptr,
                                  "\"times\"/\"plus\" need a number, but profile value \"" + path + "\" is " + show_json(*found));
            double x = found->get<double>() * v.value("times", 1.0) + v.value("plus", 0.0);
            if (std::trunc(x) == x && std::fabs(x) < 9e15) return static_cast<std::int64_t>(x);
            return x;
        }
        json out = json::object();
        for (const auto& [k, x] : v.items()) out[k] = resolve_profile_refs(x, profile, file, ptr + "/" + pointer_escape(k));
        return out;
    }
    if (v.is_array()) {
        json out = json::array();
        for (std::size_t i = 0; i < v.size(); ++i)
            out.push_back(resolve_profile_refs(v[i], profile, file, ptr + "/" + std::to_string(i)));
        return out;
    }
    return v;
}

// ---- reader ----

namespace {

// The declared specs of a step or check object, found by its "step" or "check" name (null: none).
const std::vector<ParamSpec>* declared_specs(const json& object, std::string& what) {
    if (!object.is_object()) return nullptr;
    for (const char* kind : {"step", "check"}) {
        auto it = object.find(kind);
        if (it == object.end() || !it->is_string()) continue;
        const std::string name = it->get<std::string>();
        what = std::string(kind) + " " + name;
        if (*kind == 's') {
            if (const StepInfo* info = find_step_type(name)) return &info->params;
        } else if (const CheckInfo* info = find_check_type(name)) {
            return &info->params;
        }
        return nullptr;
    }
    return nullptr;
}

} // namespace

Params::Params(const json& object, std::string file, std::string pointer, const Profile& profile)
    : object_(object), file_(std::move(file)), pointer_(std::move(pointer)), profile_(profile) {
    std::string what;
    if (const auto* specs = declared_specs(object_, what)) check_params(*specs, object_, what, file_, pointer_);
}

bool Params::has(const char* key) const { return object_.is_object() && object_.contains(key); }

const json& Params::raw(const char* key) const { return object_.at(key); }

std::string Params::origin() const { return profile_.file.empty() ? "profile " + profile_.name : profile_.file; }

std::string Params::where(const char* key) const { return key && *key ? pointer_ + "/" + pointer_escape(key) : pointer_; }

void Params::fail(const char* key, const std::string& problem) const { throw ConfigError(file_, where(key), problem); }

const json& Params::profile_value(const char* path, const char* for_key) const {
    const json* v = profile_.find(path);
    if (!v)
        throw ConfigError(origin(), dotted_to_pointer(path),
                          "missing; " + file_ + " " + pointer_ + " needs it as the default of \"" + for_key + "\"");
    return *v;
}

double Params::profile_number(const char* path, const char* for_key) const {
    const json& v = profile_value(path, for_key);
    if (!v.is_number())
        throw ConfigError(origin(), dotted_to_pointer(path),
                          "expected a number (the default of \"" + std::string(for_key) + "\" in " + file_ + " " +
                              pointer_ + "), got " + show_json(v));
    return v.get<double>();
}

double Params::number(const char* key) const {
    if (!has(key)) fail("", std::string("missing \"") + key + "\"");
    const json& v = raw(key);
    if (!v.is_number()) fail(key, "expected a number, got " + show_json(v));
    double d = v.get<double>();
    if (!std::isfinite(d) || d < 0) fail(key, "expected a number >= 0, got " + show_json(v));
    return d;
}

double Params::number_or(const char* key, double fallback) const { return has(key) ? number(key) : fallback; }

double Params::number_or_profile(const char* key, const char* path) const {
    if (has(key)) return number(key);
    double d = profile_number(path, key);
    if (d < 0)
        throw ConfigError(origin(), dotted_to_pointer(path), "expected a number >= 0, got " + util::num(d));
    return d;
}

std::int64_t Params::integer_or(const char* key, std::int64_t fallback) const {
    if (!has(key)) return fallback;
    const json& v = raw(key);
    if (!is_integral(v)) fail(key, "expected an integer, got " + show_json(v));
    return static_cast<std::int64_t>(v.get<double>());
}

bool Params::boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = raw(key);
    if (!v.is_boolean()) fail(key, "expected true or false, got " + show_json(v));
    return v.get<bool>();
}

std::string Params::string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& v = raw(key);
    if (!v.is_string()) fail(key, "expected a string, got " + show_json(v));
    return v.get<std::string>();
}

std::string Params::string_or_profile(const char* key, const char* path) const {
    if (has(key)) return string_or(key, "");
    const json& v = profile_value(path, key);
    if (!v.is_string())
        throw ConfigError(origin(), dotted_to_pointer(path), "expected a string, got " + show_json(v));
    return v.get<std::string>();
}

std::vector<std::string> Params::strings_or(const char* key, std::vector<std::string> fallback) const {
    if (!has(key)) return fallback;
    const json& v = raw(key);
    std::vector<std::string> out;
    if (!v.is_array()) fail(key, "expected an array of strings, got " + show_json(v));
    for (const auto& x : v) {
        if (!x.is_string()) fail(key, "expected an array of strings, got " + show_json(v));
        out.push_back(x.get<std::string>());
    }
    return out;
}

std::vector<int> Params::integers_or_profile(const char* key, const char* path) const {
    const json* v;
    bool from_profile = !has(key);
    v = from_profile ? &profile_value(path, key) : &raw(key);
    std::vector<int> out;
    auto bad = [&] {
        if (from_profile)
            throw ConfigError(origin(), dotted_to_pointer(path), "expected an array of integers, got " + show_json(*v));
        fail(key, "expected an array of integers, got " + show_json(*v));
    };
    if (!v->is_array()) bad();
    for (const auto& x : *v) {
        if (!is_integral(x)) bad();
        out.push_back(static_cast<int>(x.get<double>()));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Params::headers(const char* key) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (!has(key)) return out;
    const json& v = raw(key);
    if (!v.is_object()) fail(key, "expected an object of header names to string values, got " + show_json(v));
    for (const auto& [k, x] : v.items()) {
        if (!x.is_string()) fail(key, "expected header \"" + k + "\" to be a string, got " + show_json(x));
        out.emplace_back(k, x.get<std::string>());
    }
    return out;
}

PatternPtr Params::pattern(const char* key) const {
    if (!has(key)) fail("", std::string("missing \"") + key + "\"");
    return Pattern::compile(raw(key), file_, where(key));
}

PatternPtr Params::pattern_or_profile(const char* key, const char* path) const {
    if (has(key)) return pattern(key);
    const json& v = profile_value(path, key);
    return Pattern::compile(v, origin(), dotted_to_pointer(path));
}

PatternPtr Params::optional_pattern(const char* key) const { return has(key) ? pattern(key) : nullptr; }

PatternPtr Params::pattern_at(const char* key, std::size_t index) const {
    const json& v = raw(key);
    if (!v.is_array() || index >= v.size()) fail(key, "expected [pattern, pattern], got " + show_json(v));
    return Pattern::compile(v[index], file_, where(key) + "/" + std::to_string(index));
}

} // namespace pushcheck::engine
