// The protocol a profile describes beyond its patterns: framing, join and leave steps, automatic
// replies, ignored messages and subprotocols (docs/profiles.md, "Protocol hooks"). Built once
// per scenario run from the profile; immutable, shared by every client.
#pragma once
#include "pushcheck/engine/framing.hpp"
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/profile.hpp"

#include "engine/pointer.hpp"
#include "engine/templating.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// A message to send: JSON encoded by the framing, or text as it is; templates rendered per client.
struct OutMessage {
    bool encode = true;     // JSON through the framing; false: `text` as it is
    nlohmann::json value;   // encode: the value (templates left in)
    std::string text;       // !encode: the text (templates left in)
    bool templated = false;
    std::string frame;      // !templated: the frame, built once

    /// The frame for a client; nullopt with `why` set when a template has no value or the
    /// rendered value has no encoding.
    std::optional<std::string> build(const TemplateVars* vars, const Framing& framing, std::string* why) const;
    /// What a reason shows: the value or text, templates unrendered.
    std::string show(std::size_t max = 80) const;
};

/// JSON to send through `framing`; throws ConfigError(file, pointer) when it cannot be encoded.
OutMessage out_json(const nlohmann::json& v, const Framing& framing, const std::string& file, const std::string& pointer);
/// Text to send as it is.
OutMessage out_text(const std::string& text);

/// A value taken from a received message into a template name.
struct Capture {
    std::string name;
    std::optional<MessagePointer> pointer;  // none: the frame's text (steps into JSON held in strings)
    std::string pointer_text;
    std::shared_ptr<const std::regex> regex;  // applied to the value's text; group 1 if any, else the match

    /// The captured text, or nullopt with `why`.
    std::optional<std::string> take(const ParsedMessage& m, const std::string& frame, std::string* why) const;
};

/// Parses {"name": "/pointer"} or {"name": {"pointer": "/p", "regex": "(..)"}}; throws ConfigError.
std::vector<Capture> parse_captures(const nlohmann::json& spec, const std::string& file, const std::string& pointer);

/// One item of a join or leave sequence.
struct SequenceItem {
    enum class Kind : std::uint8_t { send, expect };
    Kind kind = Kind::send;
    OutMessage message;           // send
    PatternPtr match, skip;       // expect
    double within_ms = 0;         // expect
    std::vector<Capture> captures;  // expect
    std::string where;            // "join.steps.2", for reasons
};

struct AutoReply {
    PatternPtr match;
    OutMessage reply;
};

struct Protocol {
    std::string profile_name;
    FramingPtr framing;
    std::string join_path;  // the URL path to connect to (templates allowed); "": the room is the path
    std::vector<SequenceItem> join, leave;
    std::vector<AutoReply> auto_reply;
    std::vector<PatternPtr> ignore;
    std::vector<std::string> offer;             // subprotocols offered on every join
    std::optional<std::string> subprotocol;     // the one the server must choose ("": none)
    std::vector<std::string> captured;          // every name the join and leave steps capture
    double message_ms = 3000;                   // an expect item's default deadline (timeouts.message_ms)

    bool classifies() const { return !auto_reply.empty() || !ignore.empty(); }
};

/// The framing a profile names ("framing", default "json"); throws ConfigError for an unknown name.
FramingPtr framing_of(const Profile& p);
/// Builds and checks the protocol hooks of a profile; throws ConfigError naming the profile key.
std::shared_ptr<const Protocol> build_protocol(const Profile& p);

/// The longest a sequence may take (each expect item's deadline, unscaled), for step budgets.
double sequence_budget_ms(const nlohmann::json& profile_values, const char* section);

/// The template names a step or profile value may use: the built-ins and the captured ones.
std::vector<std::string> known_template_names(const Protocol& p);

} // namespace pushcheck::engine
