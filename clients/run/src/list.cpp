// `pushcheck list`, `pushcheck validate` and `pushcheck report`.
#include "run.hpp"

#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "pushcheck/run/app.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace pushcheck::run {


namespace {

// Markdown table cells: one line, pipes escaped.
std::string cell(std::string s) {
    std::string r;
    for (char c : s) {
        if (c == '|') r += "\\|";
        else if (c == '\n') r += ' ';
        else r += c;
    }
    return r;
}

} // namespace

int list_command(const RunOptions& o, const std::string& format, std::ostream& out, std::ostream& err) {
    Prepared p;
    try {
        p = prepare(o, false);
    } catch (const engine::ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    if (format == "json") {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& s : p.scenarios)
            j.push_back({{"id", s.id}, {"level", engine::to_string(s.level)}, {"title", s.title},
                         {"description", s.description}, {"file", s.file}});
        out << j.dump(2) << "\n";
    } else if (format == "markdown") {
        int must = 0, should = 0, may = 0;
        for (const auto& s : p.scenarios)
            (s.level == engine::Level::must ? must : s.level == engine::Level::should ? should : may)++;
        out << fmt::format("{} scenarios: {} must, {} should, {} may.\n\n", p.scenarios.size(), must, should, may);
        out << "| id | level | title | what it proves |\n|---|---|---|---|\n";
        for (const auto& s : p.scenarios)
            out << fmt::format("| `{}` | {} | {} | {} |\n", s.id, engine::to_string(s.level), cell(s.title),
                               cell(s.description));
    } else {
        std::size_t w = 0;
        for (const auto& s : p.scenarios) w = std::max(w, s.id.size());
        for (const auto& s : p.scenarios)
            out << fmt::format("{:<{}}  {:<6}  {}\n", s.id, w, engine::to_string(s.level), s.title);
    }
    return exit_ok;
}

int validate_command(const RunOptions& o, const std::vector<std::string>& files, std::ostream& out,
                     std::ostream& err) {
    int bad = 0;
    engine::Profile profile;
    try {
        profile = engine::load_profile(o.profile, {find_data_dirs().profiles});
    } catch (const engine::ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    for (const auto& f : files) {
        try {
            // A profile has no "steps"; anything else is read as a scenario.
            std::ifstream in(f);
            if (!in) throw engine::ConfigError(f, "", "cannot open the file");
            nlohmann::json peek = nlohmann::json::parse(in, nullptr, false);
            if (peek.is_object() && !peek.contains("steps") && peek.contains("rooms")) {
                engine::Profile p = engine::load_profile(f, {});
                engine::validate_profile(p);
                out << "ok  " << f << " (profile " << p.name << ")\n";
            } else {
                engine::Scenario s = engine::load_scenario(f);
                engine::ScenarioRunner bind(s, profile, engine::RunOptions{});
                out << "ok  " << f << " (scenario " << s.id << ")\n";
            }
        } catch (const engine::ConfigError& e) {
            ++bad;
            err << "error: " << e.what() << "\n";
        }
    }
    if (bad) err << bad << " of " << files.size() << " files have errors\n";
    return bad ? exit_usage : exit_ok;
}

int report_command(const RunOptions& o, const std::string& results_file, const ConsoleStyle& style,
                   std::ostream& out, std::ostream& err) {
    engine::RunResult result;
    try {
        std::ifstream in(results_file);
        if (!in) throw engine::ConfigError(results_file, "", "cannot open the file");
        result = reports::read_json(in, results_file);
    } catch (const engine::ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    int code = result.target_unreachable ? exit_unreachable : result.summary.fail > 0 ? exit_failed : exit_ok;
    write_reports(result, o, err, code);
    reports::ConsoleOptions copt{style.color, o.quiet, o.verbose};
    if (!o.quiet || result.summary.fail > 0)
        for (const auto& s : result.scenarios) reports::print_scenario_line(s, copt, out);
    reports::print_summary(result, copt, out);
    return code;
}

} // namespace pushcheck::run
