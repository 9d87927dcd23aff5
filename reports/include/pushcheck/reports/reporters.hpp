// Reporters turn a RunResult into files and console text. No sockets here.
#pragma once
#include "pushcheck/engine/result.hpp"

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace pushcheck::reports {

/// The version of the results document written by write_json (its "schema_version").
inline constexpr int kResultsSchemaVersion = 1;

/// JUnit XML (Apache Ant schema): one testsuite per driver, one testcase per scenario.
void write_junit(const engine::RunResult& run, std::ostream& out);
/// One self-contained HTML file (inline CSS/JS/SVG, no network).
void write_html(const engine::RunResult& run, std::ostream& out);
/// The results document (schema: reports/results.schema.json).
void write_json(const engine::RunResult& run, std::ostream& out);
/// Reads a results document back; throws engine::ConfigError naming the JSON pointer.
/// The summary and the run's merged latency are recomputed from the scenarios.
engine::RunResult read_json(std::istream& in, const std::string& file_name);

/// Console output options.
struct ConsoleOptions {
    bool color = false;    // ANSI colours (only on a TTY and without NO_COLOR)
    bool quiet = false;    // -q: only failures and the summary
    bool verbose = false;  // -v: transcripts too
};

/// One line per finished scenario (failures add the reason and the last transcript events).
void print_scenario_line(const engine::ScenarioResult& s, const ConsoleOptions& o, std::ostream& out);
/// The closing summary table.
void print_summary(const engine::RunResult& run, const ConsoleOptions& o, std::ostream& out);

/// Writes `text` to `path`, creating parent directories; returns false and sets error.
bool write_file(const std::string& path, const std::string& text, std::string& error);

/// A file report format: its name (as in --junit/--html/--json) and its writer.
struct FileWriter {
    std::string_view format;  // "junit", "html" or "json"
    void (*write)(const engine::RunResult& run, std::ostream& out);
};
/// Every file report format, in the order the CLI lists them.
const std::vector<FileWriter>& file_writers();
/// The writer for `format`, or nullptr.
const FileWriter* find_writer(std::string_view format);

} // namespace pushcheck::reports
