// Loading scenario files: syntax errors by line:column, everything else by JSON pointer.
#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/params.hpp"
#include "pushcheck/engine/scenario.hpp"
#include "pushcheck/engine/step.hpp"

#include "engine/util.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

namespace pushcheck::engine {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Scenario::group() const {
    auto dot = id.rfind('.');
    return dot == std::string::npos ? id : id.substr(0, dot);
}

namespace {

const char* type_of(const json& v) {
    switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    default: return "a number";
    }
}

// group.name: runs of [a-z0-9_] joined by single dots, at least one dot. A loop, not a
// std::regex: libstdc++'s matcher recursed once per character, so a long id overflowed the stack.
bool dotted_id(const std::string& id) {
    bool dot = false;
    char prev = '.';
    for (char c : id) {
        if (c == '.') {
            if (prev == '.') return false;
            dot = true;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
        prev = c;
    }
    return dot && prev != '.';
}

struct Loader {
    const std::string& file;

    [[noreturn]] void fail(const std::string& ptr, const std::string& problem) const { throw ConfigError(file, ptr, problem); }

    void only_keys(const json& obj, const std::string& ptr, const std::vector<std::string>& allowed,
                   const std::string& what) const {
        for (const auto& [k, v] : obj.items())
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                fail(ptr + "/" + pointer_escape(k), "unknown key \"" + k + "\"" + what + util::did_you_mean(k, allowed) +
                                                        "; allowed keys: " + util::join(allowed));
    }

    std::string string(const json& obj, const char* key, const std::string& ptr, bool required) const {
        if (!obj.contains(key)) {
            if (required) fail(ptr, std::string("missing \"") + key + "\"");
            return "";
        }
        const json& v = obj[key];
        if (!v.is_string()) fail(ptr + "/" + key, std::string("expected a string, got ") + type_of(v));
        return v.get<std::string>();
    }

    Level level(const json& v, const std::string& ptr) const {
        if (!v.is_string()) fail(ptr, "expected must, should or may");
        auto l = level_from_string(v.get<std::string>());
        if (!l) fail(ptr, "expected must, should or may, got " + show_json(v));
        return *l;
    }

    // One line of plain text: it leads the finding's reason in every report.
    void explain(const json& v, const std::string& ptr) const {
        if (!v.is_string() || v.get<std::string>().empty()) fail(ptr, "expected a non-empty string (one line), got " + show_json(v));
        for (unsigned char c : v.get<std::string>())
            if (c < 0x20 || c == 0x7f) fail(ptr, "expected one line of text without control characters");
    }

    template <class Info>
    void item(const json& it, const std::string& ptr, const char* kind, const Info* info_of_type,
              const std::vector<std::string>& known, bool takes_client, bool client_required,
              const ClientTable& clients) const {
        if (!it.is_object()) fail(ptr, std::string("expected a ") + kind + " object, got " + show_json(it));
        if (!it.contains(kind)) fail(ptr, std::string("missing \"") + kind + "\" (known " + kind + "s: " + util::join(known) + ")");
        const json& name = it[kind];
        if (!name.is_string()) fail(ptr + "/" + kind, std::string("expected a ") + kind + " name, got " + show_json(name));
        const Info* info = info_of_type;
        if (!info)
            fail(ptr + "/" + kind, std::string("unknown ") + kind + " \"" + name.get<std::string>() + "\"" +
                                       util::did_you_mean(name.get<std::string>(), known) + "; known " + kind +
                                       "s: " + util::join(known));
        std::vector<std::string> allowed{kind};
        if (takes_client) allowed.push_back("client");
        allowed.push_back("level");
        allowed.push_back("explain");
        for (const auto& p : info->params) allowed.push_back(p.name);
        only_keys(it, ptr, allowed, std::string(" for ") + kind + " " + info->name);
        if (takes_client) {
            if (!it.contains("client")) {
                if (client_required) fail(ptr, std::string(kind) + " " + info->name + " needs \"client\" (a name, a group, a list or \"*\")");
            } else {
                std::string error;
                if (!clients.resolve(it["client"], error)) fail(ptr + "/client", error);
            }
        }
        if (it.contains("level")) level(it["level"], ptr + "/level");
        if (it.contains("explain")) explain(it["explain"], ptr + "/explain");
        check_params(info->params, it, std::string(kind) + " " + info->name, file, ptr);
        if (info->validate) info->validate(it, file, ptr);
    }
};

std::vector<std::string> names_of_steps() {
    std::vector<std::string> v;
    for (const auto* s : step_types()) v.push_back(s->name);
    return v;
}
std::vector<std::string> names_of_checks() {
    std::vector<std::string> v;
    for (const auto* c : check_types()) v.push_back(c->name);
    return v;
}

} // namespace

Scenario parse_scenario(const std::string& text, const std::string& file) {
    const json doc = util::parse_config_json(text, file);
    const Loader L{file};
    if (!doc.is_object()) L.fail("", std::string("expected a JSON object (a scenario) at the top level, got ") + type_of(doc));
    L.only_keys(doc, "", {"$schema", "id", "title", "description", "level", "tags", "requires", "clients", "steps", "checks"},
                " in a scenario");
    Scenario s;
    s.file = file;
    s.id = L.string(doc, "id", "", true);
    if (!dotted_id(s.id))
        L.fail("/id", "expected a dotted lower-case id such as \"lifecycle.close_bye\" (group.name), got " + show_json(s.id));
    s.title = L.string(doc, "title", "", true);
    s.description = L.string(doc, "description", "", false);
    if (doc.contains("level")) s.level = L.level(doc["level"], "/level");
    if (doc.contains("tags")) {
        const json& tags = doc["tags"];
        if (!tags.is_array()) L.fail("/tags", std::string("expected an array of strings, got ") + type_of(tags));
        for (std::size_t i = 0; i < tags.size(); ++i) {
            if (!tags[i].is_string()) L.fail("/tags/" + std::to_string(i), "expected a string, got " + show_json(tags[i]));
            s.tags.push_back(tags[i].get<std::string>());
        }
    }

    if (doc.contains("requires")) {
        const json& req = doc["requires"];
        static const std::regex cap_re("[a-z][a-z0-9_]{0,63}(\\.[a-z0-9_]{1,64}){0,7}");
        if (!req.is_array()) L.fail("/requires", std::string("expected an array of profile sections, got ") + type_of(req));
        for (std::size_t i = 0; i < req.size(); ++i) {
            if (!req[i].is_string() || !std::regex_match(req[i].get<std::string>(), cap_re))
                L.fail("/requires/" + std::to_string(i),
                       "expected the name of a profile section such as \"close_request\" (or a dotted key such as "
                       "\"unknown_room.match\", or \"json_frames\"), got " + show_json(req[i]));
            s.needs.push_back(req[i].get<std::string>());
        }
    }
    if (!doc.contains("clients")) L.fail("", "missing \"clients\" (e.g. [{\"name\": \"a\"}])");
    const json& clients = doc["clients"];
    if (!clients.is_array() || clients.empty())
        L.fail("/clients", "expected a non-empty array of {\"name\": N} or {\"name\": N, \"count\": K}");
    static const std::regex name_re("[A-Za-z_][A-Za-z0-9_-]{0,63}");
    for (std::size_t i = 0; i < clients.size(); ++i) {
        const std::string ptr = "/clients/" + std::to_string(i);
        const json& c = clients[i];
        if (!c.is_object()) L.fail(ptr, "expected {\"name\": N} or {\"name\": N, \"count\": K}, got " + show_json(c));
        L.only_keys(c, ptr, {"name", "count"}, " in a client");
        ClientDecl d;
        d.name = L.string(c, "name", ptr, true);
        if (!std::regex_match(d.name, name_re))
            L.fail(ptr + "/name", "expected a name of letters, digits, _ and - (not starting with a digit), got " + show_json(d.name));
        if (c.contains("count")) {
            const json& n = c["count"];
            if (!n.is_number_integer() || n.get<long long>() < 1 || n.get<long long>() > 100000)
                L.fail(ptr + "/count", "expected an integer from 1 to 100000, got " + show_json(n));
            d.count = n.get<int>();
        }
        s.clients.push_back(d);
    }
    const ClientTable table = ClientTable::build(s.clients, file);

    const auto step_names = names_of_steps();
    if (!doc.contains("steps")) L.fail("", "missing \"steps\"");
    const json& steps = doc["steps"];
    if (!steps.is_array() || steps.empty()) L.fail("/steps", "expected a non-empty array of steps");
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const json& st = steps[i];
        const StepInfo* info = st.is_object() && st.contains("step") && st["step"].is_string()
                                   ? find_step_type(st["step"].get<std::string>())
                                   : nullptr;
        L.item(st, "/steps/" + std::to_string(i), "step", info, step_names, info ? info->takes_client : true, true, table);
    }
    s.steps = steps;

