// JUnit XML writer (strict Apache Ant schema, reports/junit.xsd). Mapping:
// main suite per driver: fail -> <failure>, harness_error -> <skipped>, the rest pass;
// "<driver>.should" suite: one case per scenario with SHOULD requirements, non_strict -> <failure>.
#include "pushcheck/reports/escape.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ostream>

namespace pushcheck::reports {

namespace {

using engine::Level;
using engine::RunResult;
using engine::ScenarioResult;
using engine::Verdict;

std::string attr(std::string_view s) { return xml_escape(s, Lines::escape); }
std::string text(std::string_view s) { return xml_escape(s, Lines::keep); }

// xs:decimal: no exponent, no NaN.
std::string seconds(double ms) {
    if (!std::isfinite(ms) || ms < 0) ms = 0;
    return fmt::format("{:.3f}", ms / 1000.0);
}

// Profile values as properties: two levels deep ("profile.push.interval_ms"), deeper objects
// and arrays as compact JSON so a matcher stays one readable property.
void flatten(const nlohmann::json& j, const std::string& prefix, int depth,
             std::vector<std::pair<std::string, std::string>>& out) {
    if (j.is_object() && depth < 2) {
        for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), prefix + "." + it.key(), depth + 1, out);
        return;
    }
    out.emplace_back(prefix, j.is_string() ? j.get<std::string>()
                                           : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

/// What a testcase element holds besides its attributes.
struct CaseOutcome {
    enum { passed, failure, skipped } kind = passed;
    std::string type;     // failure type
    std::string message;  // one line
    std::string body;     // findings and transcript excerpt
};

std::string findings_text(const ScenarioResult& s, std::optional<Level> only) {
    std::string out;
    for (const auto& f : s.findings) {
        if (f.verdict == Verdict::pass) continue;
        if (only && f.level != *only) continue;
        out += fmt::format("  {:<10} [{}] {} {} at {}: {}\n", detail::verdict_label(f.verdict), engine::to_string(f.level),
                           f.kind, f.name, f.where, f.reason);
        if (f.definition.is_object() && !f.definition.empty())
            out += "             definition: " + f.definition.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    return out.empty() ? out : "findings:\n" + out;
}

std::string evidence_text(const ScenarioResult& s) {
    auto idx = detail::proving_events(s);
    if (idx.empty()) return "transcript: no events\n";
    std::string out = fmt::format("transcript ({} of {} events{}):\n", idx.size(), s.transcript.events.size(),
                                  s.transcript.partial() ? fmt::format(" kept, {} recorded", s.transcript.recorded) : "");
    for (auto i : idx) out += detail::event_line(s.transcript.events[i]) + "\n";
    return out;
}

std::string case_body(const ScenarioResult& s, std::optional<Level> only) {
    std::string out = fmt::format("{}\nscenario: {} ({}), level {}, driver {}, {}\nverdict: {}\n", s.reason, s.title,
                                  s.file, engine::to_string(s.level), s.driver, detail::fmt_duration(s.duration_ms),
                                  engine::to_string(s.verdict));
    out += findings_text(s, only);
    out += evidence_text(s);
    return out;
}

CaseOutcome main_outcome(const ScenarioResult& s) {
    CaseOutcome c;
    if (s.verdict == Verdict::fail) {
        c.kind = CaseOutcome::failure;
        c.type = "fail";
        c.message = s.reason;
        c.body = case_body(s, Level::must);
    } else if (s.verdict == Verdict::harness_error) {
        c.kind = CaseOutcome::skipped;
        c.message = "harness_error: " + s.reason;
        c.body = case_body(s, std::nullopt);
    } else if (s.verdict == Verdict::not_applicable) {
        c.kind = CaseOutcome::skipped;
        c.message = "not_applicable: " + s.reason;
        c.body = s.reason + "\n";
    }
    return c;
}

bool has_should(const ScenarioResult& s) {
    if (s.verdict == Verdict::not_applicable) return false;  // not run: only the main suite lists it, skipped
    if (s.level == Level::should || s.verdict == Verdict::non_strict) return true;
    for (const auto& f : s.findings)
        if (f.level == Level::should) return true;
    return false;
}

CaseOutcome should_outcome(const ScenarioResult& s) {
    CaseOutcome c;
    const engine::Finding* failed = nullptr;
    for (const auto& f : s.findings)
        if (f.level == Level::should && f.verdict != Verdict::pass) {
            failed = &f;
            break;
        }
    if (failed || s.verdict == Verdict::non_strict) {
        c.kind = CaseOutcome::failure;
        c.type = "non_strict";
        c.message = s.verdict == Verdict::non_strict || !failed ? s.reason : failed->reason;
        c.body = case_body(s, Level::should);
    } else if (s.verdict == Verdict::harness_error) {
        c.kind = CaseOutcome::skipped;
        c.message = "harness_error: " + s.reason;
        c.body = case_body(s, std::nullopt);
    }
    return c;
}

void write_case(std::ostream& out, const std::string& name, const std::string& classname, double ms,
                const CaseOutcome& c) {
    out << "    <testcase name=\"" << attr(name) << "\" classname=\"" << attr(classname) << "\" time=\""
        << seconds(ms) << "\"";
    if (c.kind == CaseOutcome::passed) {
        out << "/>\n";
        return;
    }
    out << ">\n";
    if (c.kind == CaseOutcome::failure)
        out << "      <failure message=\"" << attr(c.message) << "\" type=\"" << attr(c.type) << "\">" << text(c.body)
            << "</failure>\n";
    else
        out << "      <skipped message=\"" << attr(c.message) << "\">" << text(c.body) << "</skipped>\n";
    out << "    </testcase>\n";
}

std::string latency_row(const std::string& label, const engine::Histogram& h) {
    auto p = detail::percentiles(h);
    using detail::fmt_us_as_ms;
    return fmt::format("  {:<40} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", label, p.count, fmt_us_as_ms(p.min),
                       fmt_us_as_ms(p.p50), fmt_us_as_ms(p.p90), fmt_us_as_ms(p.p99), fmt_us_as_ms(p.max),
                       detail::fmt_ms(p.mean / 1000.0));
}

std::string figures_text(const RunResult& run, const std::string& driver, const std::vector<const ScenarioResult*>& ss) {
    std::string out = fmt::format("pushcheck {} against {}, profile {}, driver {}\n", run.pushcheck_version, run.target,
                                  run.profile_name, driver);
    engine::Summary sum;
    engine::Histogram all;
    for (auto* s : ss) {
        sum.add(s->verdict);
        all.merge(s->latency);
    }
    out += fmt::format("scenarios: {} total, {} pass, {} fail, {} non_strict, {} informational, {} harness_error{}\n",
                       sum.total, sum.pass, sum.fail, sum.non_strict, sum.informational, sum.harness_error,
                       sum.not_applicable ? fmt::format(", {} not_applicable", sum.not_applicable) : "");
    if (all.count()) {
        out += fmt::format("\nlatency (ms)\n  {:<40} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "scenario", "count",
                           "min", "p50", "p90", "p99", "max", "mean");
        out += latency_row("all scenarios", all);
        for (auto* s : ss)
            if (s->latency.count()) out += latency_row(s->id, s->latency);
    }
    std::string cadence;
    for (auto* s : ss)
        for (const auto& se : s->series) {
            if (se.values.empty()) continue;
            double sum_v = 0, mn = se.values.front(), mx = se.values.front();
            int outside = 0;
            for (double v : se.values) {
                sum_v += v;
                mn = std::min(mn, v);
                mx = std::max(mx, v);
                if (se.nominal > 0 && se.tolerance > 0 && std::fabs(v - se.nominal) > se.tolerance) ++outside;
            }
            cadence += fmt::format("  {:<40} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}\n", s->id + " " + se.name,
                                   se.values.size(), detail::fmt_ms(se.nominal), detail::fmt_ms(se.tolerance),
                                   detail::fmt_ms(sum_v / se.values.size()), detail::fmt_ms(mn), detail::fmt_ms(mx),
                                   outside);
        }
    if (!cadence.empty())
        out += fmt::format("\ncadence (ms)\n  {:<40} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}\n", "series", "samples",
                           "nominal", "+-", "mean", "min", "max", "outside") +
               cadence;
    std::string notes;
    for (auto* s : ss)
        if (s->verdict == Verdict::non_strict || s->verdict == Verdict::informational)
            notes += fmt::format("  {:<10} {}: {}\n", detail::verdict_label(s->verdict), s->id, s->reason);
    if (!notes.empty()) out += "\ngraded below a failure (SHOULD failures are also in the .should suite):\n" + notes;
    return out;
}

struct Suite {
    std::string name;
    std::string driver;
    std::vector<std::pair<const ScenarioResult*, CaseOutcome>> cases;
    std::string system_out, system_err;
    bool should = false;  // the SHOULD suite: case names get " (should)"
    bool unreachable_case = false;
    std::vector<std::string> unfinished;  // ids of scenarios an interruption left without a result
};

void write_suite(std::ostream& out, const RunResult& run, const Suite& suite, int id,
                 const std::vector<std::pair<std::string, std::string>>& props) {
    int failures = 0, skipped = static_cast<int>(suite.unfinished.size());
    std::vector<const ScenarioResult*> ran;
    for (const auto& [s, c] : suite.cases) {
        failures += c.kind == CaseOutcome::failure;
        skipped += c.kind == CaseOutcome::skipped;
        ran.push_back(s);
    }
    // Scenarios run side by side: the suite took the wall time, not the sum of its cases.
    const double ms = detail::wall_ms(ran, run.duration_ms);
    const int tests = static_cast<int>(suite.cases.size() + suite.unfinished.size()) + (suite.unreachable_case ? 1 : 0);
    failures += suite.unreachable_case ? 1 : 0;
    std::string host = sanitize_text(run.hostname);
    if (host.find_first_not_of(" ") == std::string::npos) host = "localhost";
    out << "  <testsuite name=\"" << attr(suite.name) << "\" package=\"pushcheck\" id=\"" << id << "\" timestamp=\""
        << detail::timestamp_no_zone(run.started_at) << "\" hostname=\"" << attr(host) << "\" tests=\"" << tests
        << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << seconds(ms)
        << "\">\n";
    out << "    <properties>\n";
    for (const auto& [k, v] : props)
        out << "      <property name=\"" << attr(k) << "\" value=\"" << attr(v) << "\"/>\n";
    out << "      <property name=\"driver\" value=\"" << attr(suite.driver) << "\"/>\n";
    out << "    </properties>\n";
    if (suite.unreachable_case) {
        CaseOutcome c{CaseOutcome::failure, "unreachable", "target unreachable: " + run.target,
                      "no scenario could connect to " + run.target + "\n"};
        write_case(out, "target.reachable", "target", 0, c);
    }
    for (const auto& [s, c] : suite.cases) {
        write_case(out, suite.should ? s->id + " (should)" : s->id, detail::group_of(*s), s->duration_ms, c);
    }
    for (const auto& id : suite.unfinished) {
        engine::ScenarioResult named;
        named.id = id;
        CaseOutcome c{CaseOutcome::skipped, "", "interrupted by " + run.interrupted->signal + " before it finished",
                      "the run was stopped by " + run.interrupted->signal +
                          " while this scenario was running or waiting; nothing about the target was decided\n"};
        write_case(out, id, detail::group_of(named), 0, c);
    }
    out << "    <system-out>" << text(suite.system_out) << "</system-out>\n";
    out << "    <system-err>" << text(suite.system_err) << "</system-err>\n";
    out << "  </testsuite>\n";
}

} // namespace

void write_junit(const RunResult& run, std::ostream& out) {
    std::vector<std::pair<std::string, std::string>> props{
        {"pushcheck.version", run.pushcheck_version},
        {"target", run.target},
        {"target.embedded", run.embedded ? "true" : "false"},
        {"started_at", run.started_at},
        {"profile", run.profile_name},
    };
    if (run.profile.is_object()) flatten(run.profile, "profile", 0, props);
    // Property names are non-empty tokens; a profile key of spaces would make an empty one.
    for (auto& [k, v] : props)
        if (sanitize_text(k).find_first_not_of(' ') == std::string::npos) k = "profile.?";

    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
    auto drivers = detail::drivers_of(run);
    if (run.interrupted)
        for (const auto& u : run.interrupted->unfinished)
            if (std::find(drivers.begin(), drivers.end(), u.driver) == drivers.end()) drivers.push_back(u.driver);
    const Verdict overall = detail::overall_verdict(run);
    const bool something_failed = overall != Verdict::pass || run.target_unreachable || run.interrupted;
    std::string server_text;
    if (run.server && something_failed)
        server_text = fmt::format("server under test: {} (pid {}), {}\nlast lines of its output:\n{}{}",
                                  run.server->command, run.server->pid, run.server->exit, run.server->log_tail,
                                  run.server->log_tail.empty() || run.server->log_tail.back() == '\n' ? "" : "\n");
    if (drivers.empty()) drivers.push_back("none");
    int id = 0;
    bool first = true;
    for (const auto& d : drivers) {
        std::vector<const ScenarioResult*> ss;
        for (const auto& s : run.scenarios)
            if (s.driver == d) ss.push_back(&s);

        Suite main_suite{"pushcheck." + d, d};
        main_suite.unreachable_case = first && run.target_unreachable;
        first = false;
        for (auto* s : ss) {
            main_suite.cases.emplace_back(s, main_outcome(*s));
            if (s->verdict == Verdict::harness_error)
                main_suite.system_err += fmt::format("{} {}: {}\n", detail::verdict_label(s->verdict), s->id, s->reason);
        }
        main_suite.system_out = figures_text(run, d, ss);
        if (run.interrupted) {
            for (const auto& u : run.interrupted->unfinished)
                if (u.driver == d) main_suite.unfinished.push_back(u.id);
            main_suite.system_out = fmt::format("INTERRUPTED by {}: the reports hold the {} scenario(s) that finished; "
                                                "{} scenario(s) of this driver did not finish (skipped below)\n\n",
                                                run.interrupted->signal, ss.size(), main_suite.unfinished.size()) +
                                    main_suite.system_out;
        }
        main_suite.system_err += server_text;
        write_suite(out, run, main_suite, id++, props);

        Suite should{"pushcheck." + d + ".should", d};
        should.should = true;
        for (auto* s : ss)
            if (has_should(*s)) should.cases.emplace_back(s, should_outcome(*s));
        if (should.cases.empty()) continue;
        should.system_out =
            "Scenarios that check SHOULD requirements. A failure here is a NON-STRICT verdict: the target works "
            "but deviates from a recommendation; it is graded below a hard failure.\n";
        write_suite(out, run, should, id++, props);
    }
    out << "</testsuites>\n";
}

} // namespace pushcheck::reports
