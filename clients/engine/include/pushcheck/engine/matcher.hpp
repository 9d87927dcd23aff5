// Matchers: patterns that judge parsed JSON messages and explain every mismatch.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pushcheck::engine {

/// The values `{{name}}` templates stand for, for one client: `room`, `client`, `group`,
/// `index` and the values captured from its messages. Implemented by the runner.
struct TemplateVars {
    virtual ~TemplateVars() = default;
    /// The value of `name`, or nullptr when it has none (yet).
    virtual const std::string* lookup(std::string_view name) const = 0;
};

/// A received message parsed once: its JSON value, or why it has none.
struct ParsedMessage {
    // undecodable: text the profile's framing cannot decode (e.g. not a Socket.IO packet).
    enum class Kind : std::uint8_t { json, not_json, too_deep, binary, undecodable };
    Kind kind = Kind::not_json;
    int depth_limit = 0;     // too_deep: the limit it crossed
    std::size_t size = 0;    // payload bytes (for "a binary message of N bytes")
    /// json: the parsed value (null otherwise). Copies of a ParsedMessage share it, so that
    /// the members of a room that received the same text share one parse.
    const nlohmann::json& value() const noexcept { return value_ ? *value_ : null_value(); }
    void set_value(nlohmann::json v) { value_ = std::make_shared<const nlohmann::json>(std::move(v)); }
    std::string preview;     // not_json, undecodable: the start of the text, for explanations
    std::string problem;     // undecodable: why, e.g. "not a Socket.IO packet: unknown packet type '9'"
    const TemplateVars* vars = nullptr;  // the receiving client's template values (set by the runner)

private:
    static const nlohmann::json& null_value() noexcept;
    std::shared_ptr<const nlohmann::json> value_;
};

/// Parses a payload once. Text nesting deeper than `max_depth` ('[' and '{' outside strings)
/// is too_deep and is not parsed at all, so hostile input cannot exhaust memory or stack.
ParsedMessage parse_message(std::string_view data, bool binary, int max_depth);

/// Deepest nesting of '[' and '{' outside strings; stops scanning once it exceeds `limit`.
int json_nesting_depth(std::string_view text, int limit);

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (a real date and time, seconds up to 60 for a
/// leap second) into microseconds since the Unix epoch; nullopt for anything else.
std::optional<std::int64_t> parse_iso8601_utc(std::string_view s);

/// How a message writes its timestamp: an ISO-8601 UTC string, or seconds or milliseconds
/// since the Unix epoch (a JSON number, or a string of digits with an optional fraction).
enum class TimestampFormat : std::uint8_t { iso8601_utc, epoch_s, epoch_ms };
/// "iso8601-utc", "epoch-s", "epoch-ms"; nullopt for other names.
std::optional<TimestampFormat> timestamp_format(std::string_view name);
const char* to_string(TimestampFormat f);
/// "an ISO-8601 UTC timestamp", "epoch seconds", "epoch milliseconds".
const char* describe(TimestampFormat f);
/// The instant `v` names in microseconds since the epoch, or nullopt when it is not a
/// timestamp in that format. Epoch values must fall in 1970..2200, so that a counter or a
/// value in the other unit is not taken for a time.
std::optional<std::int64_t> timestamp_us(const nlohmann::json& v, TimestampFormat f);

/// One line showing a JSON value, cut at `max` characters ("..." marks the cut).
std::string show_json(const nlohmann::json& v, std::size_t max = 80);

/// A compiled matcher pattern (docs/scenarios.md, "Matchers"). Regexes are compiled once,
/// here; matching never throws. Immutable, so one pattern is shared by every client.
class Pattern {
public:
    struct Node;

    /// Compiles `spec`; throws ConfigError(file, pointer of the bad part, problem).
    static std::shared_ptr<const Pattern> compile(const nlohmann::json& spec, const std::string& file,
                                                  const std::string& pointer);
    /// Checks `spec` as compile() does but lets {"$profile": ...} stand for any pattern
    /// (scenario files are checked before they are bound to a profile).
    static void check(const nlohmann::json& spec, const std::string& file, const std::string& pointer);

    ~Pattern();
    Pattern(const Pattern&) = delete;
    Pattern& operator=(const Pattern&) = delete;

    /// True when the message matches. Otherwise, when `why` is given, sets it to one line
    /// naming the JSON pointer, what was expected and what came.
    /// Strings with `{{name}}` parts match the value the message's client has for them (m.vars).
    bool matches(const ParsedMessage& m, std::string* why = nullptr) const;
    bool matches(const nlohmann::json& v, std::string* why = nullptr, const TemplateVars* vars = nullptr) const;
    /// What the pattern accepts, in words ("an ISO-8601 UTC timestamp"), cut at `max` characters.
    std::string describe(std::size_t max = 80) const;
    /// True for {"$any": true}.
    bool is_any() const;
    const nlohmann::json& spec() const { return spec_; }

private:
    Pattern();
    nlohmann::json spec_;
    std::unique_ptr<Node> root_;
};

using PatternPtr = std::shared_ptr<const Pattern>;

} // namespace pushcheck::engine