    if (doc.contains("checks")) {
        const auto check_names = names_of_checks();
        const json& checks = doc["checks"];
        if (!checks.is_array()) L.fail("/checks", std::string("expected an array of checks, got ") + type_of(checks));
        for (std::size_t i = 0; i < checks.size(); ++i) {
            const json& ch = checks[i];
            const CheckInfo* info = ch.is_object() && ch.contains("check") && ch["check"].is_string()
                                        ? find_check_type(ch["check"].get<std::string>())
                                        : nullptr;
            L.item(ch, "/checks/" + std::to_string(i), "check", info, check_names, true, false, table);
        }
        s.checks = checks;
    }
    s.step_lines = util::element_positions(text, "steps");
    return s;
}

Scenario load_scenario(const std::string& file) { return parse_scenario(util::read_file(file), file); }

std::vector<Scenario> load_scenarios(const std::vector<std::string>& files_or_dirs) {
    std::vector<std::string> files;
    for (const auto& f : files_or_dirs) {
        std::error_code ec;
        if (fs::is_directory(f, ec)) {
            std::vector<std::string> here;
            for (const auto& e : fs::directory_iterator(f, ec))
                if (e.is_regular_file() && e.path().extension() == ".json") here.push_back(e.path().string());
            if (ec) throw ConfigError(f, "", "cannot list the directory: " + ec.message());
            std::sort(here.begin(), here.end());
            files.insert(files.end(), here.begin(), here.end());
        } else if (fs::exists(f, ec)) {
            files.push_back(f);
        } else {
            throw ConfigError(f, "", "no such file or directory");
        }
    }
    std::vector<Scenario> out;
    std::map<std::string, std::string> seen;
    for (const auto& f : files) {
        Scenario s = load_scenario(f);
        auto [it, fresh] = seen.emplace(s.id, f);
        if (!fresh) throw ConfigError(f, "/id", "duplicate scenario id \"" + s.id + "\" (also in " + it->second + ")");
        out.push_back(std::move(s));
    }
    return out;
}

