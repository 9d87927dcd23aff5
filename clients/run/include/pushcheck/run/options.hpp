// What `pushcheck run` was asked to do, after parsing the command line.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pushcheck::run {

/// The parsed options of `pushcheck run` (and the shared ones of list/validate/report).
struct RunOptions {
    std::string target;                 // empty: the embedded reference server
    bool target_given = false;          // --target was on the command line (even if empty)
    std::string ca_file;
    bool insecure = false;
    std::vector<std::string> headers;   // "Name: value"
    std::vector<std::string> scenarios; // files or folders; empty: the installed suite
    std::vector<std::string> extra_scenarios;  // files or folders run in addition to the suite
    std::vector<std::string> filters;   // globs on ids; a leading '!' excludes
    std::vector<std::string> excludes;  // globs on ids to leave out
    int jobs = 0;                       // 0: every scenario at once
    double timeout_scale = 1.0;
    std::string driver = "async";       // async | sync | both
    int threads = 0;                    // async driver threads; 0: the hardware threads
    std::string profile = "nowtime";
    std::vector<std::string> overrides; // key.path=value
    std::size_t max_message_bytes = 1 << 20;
    int max_json_depth = 64;
    std::string json_file, junit_file, html_file;
    bool quiet = false, verbose = false;
    int embedded_interval_ms = 250;
    std::string server_cmd;             // start this server under test first (sh -c)
    int server_timeout_ms = 30000;      // how long the server may take to accept connections
    bool handle_signals = false;        // SIGINT/SIGTERM write partial reports (the real main only)
};

/// Where pushcheck finds its data (scenarios/suite, scenarios/profiles).
struct DataDirs {
    std::string suite;     // default scenario folder
    std::string profiles;  // profile folder
};
DataDirs find_data_dirs();

} // namespace pushcheck::run
