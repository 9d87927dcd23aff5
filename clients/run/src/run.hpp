// The commands behind the command line; each returns an exit code and never throws
// for bad input (ConfigError becomes exit 2 with its message).
#pragma once
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/profile.hpp"
#include "pushcheck/engine/result.hpp"
#include "pushcheck/engine/scenario.hpp"
#include "pushcheck/run/options.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace pushcheck::run {

struct ConsoleStyle {
    bool color = false;  // ANSI colours
    bool tty = false;    // live progress line
};

/// The suite as the options select it: profile (with overrides) and filtered scenarios.
struct Prepared {
    engine::Profile profile;
    std::vector<engine::Scenario> scenarios;
};
/// Throws engine::ConfigError for a bad profile, override, scenario or an empty selection.
Prepared prepare(const RunOptions& o, bool embedded);
/// Writes the --json/--junit/--html files; a write failure turns an ok `code` into exit 2.
void write_reports(const engine::RunResult& result, const RunOptions& o, std::ostream& err, int& code);

int run_command(const RunOptions& o, const ConsoleStyle& style, std::ostream& out, std::ostream& err);
int list_command(const RunOptions& o, const std::string& format, std::ostream& out, std::ostream& err);
int validate_command(const RunOptions& o, const std::vector<std::string>& files, std::ostream& out,
                     std::ostream& err);
/// --source-address: each must be an IP literal this machine can bind to; throws ConfigError.
std::shared_ptr<drivers::SourceAddresses> source_addresses(const std::vector<std::string>& given);
/// The result of a scenario that requires a profile section the profile lacks: not run.
engine::ScenarioResult not_applicable(const engine::Scenario& s, const std::string& driver, const engine::Profile& profile);
/// "K/N" -> {K, N} with 1 <= K <= N; throws ConfigError naming --shard.
engine::Shard parse_shard(const std::string& text);
int merge_command(const RunOptions& o, const std::vector<std::string>& files, const ConsoleStyle& style,
                  std::ostream& out, std::ostream& err);
int report_command(const RunOptions& o, const std::string& results_file, const ConsoleStyle& style,
                   std::ostream& out, std::ostream& err);

} // namespace pushcheck::run
