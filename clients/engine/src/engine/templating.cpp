// Templates: `{{name}}` in sent messages, join paths and patterns, rendered per client.
#include "engine/templating.hpp"

#include <algorithm>

namespace pushcheck::engine {

using nlohmann::json;

const std::vector<std::string>& builtin_template_names() {
    static const std::vector<std::string> names{"room", "client", "group", "index"};
    return names;
}

namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

} // namespace

std::optional<TextTemplate> TextTemplate::parse(std::string_view s) {
    TextTemplate t;
    std::string literal;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '{' && i + 2 < s.size() && name_start(s[i + 2])) {
            std::size_t j = i + 3;
            while (j < s.size() && name_char(s[j])) ++j;
            if (j + 1 < s.size() && s[j] == '}' && s[j + 1] == '}') {
                t.literals_.push_back(std::move(literal));
                literal.clear();
                t.names_.emplace_back(s.substr(i + 2, j - i - 2));
                i = j + 2;
                continue;
            }
        }
        literal += s[i++];
    }
    if (t.names_.empty()) return std::nullopt;
    t.literals_.push_back(std::move(literal));
    t.source_ = std::string(s);
    return t;
}

std::optional<std::string> TextTemplate::render(const TemplateVars* vars, std::string* missing) const {
    std::string out = literals_[0];
    for (std::size_t i = 0; i < names_.size(); ++i) {
        const std::string* v = vars ? vars->lookup(names_[i]) : nullptr;
        if (!v) {
            if (missing) *missing = names_[i];
            return std::nullopt;
        }
        out += *v;
        out += literals_[i + 1];
    }
    return out;
}

bool has_templates(const json& v) {
    if (v.is_string()) return TextTemplate::parse(v.get_ref<const std::string&>()).has_value();
    if (v.is_structured())
        for (const auto& x : v)
            if (has_templates(x)) return true;
    return false;
}

void template_names(const json& v, std::vector<std::string>& out) {
    if (v.is_string()) {
        if (auto t = TextTemplate::parse(v.get_ref<const std::string&>()))
            for (const auto& n : t->names())
                if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    } else if (v.is_structured()) {
        for (const auto& x : v) template_names(x, out);
    }
}

std::optional<json> render_json(const json& v, const TemplateVars* vars, std::string* missing) {
    if (v.is_string()) {
        auto t = TextTemplate::parse(v.get_ref<const std::string&>());
        if (!t) return v;
        auto s = t->render(vars, missing);
        if (!s) return std::nullopt;
        return json(std::move(*s));
    }
    if (v.is_object()) {
        json out = json::object();
        for (const auto& [k, x] : v.items()) {
            auto r = render_json(x, vars, missing);
            if (!r) return std::nullopt;
            out[k] = std::move(*r);
        }
        return out;
    }
    if (v.is_array()) {
        json out = json::array();
        for (const auto& x : v) {
            auto r = render_json(x, vars, missing);
            if (!r) return std::nullopt;
            out.push_back(std::move(*r));
        }
        return out;
    }
    return v;
}

std::string missing_value_text(const std::string& name) {
    const auto& b = builtin_template_names();
    if (std::find(b.begin(), b.end(), name) != b.end()) return "{{" + name + "}} has no value here";
    return "{{" + name + "}} has no value (nothing captured it yet)";
}

} // namespace pushcheck::engine
