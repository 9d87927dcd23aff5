// Framing: how a target writes messages inside WebSocket frames (the profile's `framing`).
// Matchers, captures and checks see the decoded value; sent JSON is encoded.
#pragma once
#include "pushcheck/engine/matcher.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushcheck::engine {

/// A text codec between frames on the wire and the JSON values scenarios and profiles speak.
/// Immutable and stateless: one instance serves every client and thread.
class Framing {
public:
    virtual ~Framing() = default;
    /// "json" or "socketio".
    virtual const char* name() const = 0;
    /// A received payload as matchers see it: Kind::json with the decoded value, or why it has
    /// none (binary, too_deep, not_json, or undecodable with `preview` and `problem`).
    virtual ParsedMessage decode(std::string_view data, bool binary, int max_depth) const = 0;
    /// The text frame that carries `value`; nullopt with `why` set when `value` has no
    /// encoding in this framing (e.g. a Socket.IO packet without "type").
    virtual std::optional<std::string> encode(const nlohmann::json& value, std::string* why) const = 0;
    /// True when the decoded value differs from the payload's own JSON (reports then show both).
    virtual bool transforms() const = 0;
};

using FramingPtr = std::shared_ptr<const Framing>;

/// The framing called `name` ("json", "socketio"); nullptr for an unknown name.
FramingPtr make_framing(std::string_view name);
/// Every framing name, for error messages and the schema.
const std::vector<std::string>& framing_names();

} // namespace pushcheck::engine
