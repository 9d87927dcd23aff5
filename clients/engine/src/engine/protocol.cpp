// Building the protocol hooks of a profile (docs/profiles.md, "Protocol hooks").
#include "engine/protocol.hpp"

#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/params.hpp"

#include "engine/safe_regex.hpp"
#include "engine/util.hpp"

#include <algorithm>

namespace pushcheck::engine {

using nlohmann::json;

namespace {

std::string file_of(const Profile& p) { return p.file.empty() ? "profile " + p.name : p.file; }

std::string dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

constexpr double kMaxMs = 86'400'000;

} // namespace

std::optional<std::string> OutMessage::build(const TemplateVars* vars, const Framing& framing, std::string* why) const {
    if (!templated) return frame;
    std::string missing;
    if (!encode) {
        auto t = TextTemplate::parse(text);
        auto s = t ? t->render(vars, &missing) : std::optional<std::string>(text);
        if (!s && why) *why = "cannot send " + show() + ": " + missing_value_text(missing);
        return s;
    }
    auto v = render_json(value, vars, &missing);
    if (!v) {
        if (why) *why = "cannot send " + show() + ": " + missing_value_text(missing);
        return std::nullopt;
    }
    std::string problem;
    auto f = framing.encode(*v, &problem);
    if (!f && why) *why = "cannot send " + show_json(*v) + " as " + framing.name() + ": " + problem;
    return f;
}

std::string OutMessage::show(std::size_t max) const { return encode ? show_json(value, max) : show_json(json(text), max); }

OutMessage out_json(const json& v, const Framing& framing, const std::string& file, const std::string& pointer) {
    OutMessage m;
    m.encode = true;
    m.value = v;
    m.templated = has_templates(v);
    // Templates are strings, so the unrendered value shows whether the shape can be encoded.
    std::string why;
    auto f = framing.encode(v, &why);
    if (!f) throw ConfigError(file, pointer, std::string("cannot be sent as ") + framing.name() + ": " + why);
    if (!m.templated) m.frame = std::move(*f);
    return m;
}

OutMessage out_text(const std::string& text) {
    OutMessage m;
    m.encode = false;
    m.text = text;
    m.templated = TextTemplate::parse(text).has_value();
    if (!m.templated) m.frame = text;
    return m;
}

std::optional<std::string> Capture::take(const ParsedMessage& m, const std::string& frame, std::string* why) const {
    std::string text;
    if (pointer) {
        PointerScratch scratch;
        const json* v = m.kind == ParsedMessage::Kind::json ? resolve_pointer(m.value(), *pointer, scratch) : nullptr;
        if (!v) {
            if (why) *why = "capture " + name + ": the message has nothing at " + pointer_text;
            return std::nullopt;
        }
        text = v->is_string() ? v->get<std::string>() : dump(*v);
    } else {
        text = frame;
    }
    if (!regex) return text;
    std::smatch sm;
    if (!std::regex_search(text, sm, *regex)) {
        if (why) *why = "capture " + name + ": " + show_json(json(text), 60) + " does not match its regex";
        return std::nullopt;
    }
    return sm.size() > 1 ? sm[1].str() : sm[0].str();
}

std::vector<Capture> parse_captures(const json& spec, const std::string& file, const std::string& ptr) {
    if (!spec.is_object() || spec.empty())
        throw ConfigError(file, ptr, "expected an object of NAME: \"/json/pointer\" or NAME: {\"pointer\": ..., \"regex\": ...}, got " + show_json(spec));
    std::vector<Capture> out;
    const auto& builtins = builtin_template_names();
    for (const auto& [name, how] : spec.items()) {
        const std::string at = ptr + "/" + pointer_escape(name);
        static const std::regex name_re("[A-Za-z_][A-Za-z0-9_]{0,63}");
        if (!std::regex_match(name, name_re))
            throw ConfigError(file, at, "a capture name is a template name: letters, digits and _, not starting with a digit");
        if (std::find(builtins.begin(), builtins.end(), name) != builtins.end())
            throw ConfigError(file, at, "\"" + name + "\" is a built-in template name (" + util::join(builtins) + "); choose another");
        Capture c;
        c.name = name;
        std::string pointer_text, regex_text;
        bool has_pointer = false;
        if (how.is_string()) {
            pointer_text = how.get<std::string>();
            has_pointer = true;
        } else if (how.is_object()) {
            for (const auto& [k, v] : how.items()) {
                if (k == "pointer" && v.is_string()) pointer_text = v.get<std::string>(), has_pointer = true;
                else if (k == "regex" && v.is_string()) regex_text = v.get<std::string>();
                else throw ConfigError(file, at + "/" + pointer_escape(k), "expected \"pointer\" (a JSON pointer) or \"regex\" (a string)");
            }
            if (!has_pointer && regex_text.empty()) throw ConfigError(file, at, "expected \"pointer\", \"regex\" or both");
        } else {
            throw ConfigError(file, at, "expected a JSON pointer such as \"/data/sid\" or {\"pointer\": ..., \"regex\": ...}, got " + show_json(how));
        }
        if (has_pointer) {
            try {
                c.pointer = MessagePointer(json::json_pointer(pointer_text));
            } catch (const json::exception&) {
                throw ConfigError(file, at, "expected a JSON pointer such as \"/data/sid\", got " + show_json(json(pointer_text)));
            }
            c.pointer_text = pointer_text;
        }
        if (!regex_text.empty()) {
            try {
                c.regex = std::make_shared<const std::regex>(regex_text, kRegexSyntax);
            } catch (const std::regex_error& e) {
                throw ConfigError(file, at + "/regex",
                                  std::string("bad regex: ") +
                                      (e.code() == std::regex_constants::error_complexity ? kNoBackReferences : e.what()));
            }
        }
        out.push_back(std::move(c));
    }
    return out;
}

FramingPtr framing_of(const Profile& p) {
    const json* f = p.find("framing");
    if (!f) return make_framing("json");
    FramingPtr out = f->is_string() ? make_framing(f->get<std::string>()) : nullptr;
    if (!out)
        throw ConfigError(file_of(p), "/framing", "expected one of " + util::join(framing_names()) + ", got " + show_json(*f));
    return out;
}

namespace {

struct Builder {
    const Profile& p;
    Protocol& out;
    std::string file = file_of(p);

