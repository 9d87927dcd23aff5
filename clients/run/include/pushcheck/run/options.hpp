// What `pushcheck run` was asked to do, after parsing the command line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pushcheck::run {

/// The options of `pushcheck load` besides the shared ones.
struct LoadOptions {
    int clients = 0;
    std::vector<std::string> rooms;  // request paths; "/room-{1..10}" expands; empty: the profile's first room
    double ramp = 0;                 // connections per second (0: all at once)
    double duration_s = 10;
    double churn = 0;                // share of clients that leave (close request, then abruptly) and rejoin
    std::int64_t max_missed = 0;
    int stalled = 0;                 // members of the first room that stop reading and flood the server
    bool print_scenario = false;
};

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
    /// Events kept per client besides evidence: the first 8 and the last N (0: every event).
    std::size_t keep_events = 24;
    std::size_t keep_clients = 0;       // clients that get that window (0: all; load: 100)
    std::string driver = "async";       // async | sync | both
    int threads = 0;                    // async driver threads; 0: the hardware threads
    std::string profile = "nowtime";
    std::vector<std::string> overrides; // key.path=value
    std::size_t max_message_bytes = 1 << 20;
    int max_json_depth = 64;
    std::string json_file, junit_file, html_file;
    bool quiet = false, verbose = false;
    int embedded_interval_ms = 250;
    std::vector<std::string> source_addresses;  // bind connections to these local IPs in turn
    std::string progress = "auto";      // live line: auto (a TTY), always, never
    std::string shard;                  // "K/N": run slice K (from 1) of N of every client group
    std::string server_cmd;             // start this server under test first (sh -c)
    int server_timeout_ms = 30000;      // how long the server may take to accept connections
    bool handle_signals = false;        // SIGINT/SIGTERM write partial reports (the real main only)
    bool load_figures = false;          // pushcheck load: lift the delivery figures into the results
    LoadOptions load_options;           // with load_figures
    std::vector<std::string> load_rooms;
};


/// Where pushcheck finds its data (scenarios/suite, scenarios/profiles).
struct DataDirs {
    std::string suite;     // default scenario folder
    std::string profiles;  // profile folder
};
DataDirs find_data_dirs();

} // namespace pushcheck::run
