// pushcheck merge: the results documents of the shards of one run (--shard K/N) combined
// into the reports of the whole run, judged again from the combined data.
#include "load.hpp"
#include "run.hpp"

#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/merge.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "pushcheck/run/app.hpp"

#include <fstream>
#include <ostream>

namespace pushcheck::run {

namespace {

/// pushcheck load's figures of the merged run: delivery's lifted again, the harness's cost
/// summed over the shards (peak RSS: the largest shard's).
void merge_load_figures(engine::RunResult& merged, const std::vector<engine::RunResult>& shards) {
    nlohmann::json asked;
    double cpu_s = 0;
    std::uint64_t peak = 0;
    bool any = false;
    for (const auto& s : shards) {
        if (!s.load.contains("harness")) continue;
        any = true;
        const auto& h = s.load["harness"];
        cpu_s += h.value("cpu_s", 0.0);
        peak = std::max(peak, h.value("peak_rss_bytes", std::uint64_t{0}));
        if (asked.is_null() && s.load.contains("load")) asked = s.load["load"];
    }
    if (!any) return;
    if (!asked.is_object()) asked = nlohmann::json::object();
    asked.erase("per_second");
    asked.erase("stall_outcome");
    asked["shards"] = shards.size();
    merged.load["harness"] = {{"cpu_s", std::round(cpu_s * 1000.0) / 1000.0}, {"peak_rss_bytes", peak}};
    lift_delivery_figures(merged, std::move(asked));
}

} // namespace

int merge_command(const RunOptions& o, const std::vector<std::string>& files, const ConsoleStyle& style,
                  std::ostream& out, std::ostream& err) {
    std::vector<engine::RunResult> shards;
    engine::RunResult merged;
    try {
        for (const auto& f : files) {
            std::ifstream in(f);
            if (!in) throw engine::ConfigError(f, "", "cannot open the file");
            shards.push_back(reports::read_json(in, f));
        }
        merged = engine::merge_shards(shards, files);
    } catch (const engine::ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    merge_load_figures(merged, shards);
    int code = exit_code_of(merged, merged.load.contains("load"));
    write_reports(merged, o, err, code);
    reports::ConsoleOptions copt{style.color, o.quiet, o.verbose};
    if (!o.quiet) out << "pushcheck merge: " << shards.size() << " shards of " << merged.target << "\n";
    if (!o.quiet || merged.summary.fail > 0)
        for (const auto& s : merged.scenarios) reports::print_scenario_line(s, copt, out);
    print_load_figures(merged, out);
    reports::print_summary(merged, copt, out);
    return code;
}

} // namespace pushcheck::run
