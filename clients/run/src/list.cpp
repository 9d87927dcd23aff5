// `pushcheck list`, `pushcheck validate` and `pushcheck report`.
#include "run.hpp"

#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "pushcheck/run/app.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
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
        std::size_t na = 0;
        for (const auto& s : p.scenarios) na += !engine::missing_sections(s, p.profile.values).empty();
        out << fmt::format("{} scenarios: {} must, {} should, {} may; profile `{}` runs {} of them ({} not applicable).\n\n",
                           p.scenarios.size(), must, should, may, p.profile.name, p.scenarios.size() - na, na);
        out << fmt::format("| id | level | title | what it proves | with `{}` |\n|---|---|---|---|---|\n", p.profile.name);
        for (const auto& s : p.scenarios) {
            const auto missing = engine::missing_sections(s, p.profile.values);
            std::string runs = "runs";
            if (!missing.empty()) {
                runs = "not applicable: requires";
                for (std::size_t i = 0; i < missing.size(); ++i) runs += (i ? ", `" : " `") + missing[i] + "`";
            }
            out << fmt::format("| `{}` | {} | {} | {} | {} |\n", s.id, engine::to_string(s.level), cell(s.title),
                               cell(s.description), runs);
        }
    } else {
        std::size_t w = 0;
        for (const auto& s : p.scenarios) w = std::max(w, s.id.size());
        for (const auto& s : p.scenarios)
            out << fmt::format("{:<{}}  {:<6}  {}\n", s.id, w, engine::to_string(s.level), s.title);
    }
    return exit_ok;
}

namespace {

// Files named on the command line, folders expanded to their *.json files (sorted).
std::vector<std::string> expand(const std::vector<std::string>& args, std::vector<std::string>& problems) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    for (const auto& a : args) {
        std::error_code ec;
        if (fs::is_directory(a, ec)) {
            std::vector<std::string> here;
            for (const auto& e : fs::directory_iterator(a, ec))
                if (e.is_regular_file() && e.path().extension() == ".json") here.push_back(e.path().string());
            if (ec) problems.push_back(a + ": cannot list the folder: " + ec.message());
            else if (here.empty()) problems.push_back(a + ": the folder has no .json files");
            std::sort(here.begin(), here.end());
            files.insert(files.end(), here.begin(), here.end());
        } else {
            files.push_back(a);
        }
    }
    return files;
}

std::string joined(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

// Binds every suite scenario to `profile`: one line per scenario the profile cannot run;
// the scenarios it makes not applicable (a required section it lacks) go to `not_applicable`.
std::vector<std::string> suite_gaps(const engine::Profile& profile, std::vector<std::string>& not_applicable) {
    std::vector<std::string> gaps;
    std::vector<engine::Scenario> suite;
    try {
        suite = engine::load_scenarios({find_data_dirs().suite});
    } catch (const engine::ConfigError& e) {
        gaps.push_back(std::string("the suite itself does not load: ") + e.what());
        return gaps;
    }
    for (const auto& s : suite) {
        if (auto missing = engine::missing_sections(s, profile.values); !missing.empty()) {
            not_applicable.push_back(s.id + " (it requires " + joined(missing) + ", which the profile lacks" +
                                     (std::find(missing.begin(), missing.end(), engine::kJsonFrames) != missing.end()
                                          ? "; json_frames: its framing is not JSON text"
                                          : "") +
                                     ")");
            continue;
        }
        try {
            engine::ScenarioRunner bind(s, profile, engine::RunOptions{});
        } catch (const engine::ConfigError& e) {
            gaps.push_back("suite scenario " + s.id + " cannot run with it: " + e.problem() + " (" + e.file() +
                           (e.where().empty() ? "" : " " + e.where()) + ")");
        }
    }
    return gaps;
}

} // namespace

int validate_command(const RunOptions& o, const std::vector<std::string>& args, std::ostream& out,
                     std::ostream& err) {
    int bad = 0;
    engine::Profile profile;
    try {
        profile = engine::load_profile(o.profile, {find_data_dirs().profiles});
    } catch (const engine::ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    std::vector<std::string> problems;
    const std::vector<std::string> files = expand(args, problems);
    for (const auto& p : problems) err << "error: " << p << "\n";
    bad += static_cast<int>(problems.size());
    std::map<std::string, std::string> ids;  // scenario id -> first file
    for (const auto& f : files) {
        try {
            std::error_code ec;
            if (!std::filesystem::is_regular_file(f, ec)) throw engine::ConfigError(f, "", "no such file");
            // A profile has no "steps"; anything else is read as a scenario.
            std::ifstream in(f);
            if (!in) throw engine::ConfigError(f, "", "cannot open the file");
            nlohmann::json peek = nlohmann::json::parse(in, nullptr, false);
            if (peek.is_object() && !peek.contains("steps") && peek.contains("rooms")) {
                engine::Profile p = engine::load_profile(f, {});
                engine::validate_profile(p);
                std::vector<std::string> na;
                auto gaps = suite_gaps(p, na);
                if (!gaps.empty()) {
                    ++bad;
                    err << "error: " << f << ": profile " << p.name << " cannot run " << gaps.size()
                        << " suite scenario(s):\n";
                    for (const auto& g : gaps) err << "  " << g << "\n";
                    continue;
                }
                if (na.empty()) {
                    out << "ok  " << f << " (profile " << p.name << ", runs every suite scenario)\n";
                } else {
                    out << "ok  " << f << " (profile " << p.name << ", runs every suite scenario but " << na.size()
                        << " not applicable to it:";
                    for (const auto& x : na) out << "\n      " << x;
                    out << ")\n";
                }
            } else {
                engine::Scenario s = engine::load_scenario(f);
                const auto missing = engine::missing_sections(s, profile.values);
                if (missing.empty()) engine::ScenarioRunner bind(s, profile, engine::RunOptions{});
                auto [it, fresh] = ids.emplace(s.id, f);
                if (!fresh)
                    throw engine::ConfigError(f, "/id", "duplicate scenario id \"" + s.id + "\" (also in " + it->second + ")");
                out << "ok  " << f << " (scenario " << s.id
                    << (missing.empty() ? "" : ", not applicable to profile " + profile.name + ": it requires " + joined(missing) + ", which the profile lacks")
                    << ")\n";
            }
        } catch (const engine::ConfigError& e) {
            ++bad;
            err << "error: " << e.what() << "\n";
        }
    }
    if (bad) err << bad << " problem(s) in " << files.size() << " file(s)\n";
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
    int code = exit_code_of(result, result.load.contains("load"));
    write_reports(result, o, err, code);
    reports::ConsoleOptions copt{style.color, o.quiet, o.verbose};
    if (!o.quiet || result.summary.fail > 0)
        for (const auto& s : result.scenarios) reports::print_scenario_line(s, copt, out);
    reports::print_summary(result, copt, out);
    return code;
}

} // namespace pushcheck::run
