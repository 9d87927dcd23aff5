#include "pushcheck/reports/escape.hpp"

#include <cstdint>
#include <cstdio>

namespace pushcheck::reports {

namespace {

/// One decoded character: its code point and byte length, or `valid == false` with the
/// length of the maximal ill-formed subpart (at least 1) to replace by one U+FFFD.
struct Decoded {
    char32_t cp = 0;
    std::size_t len = 1;
    bool valid = false;
};

Decoded decode(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) return {b0, 1, true};
    std::size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    char32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        cp = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        cp = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return {};
    }
    std::size_t k = 1;
    for (; k <= need; ++k) {
        if (i + k >= s.size()) return {0, k, false};
        const unsigned char b = byte(i + k);
        const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (b < l || b > h) return {0, k, false};
        cp = (cp << 6) | (b & 0x3F);
    }
    return {cp, need + 1, true};
}

void append_hex(std::string& out, const char* fmt, unsigned v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, fmt, v);
    out += buf;
}

} // namespace

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        Decoded d = decode(s, i);
        if (!d.valid) return false;
        i += d.len;
    }
    return true;
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    std::size_t n = max_bytes;
    // Back up over continuation bytes (at most 3) so a character is never split.
    for (int k = 0; k < 3 && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80; ++k) --n;
    return s.substr(0, n);
}

std::string sanitize_text(std::string_view s, Lines lines) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        Decoded d = decode(s, i);
        if (!d.valid) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            i += d.len;
            continue;
        }
        const char32_t c = d.cp;
        if (c == '\n' || c == '\t') {
            if (lines == Lines::keep) out += static_cast<char>(c);
            else out += c == '\n' ? "\\n" : "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7F) {
            append_hex(out, "\\x%02x", static_cast<unsigned>(c));
        } else if (c >= 0x80 && c <= 0x9F) {
            append_hex(out, "\\u%04X", static_cast<unsigned>(c));
        } else if (c == 0xFFFE || c == 0xFFFF) {
            append_hex(out, "\\u%04X", static_cast<unsigned>(c));
        } else {
            out.append(s.substr(i, d.len));
        }
        i += d.len;
    }
    return out;
}

namespace {
std::string escape_markup(std::string_view s, Lines lines, const char* apos) {
    std::string clean = sanitize_text(s, lines);
    std::string out;
    out.reserve(clean.size() + clean.size() / 8);
    for (char c : clean) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;  // also keeps "]]>" out of the output
        case '"': out += "&quot;"; break;
        case '\'': out += apos; break;
        default: out += c;
        }
    }
    return out;
}
} // namespace

std::string xml_escape(std::string_view s, Lines lines) { return escape_markup(s, lines, "&apos;"); }

std::string html_escape(std::string_view s, Lines lines) { return escape_markup(s, lines, "&#39;"); }

} // namespace pushcheck::reports
