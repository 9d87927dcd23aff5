// Shared by the client-side fuzz targets: the input as text, a check that aborts naming the
// broken invariant and where it is, and the only errors that bad input may raise.
#pragma once
#include "pushcheck/engine/error.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace pushcheck::fuzz {

inline std::string text(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void broken(const char* file, int line, const char* invariant) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, invariant);
    std::abort();
}

/// Runs `f`; a ConfigError, which must name its file and problem, is the expected answer to
/// bad input. Any other exception escapes: libFuzzer reports it.
template <class F>
void rejecting_bad_input(F&& f) {
    try {
        f();
    } catch (const engine::ConfigError& e) {
        if (e.file().empty() || e.problem().empty()) broken(__FILE__, __LINE__, "a ConfigError names its file and problem");
    }
}

} // namespace pushcheck::fuzz

#define FUZZ_EXPECT(cond) ((cond) ? void() : ::pushcheck::fuzz::broken(__FILE__, __LINE__, #cond))
