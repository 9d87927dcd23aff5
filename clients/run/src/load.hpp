// pushcheck load: the generated scenario and the load figures of its run (internal).
#pragma once
#include "run.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace pushcheck::run {

/// "/room-{1..3}" -> /room-1, /room-2, /room-3; other paths as they are. Throws ConfigError.
std::vector<std::string> expand_rooms(const std::vector<std::string>& specs, bool paths = true);
/// The scenario `pushcheck load` runs. Throws ConfigError naming the option at fault.
nlohmann::ordered_json build_load_scenario(const LoadOptions& lo, const std::vector<std::string>& rooms);
/// Lifts the delivery check's figures (and stall_outcome's) into result.load, with `asked`
/// (what the load test was asked to do) as result.load["load"].
void lift_delivery_figures(engine::RunResult& result, nlohmann::json asked);
/// Lifts the delivery check's figures and pushcheck's own CPU and peak RSS into result.load.
void add_load_figures(engine::RunResult& result, const LoadOptions& lo, const std::vector<std::string>& rooms);
/// Three lines: clients and pushes, latency percentiles, pushcheck's cost (nothing without figures).
void print_load_figures(const engine::RunResult& result, std::ostream& out);

int load_command(RunOptions o, const LoadOptions& lo, const ConsoleStyle& style, std::ostream& out, std::ostream& err);

} // namespace pushcheck::run
