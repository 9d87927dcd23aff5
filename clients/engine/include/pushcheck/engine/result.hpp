// The result model: what a run found, as reporters read it. No I/O here.
#pragma once
#include "pushcheck/engine/histogram.hpp"
#include "pushcheck/engine/transcript.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// How much a scenario or check matters: must -> fail, should -> non_strict, may -> informational.
enum class Level { must, should, may };

/// The graded outcome of a check, a step or a whole scenario. not_applicable: the scenario
/// needs something the profile does not describe (its `requires`), so it was not run; it is
/// shown and counted, never a failure.
enum class Verdict { pass, fail, non_strict, informational, harness_error, not_applicable };

const char* to_string(Level l);
const char* to_string(Verdict v);
std::optional<Level> level_from_string(const std::string& s);
std::optional<Verdict> verdict_from_string(const std::string& s);
/// The verdict a failed item at this level earns.
Verdict failing_verdict(Level l);
/// Worst-first order used to combine verdicts: fail > non_strict > harness_error > informational > pass > not_applicable.
int severity(Verdict v);

/// The outcome of one step or one check inside a scenario.
struct Finding {
    std::string kind;      // "step" or "check"
    std::string name;      // step type ("expect") or check name ("interval")
    std::string where;     // "steps/3" or "checks/0": JSON pointer into the scenario file
    Level level = Level::must;
    Verdict verdict = Verdict::pass;
    std::string reason;                 // one line; empty on pass
    std::vector<std::size_t> evidence;  // indices into the scenario's transcript
    nlohmann::json measurements = nlohmann::json::object();  // e.g. {"p50_ms":..}
    nlohmann::json definition;  // failed findings: the step or check object after $profile references (null: not kept)
};

/// A named series of samples for charts, e.g. push inter-arrival times of client "a".
struct Series {
    std::string name;       // "interval a"
    std::string unit;       // "ms"
    double nominal = 0;     // the expected value (0: none)
    double tolerance = 0;   // allowed deviation around nominal (0: none)
    std::vector<double> values;
};

/// Everything known about one scenario run under one driver.
struct ScenarioResult {
    std::string id;          // "lifecycle.close_bye"
    std::string group;       // "lifecycle" (the id up to its last dot)
    std::string title;
    std::string description;
    std::string file;        // the scenario file it came from
    Level level = Level::must;
    std::string driver;      // "async" or "sync"
    Verdict verdict = Verdict::pass;
    std::string reason;      // one line: why this verdict (the worst finding's reason)
    double started_ms = 0;   // when it started, in ms since the run started (wall time of suites)
    double duration_ms = 0;
    std::vector<Finding> findings;
    Transcript transcript;
    Histogram latency;             // push latency samples (us), when measured
    std::vector<Series> series;    // cadence and other charts
    nlohmann::json measurements = nlohmann::json::object();  // merged from findings

    /// Verdict, reason and measurements from the findings: the worst finding decides.
    void regrade();
};

struct Summary {
    int total = 0, pass = 0, fail = 0, non_strict = 0, informational = 0, harness_error = 0, not_applicable = 0;
    void add(Verdict v);
};

/// A scenario that was still running (or not started) when the run was interrupted.
struct Unfinished {
    std::string id;
    std::string driver;
};

/// The run was stopped by a signal (Ctrl-C, SIGTERM): what finished is reported.
struct Interruption {
    std::string signal;                 // "SIGINT" or "SIGTERM"
    std::vector<Unfinished> unfinished; // scenarios without a result
};

/// The server under test that pushcheck started with --server-cmd.
struct ServerProcess {
    std::string command;
    int pid = 0;
    std::string exit;       // how it ended: "exit 0", "signal SIGTERM", "still running" ...
    std::string log_tail;   // the last lines of its stdout and stderr (kept in reports when something failed)
};

/// `--shard K/N`: this run is slice K (from 1) of N (see ClientTable::build).
struct Shard {
    unsigned index = 1;
    unsigned count = 1;
};

/// A whole pushcheck run.
struct RunResult {
    std::string pushcheck_version;
    std::string target;            // ws://host:port or "embedded (ws://127.0.0.1:PORT)"
    bool embedded = false;
    std::string profile_name;
    nlohmann::json profile = nlohmann::json::object();  // the effective profile values
    std::vector<std::string> drivers;
    std::string started_at;        // ISO 8601 UTC
    double duration_ms = 0;
    std::string hostname;
    std::vector<ScenarioResult> scenarios;
    Summary summary;
    Histogram latency;             // all scenarios' latency merged
    bool target_unreachable = false;
    std::vector<std::string> dialled;        // the room URLs dialled (credentials and query values redacted)
    std::optional<Interruption> interrupted; // set when a signal stopped the run
    std::optional<ServerProcess> server;     // set with --server-cmd
    /// `pushcheck load`: the run's load figures (clients, messages, latency_us, harness, ...),
    /// written as top-level members of the results document. Empty otherwise.
    nlohmann::json load = nlohmann::json::object();
    std::optional<Shard> shard;               // set with --shard
    std::vector<std::string> merged_from;     // pushcheck merge: the shards' results documents, in shard order

    void recompute_summary();
};

} // namespace pushcheck::engine
