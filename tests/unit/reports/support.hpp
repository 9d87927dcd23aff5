// Test support for the reporter tests: golden files, artifacts and external validators.
#pragma once
#include "pushcheck/engine/result.hpp"

#include <string>

namespace pushcheck::test {

/// Compares `actual` with tests/golden/NAME after normalisation; with PUSHCHECK_UPDATE_GOLDEN=1
/// rewrites the golden file instead. On a mismatch writes NAME.actual to the artifact dir.
void check_golden(const std::string& name, const std::string& actual);

/// Replaces what legitimately changes between builds (the version) with placeholders.
std::string normalise(const std::string& text);

/// The artifact directory (build dir's test-artifacts/reports), created on first use.
std::string artifact_dir();
/// Writes `text` to the artifact dir as NAME and returns the full path.
std::string write_artifact(const std::string& name, const std::string& text);
std::string read_text(const std::string& path);

/// Runs a shell command with a time limit; stdout goes to `log`, stderr to `err_log` (or
/// also to `log` when empty). Returns the exit status.
int run_command(const std::string& command, const std::string& log, const std::string& err_log = "");

/// The writers' output as strings.
std::string junit_of(const engine::RunResult& run);
std::string html_of(const engine::RunResult& run);
std::string json_of(const engine::RunResult& run);

} // namespace pushcheck::test
