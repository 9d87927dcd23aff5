// Reading a received message by JSON pointer, stepping into JSON held in strings on the way
// (Pusher's "data": "{\"time\":...}" read at /data/time).
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// A JSON pointer split into its tokens once (when a check is made), so that resolving it per
/// message neither parses nor allocates.
class MessagePointer {
public:
    MessagePointer() = default;  // "": the whole value
    explicit MessagePointer(const nlohmann::json::json_pointer& p);

    struct Token {
        std::string key;    // unescaped ("~1" is "/", "~0" is "~")
        std::size_t index;  // as an array index; kNoIndex when the token is not one ("01", "-", "x")
    };
    static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);
    const std::vector<Token>& tokens() const { return tokens_; }

private:
    std::vector<Token> tokens_;
};

/// Owns the values decoded from JSON strings while resolving a pointer; what resolve_pointer
/// returns may point into it, until the next call with the same scratch.
struct PointerScratch {
    nlohmann::json decoded;
};

/// The value at `p` in `root`, or nullptr when there is none. When a token would step into a
/// string, the string is parsed as JSON (nesting at most 64 deep; nullptr when it is not JSON)
/// and the walk goes on inside it. Never throws; allocates only when it crosses a string.
const nlohmann::json* resolve_pointer(const nlohmann::json& root, const MessagePointer& p, PointerScratch& scratch);

} // namespace pushcheck::engine
