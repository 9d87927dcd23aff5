// The nowtime-server command line: flag parsing and the whole main(), shared by the
// production binary and the test-only nowtime-mutant (which adds --fault).
#pragma once
#include "nowtime/server.hpp"

#include <optional>
#include <string>

namespace nowtime {

/// Which program the command line belongs to.
struct MainConfig {
    std::string program = "nowtime-server";
    bool allow_faults = false;  // offer --fault NAME (nowtime-mutant only)
};

/// The outcome of parsing: options to run with, or an exit code with text to print.
struct CommandLine {
    ServerOptions options;
    std::optional<int> exit_code;  // set: do not run; 0 after --help/--version, 2 on bad flags
    std::string out;               // for stdout (--help, --version)
    std::string err;               // for stderr (what was wrong)
};

CommandLine parse_command_line(int argc, const char* const* argv, const MainConfig& config = {});

/// Parses flags, starts the server, prints `listening on HOST:PORT`, and serves until
/// SIGINT or SIGTERM; then closes every session with 1001 and returns 0.
/// Returns 2 for bad flags and 1 when the server cannot start.
int server_main(int argc, const char* const* argv, const MainConfig& config = {});

} // namespace nowtime
