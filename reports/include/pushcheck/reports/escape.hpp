// Making text from a (possibly hostile) target safe to show in XML, HTML and terminals.
#pragma once
#include <string>
#include <string_view>

namespace pushcheck::reports {

/// How sanitize_text treats line breaks and tabs.
enum class Lines {
    keep,     // \n and \t stay as they are (\r is always escaped)
    escape,   // \n, \r and \t become the visible "\n", "\r", "\t" (one-line output)
};

/// Valid UTF-8 with only printable characters: each byte of an invalid UTF-8 sequence
/// becomes U+FFFD, C0/C1 controls and DEL become "\xNN" (or "\uNNNN" for C1),
/// U+FFFE/U+FFFF (not allowed in XML) become "\uFFFE"/"\uFFFF".
std::string sanitize_text(std::string_view s, Lines lines = Lines::escape);

/// sanitize_text(s, lines) with & < > " ' as XML entities: valid XML 1.0 text whatever `s`
/// holds. Lines::keep is for text content only (attributes would fold the line breaks).
std::string xml_escape(std::string_view s, Lines lines = Lines::escape);

/// sanitize_text(s, lines) with & < > " ' as HTML entities.
std::string html_escape(std::string_view s, Lines lines = Lines::escape);

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view s);

/// At most `max_bytes` bytes of `s`, cut at a UTF-8 character boundary.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

} // namespace pushcheck::reports
