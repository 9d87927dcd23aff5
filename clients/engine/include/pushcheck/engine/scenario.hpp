// A scenario as loaded from its JSON file, and the suite loader.
#pragma once
#include "pushcheck/engine/result.hpp"

#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// A client (or a group of `count` clients named name1..nameN) declared by a scenario.
struct ClientDecl {
    std::string name;
    int count = 0;  // 0: a single client called `name`; N: a group name1..nameN
};

/// One scenario file: metadata plus the raw steps and checks. Profile references inside
/// steps and checks are resolved when the scenario is bound to a profile (see runner.hpp).
/// The requirement met by profiles whose framing is JSON text (no `framing`, or "json").
inline constexpr const char* kJsonFrames = "json_frames";

struct Scenario {
    std::string id, title, description, file;
    Level level = Level::must;
    std::vector<std::string> tags;
    /// "requires": the profile sections it needs (e.g. close_request, or a dotted key such as
    /// unknown_room.match), or "json_frames" (the profile's framing is JSON text); a profile
    /// without one of them makes the scenario not_applicable (see missing_sections).
    std::vector<std::string> needs;
    std::vector<ClientDecl> clients;
    nlohmann::json steps = nlohmann::json::array();
    nlohmann::json checks = nlohmann::json::array();
    std::vector<std::pair<int, int>> step_lines;  // (line, column) of each step when known

    std::string group() const;  // id up to the last dot
};

/// Loads one scenario file; throws ConfigError (file, line:col or pointer, problem).
/// Validates structure, step and check names and their parameters (unknown ones list the
/// known ones) without needing a profile.
Scenario load_scenario(const std::string& file);

/// As load_scenario, from text already read; `file` names it in errors.
Scenario parse_scenario(const std::string& text, const std::string& file);

/// Loads every *.json file of a directory (sorted) or the single file given.
/// Duplicate ids are a ConfigError naming both files.
std::vector<Scenario> load_scenarios(const std::vector<std::string>& files_or_dirs);

/// The sections of `needs` that `profile_values` (a profile's values) does not have, in order.
std::vector<std::string> missing_sections(const Scenario& s, const nlohmann::json& profile_values);

/// Shell-style glob on ids: '*' any run, '?' one char. Several patterns may be joined by ','.
bool id_matches(const std::string& id, const std::string& glob);

/// Every step type with a one-line description, sorted by name (for `pushcheck list`).
std::vector<std::pair<std::string, std::string>> known_steps();
/// Every check type with a one-line description, sorted by name.
std::vector<std::pair<std::string, std::string>> known_checks();

} // namespace pushcheck::engine
