// Parameters of steps and checks: their declared specs (for the loader) and a typed reader
// of resolved values (for the factories), both reporting errors by file and JSON pointer.
#pragma once
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/profile.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace pushcheck::engine {

struct ClientDecl;

/// Index of one client (one member of a group counts as one client) in a scenario.
using ClientId = std::uint32_t;
inline constexpr ClientId kNoClient = ~ClientId{0};

/// The clients of a scenario with groups expanded: id -> name, and name -> ids.
class ClientTable {
public:
    /// Expands the declarations; throws ConfigError naming the pointer for duplicate names.
    /// With a shard (`shard_index` of `shard_count`, from 0) only a deterministic slice of
    /// every group is kept: member k (from 1) when (k - 1) % shard_count == shard_index; a
    /// single client counts as member 1 of its own group. Members keep their names (m5 is m5
    /// in every shard), and the others are known but absent: resolve() skips them.
    static ClientTable build(const std::vector<ClientDecl>& decls, const std::string& file,
                             unsigned shard_index = 0, unsigned shard_count = 1);

    std::size_t size() const { return names_.size(); }
    const std::string& name(ClientId id) const { return names_[id]; }
    std::optional<ClientId> find(const std::string& member) const;
    /// Resolves a step's or check's "client" value: a name, a group name, a list of names, or "*".
    /// Returns the members in declaration order without duplicates; on error sets `error`.
    std::optional<std::vector<ClientId>> resolve(const nlohmann::json& ref, std::string& error) const;
    /// "a, b, m (group m1..m20)" for error messages.
    std::string listing() const;
    /// True when this table is one shard's slice and `name` (a member, a group or a client)
    /// is declared but has no member here.
    bool absent(const std::string& name) const;

private:
    struct Decl { std::string name; int count = 0; ClientId first = 0; int kept = 0; };
    std::vector<std::string> names_;
    std::vector<Decl> decls_;
    std::unordered_map<std::string, ClientId> member_index_;
    std::unordered_set<std::string> absent_;  // members declared but in another shard
    unsigned shard_index_ = 0, shard_count_ = 1;
};

/// JSON type a parameter takes (checked by the loader and again, after profile
/// references are resolved, by the Params reader).
enum class ParamType {
    string,
    number,        // any number (min and max apply)
    duration,      // milliseconds: a number >= 0 (or >= min), at most one day
    integer,       // an integer (min and max apply)
    boolean,
    pattern,       // a matcher pattern
    pattern_pair,  // [pattern, pattern]
    strings,       // array of strings
    integers,      // array of integers
    headers,       // object of string values
    pointer,       // a JSON pointer: "" or "/..."
    choice,        // one of `choices`
    json,          // any JSON value
};

/// One declared parameter of a step or check: the one place its rules are written. The
/// loader checks literal values against it, the Params reader the values after profile
/// references are resolved (both through check_params); factories keep only the rules a spec
/// cannot express (several parameters together, byte lengths, profile defaults).
struct ParamSpec {
    std::string name;
    ParamType type = ParamType::json;
    bool required = false;
    std::vector<std::string> choices;  // choice: the allowed strings
    double min = -std::numeric_limits<double>::infinity();  // number, duration, integer
    double max = std::numeric_limits<double>::infinity();   // number, integer
};

/// Validates one parameter value against its spec; returns "" or the problem.
/// Values holding a {"$profile": ...} reference are checked after binding instead.
std::string check_param(const ParamSpec& spec, const nlohmann::json& value, const std::string& file,
                        const std::string& pointer);

/// Checks the parameters of step or check object `item` (at `pointer` in `file`) against
/// `specs`: every required one is present, every present one passes check_param. `what`
/// names the item for a missing parameter ("step join"). Throws ConfigError.
void check_params(const std::vector<ParamSpec>& specs, const nlohmann::json& item, const std::string& what,
                  const std::string& file, const std::string& pointer);

/// True when `v` holds a {"$profile": ...} reference anywhere.
bool contains_profile_ref(const nlohmann::json& v);

/// Replaces every {"$profile": "path", "times": x, "plus": y} in `v` by the profile value.
/// Throws ConfigError(file, pointer of the reference, problem) when the path is missing or
/// times/plus meet a value that is not a number.
nlohmann::json resolve_profile_refs(const nlohmann::json& v, const Profile& profile, const std::string& file,
                                    const std::string& pointer);

/// Reads the resolved parameters of one step or check. Defaults may come from the profile
/// (a dotted path); every error names the scenario file and JSON pointer, or the profile
/// key when a default is missing.
class Params {
public:
    /// A step or check object (with "step" or "check") is checked against its type's declared
    /// specs first (check_params), now with its profile references resolved.
    Params(const nlohmann::json& object, std::string file, std::string pointer, const Profile& profile);

    bool has(const char* key) const;
    const nlohmann::json& raw(const char* key) const;
    const std::string& file() const { return file_; }
    const std::string& pointer() const { return pointer_; }
    const Profile& profile() const { return profile_; }

    double number(const char* key) const;
    double number_or(const char* key, double fallback) const;
    /// The parameter, else the profile value at `profile_path` (which must be a number).
    double number_or_profile(const char* key, const char* profile_path) const;
    /// A value of the profile (dotted path), which must be a number; names this step as the user.
    double profile_number(const char* profile_path, const char* for_key) const;
    std::int64_t integer_or(const char* key, std::int64_t fallback) const;
    bool boolean_or(const char* key, bool fallback) const;
    std::string string_or(const char* key, const std::string& fallback) const;
    std::string string_or_profile(const char* key, const char* profile_path) const;
    std::vector<std::string> strings_or(const char* key, std::vector<std::string> fallback) const;
    std::vector<int> integers_or_profile(const char* key, const char* profile_path) const;
    std::vector<std::pair<std::string, std::string>> headers(const char* key) const;
    PatternPtr pattern(const char* key) const;  // required
    PatternPtr pattern_or_profile(const char* key, const char* profile_path) const;
    PatternPtr optional_pattern(const char* key) const;  // nullptr when absent
    PatternPtr pattern_at(const char* key, std::size_t index) const;

    /// Throws ConfigError(file, pointer/key, problem).
    [[noreturn]] void fail(const char* key, const std::string& problem) const;

private:
    const nlohmann::json& profile_value(const char* profile_path, const char* for_key) const;
    std::string where(const char* key) const;
    std::string origin() const;  // the profile's file, for errors about its values

    const nlohmann::json& object_;
    std::string file_;
    std::string pointer_;
    const Profile& profile_;
};

/// Escapes a key for a JSON pointer (~ -> ~0, / -> ~1).
std::string pointer_escape(const std::string& key);

} // namespace pushcheck::engine
