// Compiling and matching patterns (docs/scenarios.md, "Matchers").
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/params.hpp"

#include "engine/safe_regex.hpp"
#include "engine/templating.hpp"
#include "engine/util.hpp"

#include <cmath>
#include <regex>

namespace pushcheck::engine {

using nlohmann::json;

struct Pattern::Node {
    enum class Op : std::uint8_t {
        any, type, regex, timestamp, range, one_of, not_, eq, absent, object, array, literal, placeholder, json_text,
        templated  // a string with {{name}} parts, rendered with the receiving client's values
    };
    Op op = Op::any;
    TimestampFormat format = TimestampFormat::iso8601_utc;  // timestamp
    json value;  // literal / $eq value / $regex source / $type name
    std::optional<double> lo, hi;
    std::unique_ptr<std::regex> re;
    std::shared_ptr<const TextTemplate> text;  // templated
    std::vector<std::string> keys;  // object: member names, parallel to items
    std::vector<Node> items;        // object members, array elements, $one_of alternatives, $not operand
};

namespace {

using Node = Pattern::Node;
using Op = Node::Op;

const std::vector<std::string>& operator_names() {
    static const std::vector<std::string> names{"$any", "$type", "$regex", "$timestamp", "$range",
                                                "$one_of", "$not", "$eq", "$absent", "$json"};
    return names;
}

const std::vector<std::string>& type_names() {
    static const std::vector<std::string> names{"string", "number", "integer", "boolean", "null", "object", "array"};
    return names;
}

struct Compiler {
    const std::string& file;
    bool allow_profile;

    [[noreturn]] void fail(const std::string& pointer, const std::string& problem) const {
        throw ConfigError(file, pointer.empty() ? "/" : pointer, problem);
    }

