// Small helpers shared by the loader, steps and checks (internal to pushcheck_engine).
#pragma once
#include "pushcheck/engine/transcript.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pushcheck::engine::util {

/// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
/// Levenshtein distance (for "did you mean").
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidates closest to `word` (distance <= max(2, len/3)), best first, at most 3.
std::vector<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);
/// " (did you mean "x"?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// 3000 -> "3000", 3000.25 -> "3000.25": milliseconds in reasons, at most 3 decimals.
std::string num(double v);
/// Rounds to 3 decimals, for measurements.
double round3(double v);

/// `s` on one line (control characters escaped), cut at `max` characters.
std::string one_line(std::string_view s, std::size_t max = 200);
/// One line showing what an event carried: the start of its text, or "a binary message of N bytes".
std::string preview(const Event& e, std::size_t max = 100);
/// "code 1000, clean" / "no close frame: connection reset" for a `closed` event.
std::string describe_close(const Event& e);

/// (line, column), both 1-based, of the byte at `offset` in `text`.
std::pair<int, int> line_col(std::string_view text, std::size_t offset);

/// Parses configuration JSON; a syntax error or a number out of range becomes
/// ConfigError(file, "LINE:COL", problem).
nlohmann::json parse_config_json(const std::string& text, const std::string& file);

/// (line, column) of each element of the top-level array member `key` (valid JSON only).
std::vector<std::pair<int, int>> element_positions(std::string_view text, std::string_view key);

/// Reads a whole file; throws ConfigError(file, "", "cannot read ...").
std::string read_file(const std::string& file);

} // namespace pushcheck::engine::util
