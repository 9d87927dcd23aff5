// The pushcheck command line, as a library function so tests can call it in-process.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace pushcheck::run {

/// Exit codes of `pushcheck run` (and of the other commands where they apply).
enum ExitCode : int {
    exit_ok = 0,           // no required (must-level) check failed
    exit_failed = 1,       // a must-level check failed
    exit_usage = 2,        // bad usage, or a bad scenario or profile file
    exit_unreachable = 3,  // no connection to the target could be made at all
};

/// Runs `pushcheck ARGS...` (args excludes the program name). Never throws.
/// `handle_signals`: SIGINT/SIGTERM during `run` write the reports of what finished and exit
/// 130/143 (the real executable; in-process tests leave the signals alone).
int main_entry(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
               bool handle_signals = false);

} // namespace pushcheck::run