    [[noreturn]] void fail(const std::string& ptr, const std::string& problem) const { throw ConfigError(file, ptr, problem); }

    OutMessage message(const json& item, const std::string& ptr) {
        const bool j = item.contains("send"), t = item.contains("send_text");
        if (j == t) fail(ptr, "expected exactly one of \"send\" (JSON, encoded by the framing) or \"send_text\" (text as it is)");
        if (t) {
            if (!item["send_text"].is_string()) fail(ptr + "/send_text", "expected a string, got " + show_json(item["send_text"]));
            return out_text(item["send_text"].get<std::string>());
        }
        return out_json(item["send"], *out.framing, file, ptr + "/send");
    }

    std::vector<SequenceItem> sequence(const json& section, const std::string& ptr, const std::string& dotted) {
        std::vector<SequenceItem> items;
        if (!section.contains("steps")) return items;
        const json& steps = section["steps"];
        if (!steps.is_array()) fail(ptr + "/steps", "expected an array of {\"send\": ...} and {\"expect\": ...} items, got " + show_json(steps));
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const std::string at = ptr + "/steps/" + std::to_string(i);
            const json& s = steps[i];
            if (!s.is_object()) fail(at, "expected {\"send\": ...}, {\"send_text\": ...} or {\"expect\": PATTERN}, got " + show_json(s));
            SequenceItem item;
            item.where = dotted + ".steps." + std::to_string(i);
            if (s.contains("expect")) {
                item.kind = SequenceItem::Kind::expect;
                for (const auto& [k, v] : s.items())
                    if (k != "expect" && k != "skip" && k != "within_ms" && k != "capture")
                        fail(at + "/" + pointer_escape(k), "unknown key \"" + k + "\" in an expect item (allowed: expect, skip, within_ms, capture)");
                item.match = Pattern::compile(s["expect"], file, at + "/expect");
                if (s.contains("skip")) item.skip = Pattern::compile(s["skip"], file, at + "/skip");
                if (s.contains("within_ms")) {
                    const json& w = s["within_ms"];
                    if (!w.is_number() || !(w.get<double>() > 0) || w.get<double>() > kMaxMs)
                        fail(at + "/within_ms", "expected a duration in milliseconds > 0, got " + show_json(w));
                    item.within_ms = w.get<double>();
                }
                if (s.contains("capture")) {
                    item.captures = parse_captures(s["capture"], file, at + "/capture");
                    for (const auto& c : item.captures) out.captured.push_back(c.name);
                }
            } else {
                for (const auto& [k, v] : s.items())
                    if (k != "send" && k != "send_text")
                        fail(at + "/" + pointer_escape(k), "unknown key \"" + k + "\" in a send item (allowed: send or send_text)");
                item.message = message(s, at);
            }
            items.push_back(std::move(item));
        }
        return items;
    }

    void only(const json& v, const std::string& ptr, std::initializer_list<const char*> keys) {
        if (!v.is_object()) fail(ptr, "expected an object, got " + show_json(v));
        for (const auto& item : v.items()) {
            const std::string& k = item.key();
            if (std::none_of(keys.begin(), keys.end(), [&k](const char* a) { return k == a; })) {
                std::vector<std::string> names(keys.begin(), keys.end());
                fail(ptr + "/" + pointer_escape(k), "unknown key \"" + k + "\" (allowed: " + util::join(names) + ")");
            }
        }
    }