namespace {
bool glob(const char* p, const char* s) {
    // Iterative '*' backtracking: linear enough for ids.
    const char *star = nullptr, *back = nullptr;
    while (*s) {
        if (*p == '?' || *p == *s) {
            ++p;
            ++s;
        } else if (*p == '*') {
            star = p++;
            back = s;
        } else if (star) {
            p = star + 1;
            s = ++back;
        } else {
            return false;
        }
    }
    while (*p == '*') ++p;
    return *p == 0;
}
} // namespace

std::vector<std::string> missing_sections(const Scenario& s, const json& profile_values) {
    std::vector<std::string> out;
    for (const auto& n : s.needs) {
        if (n == kJsonFrames) {  // a capability of the profile's framing, not a section
            const json* f = profile_values.is_object() && profile_values.contains("framing") ? &profile_values["framing"] : nullptr;
            if (f && *f != "json") out.push_back(n);
            continue;
        }
        const json* at = profile_values.is_object() ? &profile_values : nullptr;
        std::size_t start = 0;
        while (at && start <= n.size()) {
            const std::size_t dot = n.find('.', start);
            const std::string key = n.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (at->is_object()) {
                at = at->contains(key) ? &(*at)[key] : nullptr;
            } else if (at->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
                       key.size() < 10 && std::stoul(key) < at->size()) {
                at = &(*at)[std::stoul(key)];  // rooms.invalid.0
            } else {
                at = nullptr;
            }
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        if (!at) out.push_back(n);
    }
    return out;
}

bool id_matches(const std::string& id, const std::string& patterns) {
    std::size_t start = 0;
    while (start <= patterns.size()) {
        auto comma = patterns.find(',', start);
        std::string one = patterns.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!one.empty() && glob(one.c_str(), id.c_str())) return true;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return false;
}

} // namespace pushcheck::engine
