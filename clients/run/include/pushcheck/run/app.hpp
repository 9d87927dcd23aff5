// The pushcheck command line, as a library function so tests can call it in-process.
#pragma once
#include "pushcheck/engine/result.hpp"

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

/// The exit code a finished run earns: 3 when the target was unreachable, 1 when a
/// must-level check failed, and 1 for a load run (`load_run`) that ended in a harness error:
/// its delivery and latency were never judged, so it must not pass a CI gate. Else 0.
int exit_code_of(const engine::RunResult& result, bool load_run);

/// Runs `pushcheck ARGS...` (args excludes the program name). Never throws.
/// `handle_signals`: SIGINT/SIGTERM during `run` write the reports of what finished and exit
/// 130/143 (the real executable; in-process tests leave the signals alone).
int main_entry(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
               bool handle_signals = false);

} // namespace pushcheck::run
