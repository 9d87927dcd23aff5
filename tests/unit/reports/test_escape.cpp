// Sanitising and escaping of text from the target.
#include "pushcheck/reports/escape.hpp"

#include <catch2/catch.hpp>

using namespace pushcheck::reports;
using namespace std::string_literals;

static const std::string kFFFD = "\xEF\xBF\xBD";

TEST_CASE("invalid UTF-8 becomes U+FFFD, one per maximal ill-formed subpart", "[escape]") {
    CHECK(sanitize_text("a\xff" "b") == "a" + kFFFD + "b");
    CHECK(sanitize_text("\xc3\x28") == kFFFD + "(");           // bad continuation: the '(' survives
    CHECK(sanitize_text("x\xe2\x82") == "x" + kFFFD);           // truncated 3-byte sequence
    CHECK(sanitize_text("\xc0\xaf") == kFFFD + kFFFD);          // overlong
    CHECK(sanitize_text("\xed\xa0\x80") == kFFFD + kFFFD + kFFFD);  // encoded surrogate
    CHECK(sanitize_text("\xf4\x90\x80\x80") == kFFFD + kFFFD + kFFFD + kFFFD);  // above U+10FFFF
    CHECK(sanitize_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST_CASE("control characters become visible escapes", "[escape]") {
    CHECK(sanitize_text("a\x07z") == "a\\x07z");
    CHECK(sanitize_text("\x1b[31m") == "\\x1b[31m");
    CHECK(sanitize_text("nul\x00!"s) == "nul\\x00!");
    CHECK(sanitize_text("\x7f") == "\\x7f");
    CHECK(sanitize_text("\xc2\x85") == "\\u0085");             // C1 NEL
    CHECK(sanitize_text("\xef\xbf\xbe\xef\xbf\xbf") == "\\uFFFE\\uFFFF");
    CHECK(sanitize_text("a\nb\tc\rd") == "a\\nb\\tc\\rd");
    CHECK(sanitize_text("a\nb\tc\rd", Lines::keep) == "a\nb\tc\\rd");
}

TEST_CASE("XML and HTML escaping cover markup, quotes and CDATA ends", "[escape]") {
    CHECK(xml_escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    CHECK(xml_escape("]]>") == "]]&gt;");
    CHECK(html_escape("<script>'") == "&lt;script&gt;&#39;");
    CHECK(xml_escape("\x01<\xff") == "\\x01&lt;" + kFFFD);
}

TEST_CASE("UTF-8 validity and cutting at character boundaries", "[escape]") {
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("\xe2\x82\xac"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
    CHECK(utf8_prefix("ab\xe2\x82\xac", 4) == "ab");           // never half a euro sign
    CHECK(utf8_prefix("ab\xe2\x82\xac", 5) == "ab\xe2\x82\xac");
    CHECK(utf8_prefix("abc", 2) == "ab");
}
