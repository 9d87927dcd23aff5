// Templates: `{{name}}` in sent messages, join paths and patterns, rendered per client.
#pragma once
#include "pushcheck/engine/matcher.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushcheck::engine {

/// The names every client has a value for: room, client, group, index.
const std::vector<std::string>& builtin_template_names();

/// A string with `{{name}}` parts, split once. A name is [A-Za-z_][A-Za-z0-9_]*; any other
/// `{{` is literal text.
class TextTemplate {
public:
    /// nullopt when `s` holds no `{{name}}` part.
    static std::optional<TextTemplate> parse(std::string_view s);
    /// The rendered text; nullopt with `missing` set to the first name without a value.
    std::optional<std::string> render(const TemplateVars* vars, std::string* missing = nullptr) const;
    const std::vector<std::string>& names() const { return names_; }
    const std::string& source() const { return source_; }

private:
    std::string source_;
    std::vector<std::string> literals_;  // literals_[i] comes before names_[i]; one more literal at the end
    std::vector<std::string> names_;
};

/// True when some string in `v` (not a key) holds a `{{name}}` part.
bool has_templates(const nlohmann::json& v);
/// Every template name used in the strings of `v`, in order of appearance.
void template_names(const nlohmann::json& v, std::vector<std::string>& out);
/// `v` with every templated string rendered; nullopt with `missing` set when a name has no value.
std::optional<nlohmann::json> render_json(const nlohmann::json& v, const TemplateVars* vars, std::string* missing = nullptr);

/// "{{sid}} has no value (nothing captured it yet)" / "... (not a template name)".
std::string missing_value_text(const std::string& name);

} // namespace pushcheck::engine