    Node compile(const json& spec, const std::string& ptr, bool member) const {
        Node n;
        if (spec.is_object()) {
            std::string op_key;
            for (const auto& [k, v] : spec.items())
                if (!k.empty() && k[0] == '$') op_key = k;
            if (op_key.empty()) {
                n.op = Op::object;
                for (const auto& [k, v] : spec.items()) {
                    n.keys.push_back(k);
                    n.items.push_back(compile(v, ptr + "/" + pointer_escape(k), true));
                }
                return n;
            }
            if (op_key == "$profile") {
                if (!allow_profile) fail(ptr, "unresolved profile reference");
                // Shape checked by check_param's reference checker; a placeholder matches anything.
                for (const auto& [k, v] : spec.items())
                    if (k != "$profile" && k != "times" && k != "plus" && k != "templates")
                        fail(ptr + "/" + pointer_escape(k),
                             "unknown key \"" + k + "\" in a profile reference (allowed: $profile, times, plus, templates)");
                if (!spec["$profile"].is_string()) fail(ptr + "/$profile", "expected a dotted profile path (a string)");
                n.op = Op::placeholder;
                return n;
            }
            if (spec.size() != 1)
                fail(ptr, "an operator object has exactly one key, got " + std::to_string(spec.size()) + ": " +
                              show_json(spec));
            const json& arg = spec[op_key];
            const std::string at = ptr + "/" + pointer_escape(op_key);
            if (op_key == "$any") {
                if (arg != true) fail(at, "expected true");
                n.op = Op::any;
            } else if (op_key == "$type") {
                if (!arg.is_string() || std::find(type_names().begin(), type_names().end(), arg.get<std::string>()) ==
                                            type_names().end())
                    fail(at, "expected one of " + util::join(type_names()) + ", got " + show_json(arg));
                n.op = Op::type;
                n.value = arg;
            } else if (op_key == "$regex") {
                if (!arg.is_string()) fail(at, "expected a regular expression (a string), got " + show_json(arg));
                n.op = Op::regex;
                n.value = arg;
                try {
                    n.re = std::make_unique<std::regex>(arg.get<std::string>(), kRegexSyntax);
                } catch (const std::regex_error& e) {
                    fail(at, "bad regex " + show_json(arg) + ": " +
                                 (e.code() == std::regex_constants::error_complexity ? kNoBackReferences : e.what()));
                }
            } else if (op_key == "$timestamp") {
                auto f = arg.is_string() ? timestamp_format(arg.get_ref<const std::string&>()) : std::nullopt;
                if (!f) fail(at, "expected a timestamp format: \"iso8601-utc\", \"epoch-s\" or \"epoch-ms\", got " + show_json(arg));
                n.op = Op::timestamp;
                n.format = *f;
            } else if (op_key == "$json") {
                // A string that holds JSON (e.g. Pusher's "data"), matched after decoding.
                n.op = Op::json_text;
                n.items.push_back(compile(arg, at, false));
            } else if (op_key == "$range") {
                if (!arg.is_array() || arg.size() != 2 || !(arg[0].is_number() || arg[0].is_null()) ||
                    !(arg[1].is_number() || arg[1].is_null()))
                    fail(at, "expected [min, max] of numbers (null for an open end), got " + show_json(arg));
                n.op = Op::range;
                if (arg[0].is_number()) n.lo = arg[0].get<double>();
                if (arg[1].is_number()) n.hi = arg[1].get<double>();
                if (n.lo && n.hi && *n.lo > *n.hi) fail(at, "min is greater than max: " + show_json(arg));
            } else if (op_key == "$one_of") {
                if (!arg.is_array() || arg.empty()) fail(at, "expected a non-empty array of patterns, got " + show_json(arg));
                n.op = Op::one_of;
                for (std::size_t i = 0; i < arg.size(); ++i)
                    n.items.push_back(compile(arg[i], at + "/" + std::to_string(i), false));
            } else if (op_key == "$not") {
                n.op = Op::not_;
                n.items.push_back(compile(arg, at, false));
            } else if (op_key == "$eq") {
                if (!allow_profile && contains_profile_ref(arg)) fail(at, "unresolved profile reference");
                n.op = Op::eq;
                n.value = arg;
            } else if (op_key == "$absent") {
                if (arg != true) fail(at, "expected true");
                if (!member) fail(ptr, "$absent is only allowed as the value of an object member");
                n.op = Op::absent;
            } else {
                fail(at, "unknown operator \"" + op_key + "\"" + util::did_you_mean(op_key, operator_names()) +
                             "; known operators: " + util::join(operator_names()));
            }
            return n;
        }
        if (spec.is_array()) {
            n.op = Op::array;
            for (std::size_t i = 0; i < spec.size(); ++i)
                n.items.push_back(compile(spec[i], ptr + "/" + std::to_string(i), false));
            return n;
        }
        if (spec.is_string())
            if (auto t = TextTemplate::parse(spec.get_ref<const std::string&>())) {
                n.op = Op::templated;
                n.text = std::make_shared<const TextTemplate>(std::move(*t));
                return n;
            }
        n.op = Op::literal;
        n.value = spec;
        return n;
    }
};

// The template values of the message being matched (set for the duration of one matches()).
thread_local const TemplateVars* t_vars = nullptr;

struct VarsScope {
    const TemplateVars* saved;
    explicit VarsScope(const TemplateVars* v) : saved(t_vars) {
        if (v) t_vars = v;
    }
    ~VarsScope() { t_vars = saved; }
    VarsScope(const VarsScope&) = delete;
    VarsScope& operator=(const VarsScope&) = delete;
};

bool is_integer(const json& v) {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    double d = v.get<double>();
    return std::isfinite(d) && std::trunc(d) == d;
}

bool type_ok(const std::string& t, const json& v) {
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number();
    if (t == "integer") return is_integer(v);
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    return false;
}

/// The JSON a string holds (nesting at most 64 deep), or nullopt.
std::optional<json> decoded(const json& v) {
    if (!v.is_string()) return std::nullopt;
    const std::string& text = v.get_ref<const std::string&>();
    if (json_nesting_depth(text, 64) > 64) return std::nullopt;
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

bool ok(const Node& n, const json& v) {
    switch (n.op) {
    case Op::json_text: {
        auto j = decoded(v);
        return j && ok(n.items[0], *j);
    }
    case Op::any:
    case Op::placeholder: return true;
    case Op::type: return type_ok(n.value.get_ref<const std::string&>(), v);
    case Op::regex: return v.is_string() && std::regex_search(v.get_ref<const std::string&>(), *n.re);
    case Op::timestamp: return timestamp_us(v, n.format).has_value();
    case Op::range: {
        if (!v.is_number()) return false;
        double d = v.get<double>();
        return (!n.lo || d >= *n.lo) && (!n.hi || d <= *n.hi);
    }
    case Op::one_of:
        for (const auto& alt : n.items)
            if (ok(alt, v)) return true;
        return false;
    case Op::not_: return !ok(n.items[0], v);
    case Op::eq: return v == n.value;
    case Op::absent: return false;  // the key is there
    case Op::object: {
        if (!v.is_object()) return false;
        for (std::size_t i = 0; i < n.keys.size(); ++i) {
            auto it = v.find(n.keys[i]);
            if (n.items[i].op == Op::absent) {
                if (it != v.end()) return false;
            } else if (it == v.end() || !ok(n.items[i], *it)) {
                return false;
            }
        }
        return true;
    }
    case Op::array: {
        if (!v.is_array() || v.size() != n.items.size()) return false;
        for (std::size_t i = 0; i < n.items.size(); ++i)
            if (!ok(n.items[i], v[i])) return false;
        return true;
    }
    case Op::literal: return v == n.value;
    case Op::templated: {
        if (!v.is_string()) return false;
        auto want = n.text->render(t_vars);
        return want && *want == v.get_ref<const std::string&>();
    }
    }
    return false;
}

// A message that is not JSON matches $any, $not of a pattern it does not match, and $one_of with such an alternative.
bool ok_non_json(const Node& n) {
    switch (n.op) {
    case Op::any:
    case Op::placeholder: return true;
    case Op::not_: return !ok_non_json(n.items[0]);
    case Op::one_of:
        for (const auto& alt : n.items)
            if (ok_non_json(alt)) return true;
        return false;
    default: return false;
    }
}

std::string describe_node(const Node& n, std::size_t max) {
    std::string s;
    switch (n.op) {
    case Op::any:
    case Op::placeholder: s = "anything"; break;
    case Op::type: {
        const auto& t = n.value.get_ref<const std::string&>();
        s = t == "null" ? "null" : (t == "integer" || t == "object" || t == "array" ? "an " : "a ") + t;
        break;
    }
    case Op::regex: s = "a string matching /" + n.value.get<std::string>() + "/"; break;
    case Op::timestamp: s = engine::describe(n.format); break;
    case Op::json_text: s = "a string holding JSON: " + describe_node(n.items[0], max); break;
    case Op::range:
        if (n.lo && n.hi) s = "a number in [" + util::num(*n.lo) + ", " + util::num(*n.hi) + "]";
        else if (n.lo) s = "a number >= " + util::num(*n.lo);
        else if (n.hi) s = "a number <= " + util::num(*n.hi);
        else s = "a number";
        break;
    case Op::one_of:
        for (std::size_t i = 0; i < n.items.size(); ++i) {
            if (i) s += " or ";
            s += describe_node(n.items[i], max);
        }
        break;
    case Op::not_: s = "anything but " + describe_node(n.items[0], max); break;
    case Op::eq: s = "exactly " + show_json(n.value, max); break;
    case Op::absent: s = "no such key"; break;
    case Op::object: {
        s = "an object with ";
        if (n.keys.empty()) {
            s = "an object";
            break;
        }
        for (std::size_t i = 0; i < n.keys.size(); ++i) {
            if (i) s += ", ";
            if (n.items[i].op == Op::absent) s += "no \"" + n.keys[i] + "\"";
            else s += "\"" + n.keys[i] + "\": " + describe_node(n.items[i], max);
        }
        break;
    }
    case Op::array: s = "an array of " + std::to_string(n.items.size()) + " elements"; break;
    case Op::literal: s = show_json(n.value, max); break;
    case Op::templated: {
        auto v = n.text->render(t_vars);
        s = v ? show_json(json(*v), max) + " (" + n.text->source() + ")" : show_json(json(n.text->source()), max);
        break;
    }
    }
    if (s.size() > max) {
        s.resize(max);
        s += "...";
    }
    return s;
}

std::string at(const std::string& ptr) { return ptr.empty() ? "" : "at " + ptr + ": "; }

// The first mismatch, explained; only called when ok() is false.
std::string explain(const Node& n, const json& v, const std::string& ptr) {
    switch (n.op) {
    case Op::object: {
        if (!v.is_object()) return at(ptr) + "expected an object, got " + show_json(v);
        for (std::size_t i = 0; i < n.keys.size(); ++i) {
            const std::string p = ptr + "/" + pointer_escape(n.keys[i]);
            auto it = v.find(n.keys[i]);
            if (n.items[i].op == Op::absent) {
                if (it != v.end()) return at(p) + "expected no such key, got " + show_json(*it);
            } else if (it == v.end()) {
                return at(p) + "expected " + describe_node(n.items[i], 80) + ", got nothing (no such key)";
            } else if (!ok(n.items[i], *it)) {
                return explain(n.items[i], *it, p);
            }
        }
        break;
    }
    case Op::array: {
        if (!v.is_array()) return at(ptr) + "expected an array, got " + show_json(v);
        if (v.size() != n.items.size())
            return at(ptr) + "expected an array of " + std::to_string(n.items.size()) + " elements, got " +
                   std::to_string(v.size()) + ": " + show_json(v);
        for (std::size_t i = 0; i < n.items.size(); ++i)
            if (!ok(n.items[i], v[i])) return explain(n.items[i], v[i], ptr + "/" + std::to_string(i));
        break;
    }
    case Op::json_text: {
        auto j = decoded(v);
        if (j) return explain(n.items[0], *j, ptr + " (decoded)");
        break;
    }
    case Op::templated: {
        std::string missing;
        if (!n.text->render(t_vars, &missing))
            return at(ptr) + "expected " + show_json(json(n.text->source())) + ", but " + missing_value_text(missing);
        break;
    }
    default: break;
    }
    return at(ptr) + "expected " + describe_node(n, 80) + ", got " + show_json(v);
}

std::string non_json_subject(const ParsedMessage& m) {
    switch (m.kind) {
    case ParsedMessage::Kind::binary: return "a binary message of " + std::to_string(m.size) + " bytes";
    case ParsedMessage::Kind::too_deep: return "a message nesting deeper than " + std::to_string(m.depth_limit) + " levels";
    case ParsedMessage::Kind::undecodable: return "a message that is " + m.problem + ": " + m.preview;
    default: return "a message that is not JSON: " + m.preview;
    }
}

} // namespace

Pattern::Pattern() = default;
Pattern::~Pattern() = default;

std::shared_ptr<const Pattern> Pattern::compile(const json& spec, const std::string& file, const std::string& pointer) {
    std::shared_ptr<Pattern> p(new Pattern());
    p->spec_ = spec;
    p->root_ = std::make_unique<Node>(Compiler{file, false}.compile(spec, pointer, false));
    return p;
}

void Pattern::check(const json& spec, const std::string& file, const std::string& pointer) {
    (void)Compiler{file, true}.compile(spec, pointer, false);
}

bool Pattern::matches(const json& v, std::string* why, const TemplateVars* vars) const {
    VarsScope scope(vars);
    if (ok(*root_, v)) return true;
    if (why) *why = explain(*root_, v, "");
    return false;
}

bool Pattern::matches(const ParsedMessage& m, std::string* why) const {
    if (m.kind == ParsedMessage::Kind::json) return matches(m.value(), why, m.vars);
    if (ok_non_json(*root_)) return true;
    if (why) {
        if (m.kind == ParsedMessage::Kind::too_deep)
            *why = "message nests deeper than " + std::to_string(m.depth_limit) + " levels; expected " + describe();
        else
            *why = "expected " + describe() + ", got " + non_json_subject(m);
    }
    return false;
}

std::string Pattern::describe(std::size_t max) const { return describe_node(*root_, max); }

bool Pattern::is_any() const { return root_->op == Op::any; }

} // namespace pushcheck::engine
