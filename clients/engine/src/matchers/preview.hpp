// The start of a received text, as explanations of a message without a JSON value show it.
#pragma once
#include <string>
#include <string_view>

namespace pushcheck::engine {

/// The first 60 bytes of `data` as a JSON string literal ("..." inside the quotes marks a cut;
/// bytes that are not UTF-8 become U+FFFD), e.g. "{\"event\":" for a message that is not JSON.
std::string text_preview(std::string_view data);

} // namespace pushcheck::engine
