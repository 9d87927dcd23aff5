// Regexes that run on a server's text (patterns' $regex, captures): matched without
// backtracking, so a long string cannot exhaust the stack (internal).
#pragma once
#include <regex>

namespace pushcheck::engine {

// libstdc++'s default matcher is depth-first and recurses once per character matched, so a
// long string from the server (^[a-z]+$ against 100 KB) overflowed the stack. Its breadth-first
// matcher (__polynomial) keeps the stack flat and the time polynomial; it cannot do
// back-references, which are therefore refused.
#if defined(__GLIBCXX__)
inline constexpr std::regex::flag_type kRegexSyntax = std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
inline constexpr std::regex::flag_type kRegexSyntax = std::regex::ECMAScript;
#endif
inline constexpr const char* kNoBackReferences =
    "back-references are not supported (messages are matched without backtracking, in stack that does not "
    "grow with their length)";

} // namespace pushcheck::engine
