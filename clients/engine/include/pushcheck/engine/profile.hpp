// A profile: what a target speaks (rooms, messages, interval, tolerances, close codes).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// A profile document plus where it came from. Values are read by JSON pointer
/// (e.g. "/push/interval_ms"); scenarios refer to them with {"$profile": "push.interval_ms"}.
struct Profile {
    std::string name;   // "nowtime"
    std::string file;   // path it was loaded from
    nlohmann::json values;

    /// Value at a dotted path ("push.interval_ms", "rooms.valid.0"); throws ConfigError if absent.
    const nlohmann::json& at(const std::string& dotted) const;
    /// Value at a dotted path, or nullptr.
    const nlohmann::json* find(const std::string& dotted) const;
};

/// Converts "push.interval_ms" to the JSON pointer "/push/interval_ms".
std::string dotted_to_pointer(const std::string& dotted);

/// Builds a profile from a parsed document (name from its "name" key) and validates it.
Profile make_profile(nlohmann::json values, const std::string& file);

/// Loads a profile by name (looked up as DIR/NAME.json in each of `search_dirs`) or by file
/// path. Throws ConfigError with file, line/column or JSON pointer, and what was expected.
Profile load_profile(const std::string& name_or_file, const std::vector<std::string>& search_dirs);

/// Applies "key.path=value" (value parsed as JSON, else taken as a string). The key must
/// exist in the profile and the new value must have the same JSON type (numbers: integer
/// or float interchangeable). Throws ConfigError naming the key otherwise.
void apply_override(Profile& p, const std::string& assignment);

/// Checks the profile's required keys and types; throws ConfigError on the first problem.
void validate_profile(const Profile& p);

} // namespace pushcheck::engine