    // Every template a hook uses must have a value by the time it is rendered.
    void check_names(const json& v, const std::string& ptr) {
        std::vector<std::string> names;
        template_names(v, names);
        const auto known = known_template_names(out);
        for (const auto& n : names)
            if (std::find(known.begin(), known.end(), n) == known.end())
                fail(ptr, "unknown template {{" + n + "}}: known names are " + util::join(known) +
                              " (a name becomes known by a \"capture\" in join.steps or leave.steps)");
    }

    void build() {
        const json& v = p.values;
        out.profile_name = p.name;
        out.framing = framing_of(p);
        if (const json* t = p.find("timeouts.message_ms"); t && t->is_number()) out.message_ms = t->get<double>();
        if (v.contains("join")) {
            const json& j = v["join"];
            only(j, "/join", {"path", "steps"});
            if (j.contains("path")) {
                if (!j["path"].is_string() || j["path"].get<std::string>().empty() || j["path"].get<std::string>()[0] != '/')
                    fail("/join/path", "expected a request path starting with \"/\" (templates allowed, e.g. \"/app/key\" or \"/rooms/{{room}}\"), got " + show_json(j["path"]));
                out.join_path = j["path"].get<std::string>();
            }
            out.join = sequence(j, "/join", "join");
        }
        if (v.contains("leave")) {
            only(v["leave"], "/leave", {"steps"});
            out.leave = sequence(v["leave"], "/leave", "leave");
        }
        if (v.contains("auto_reply")) {
            const json& a = v["auto_reply"];
            if (!a.is_array()) fail("/auto_reply", "expected an array of {\"match\": PATTERN, \"send\": ...}, got " + show_json(a));
            for (std::size_t i = 0; i < a.size(); ++i) {
                const std::string at = "/auto_reply/" + std::to_string(i);
                only(a[i], at, {"match", "send", "send_text"});
                if (!a[i].contains("match")) fail(at, "missing \"match\": the pattern of the messages to answer");
                AutoReply r;
                r.match = Pattern::compile(a[i]["match"], file, at + "/match");
                r.reply = message(a[i], at);
                out.auto_reply.push_back(std::move(r));
            }
        }
        if (v.contains("ignore")) {
            const json& g = v["ignore"];
            if (!g.is_array()) fail("/ignore", "expected an array of patterns, got " + show_json(g));
            for (std::size_t i = 0; i < g.size(); ++i)
                out.ignore.push_back(Pattern::compile(g[i], file, "/ignore/" + std::to_string(i)));
        }
        if (v.contains("subprotocols")) {
            const json& s = v["subprotocols"];
            only(s, "/subprotocols", {"offer", "expect"});
            if (s.contains("offer")) {
                const json& o = s["offer"];
                if (!o.is_array() || o.empty()) fail("/subprotocols/offer", "expected a non-empty array of subprotocol names, got " + show_json(o));
                for (std::size_t i = 0; i < o.size(); ++i) {
                    if (!o[i].is_string() || o[i].get<std::string>().empty())
                        fail("/subprotocols/offer/" + std::to_string(i), "expected a subprotocol name, got " + show_json(o[i]));
                    out.offer.push_back(o[i].get<std::string>());
                }
            }
            if (s.contains("expect")) {
                if (!s["expect"].is_string()) fail("/subprotocols/expect", "expected a subprotocol name (\"\" for none), got " + show_json(s["expect"]));
                out.subprotocol = s["expect"].get<std::string>();
                if (!out.subprotocol->empty() && std::find(out.offer.begin(), out.offer.end(), *out.subprotocol) == out.offer.end())
                    fail("/subprotocols/expect", "\"" + *out.subprotocol + "\" is not among the offered subprotocols " + show_json(s.value("offer", json::array())));
            }
        }
        // Templates: every name used anywhere in the profile (hooks and patterns) must be a built-in
        // or captured by the join or leave steps.
        for (const auto& [key, value] : v.items())
            if (key != "name" && key != "description") check_names(value, "/" + pointer_escape(key));
    }
};

} // namespace

double sequence_budget_ms(const json& v, const char* section) {
    double ms = 0;
    const double each = v.contains("timeouts") && v["timeouts"].is_object() && v["timeouts"].contains("message_ms") &&
                                v["timeouts"]["message_ms"].is_number()
                            ? v["timeouts"]["message_ms"].get<double>()
                            : 3000.0;
    if (!v.is_object() || !v.contains(section) || !v[section].is_object() || !v[section].contains("steps") ||
        !v[section]["steps"].is_array())
        return 0;
    for (const auto& item : v[section]["steps"])
        if (item.is_object() && item.contains("expect"))
            ms += item.contains("within_ms") && item["within_ms"].is_number() ? item["within_ms"].get<double>() : each;
    return ms;
}

std::vector<std::string> known_template_names(const Protocol& p) {
    std::vector<std::string> out = builtin_template_names();
    for (const auto& n : p.captured)
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    return out;
}

std::shared_ptr<const Protocol> build_protocol(const Profile& p) {
    auto out = std::make_shared<Protocol>();
    Builder b{p, *out};
    b.build();
    return out;
}

} // namespace pushcheck::engine
