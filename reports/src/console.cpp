// Console output: one line per scenario as it finishes, a summary table at the end.
#include "pushcheck/reports/escape.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

namespace pushcheck::reports {

namespace {

using engine::Verdict;

const char* colour_of(Verdict v) {
    switch (v) {
    case Verdict::pass: return "\x1b[32m";
    case Verdict::fail: return "\x1b[1;31m";
    case Verdict::non_strict: return "\x1b[33m";
    case Verdict::informational: return "\x1b[36m";
    case Verdict::harness_error: return "\x1b[35m";
    case Verdict::not_applicable: return "\x1b[2m";
    }
    return "";
}
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kDim = "\x1b[2m";

std::string paint(const ConsoleOptions& o, const char* colour, const std::string& s) {
    return o.color ? colour + s + kReset : s;
}

std::string badge(Verdict v, const ConsoleOptions& o) {
    return paint(o, colour_of(v), fmt::format("{:<10}", detail::verdict_label(v)));
}

bool is_problem(Verdict v) { return v == Verdict::fail || v == Verdict::non_strict || v == Verdict::harness_error; }

constexpr const char* kIndent = "              ";  // lines up with the id after the badge

} // namespace

void print_scenario_line(const engine::ScenarioResult& s, const ConsoleOptions& o, std::ostream& out) {
    if (o.quiet && !is_problem(s.verdict)) return;
    out << "  " << badge(s.verdict, o) << "  " << fmt::format("{:<44} {:<6} {:>9}", sanitize_text(s.id),
                                                           sanitize_text(s.driver), detail::fmt_duration(s.duration_ms))
        << '\n';
    if (s.verdict != Verdict::pass && !s.reason.empty()) {
        // Name the failing step or check, as the HTML does: "steps/3 expect: reason".
        const engine::Finding* f = detail::deciding_finding(s);
        std::string line = f ? detail::finding_label(*f) + ": " + s.reason : s.reason;
        out << kIndent << paint(o, colour_of(s.verdict), sanitize_text(line)) << '\n';
    }
    // Figures of the checks: always for informational results (they are the point), else with -v.
    if (o.verbose || s.verdict == Verdict::informational) {
        for (const auto& f : s.findings) {
            if (f.kind != "check" || !f.measurements.is_object() || f.measurements.empty()) continue;
            std::string line = sanitize_text(f.name) + ":";
            for (const auto& [k, v] : f.measurements.items())
                if (v.is_number()) line += fmt::format(" {} {}", k, v.is_number_float() ? fmt::format("{:.4g}", v.get<double>()) : v.dump());
            out << kIndent << paint(o, kDim, line) << '\n';
        }
    }
    const auto& events = s.transcript.events;
    if (o.verbose) {
        out << kIndent
            << paint(o, kDim, s.transcript.partial()
                                  ? fmt::format("transcript ({} of {} events kept):", events.size(), s.transcript.recorded)
                                  : fmt::format("transcript ({} events):", events.size()))
            << '\n';
        for (const auto& e : events) out << kIndent << detail::event_line(e) << '\n';
    } else if (is_problem(s.verdict) && !events.empty()) {
        // The tail plus the evidence, which may lie before it; evidence lines start with '*'.
        const std::size_t n = std::min<std::size_t>(events.size(), 5);
        const auto shown = detail::tail_with_evidence(s, n);
        const auto proving = detail::proving_events(s, 0);
        const bool earlier = shown.size() > n;
        out << kIndent
            << paint(o, kDim, fmt::format("{}last {} of {} {}events{}{}:", earlier ? "evidence and " : "", n, events.size(),
                                          s.transcript.partial() ? "kept " : "", proving.empty() ? "" : " (* evidence)",
                                          s.transcript.partial() ? fmt::format(", {} recorded", s.transcript.recorded) : ""))
            << '\n';
        for (std::size_t k = 0; k < shown.size(); ++k) {
            const std::size_t i = shown[k];
            if (k > 0 && i > shown[k - 1] + 1)
                out << kIndent
                    << paint(o, kDim, fmt::format("   ... {} event{} not shown", i - shown[k - 1] - 1,
                                                  i - shown[k - 1] - 1 == 1 ? "" : "s"))
                    << '\n';
            std::string line = detail::event_line(events[i]);
            if (std::binary_search(proving.begin(), proving.end(), i) && !line.empty() && line[0] == ' ') line[0] = '*';
            out << kIndent << line << '\n';
        }
    }
}

void print_summary(const engine::RunResult& run, const ConsoleOptions& o, std::ostream& out) {
    const bool show_na = run.summary.not_applicable > 0;  // the column only when a profile left scenarios out
    auto row = [&](const std::string& name, const engine::Summary& s) {
        auto cell = [&](int n, Verdict v, int width) {
            std::string t = fmt::format("{:>{}}", n, width);
            return n && v != Verdict::pass ? paint(o, colour_of(v), t) : t;
        };
        out << fmt::format("  {:<10} {:>6}", name, s.total) << cell(s.pass, Verdict::pass, 6)
            << cell(s.fail, Verdict::fail, 6) << cell(s.non_strict, Verdict::non_strict, 12)
            << cell(s.informational, Verdict::informational, 15) << cell(s.harness_error, Verdict::harness_error, 15)
            << (show_na ? cell(s.not_applicable, Verdict::not_applicable, 16) : std::string()) << '\n';
    };
    out << '\n' << fmt::format("  {:<10} {:>6}{:>6}{:>6}{:>12}{:>15}{:>15}{}\n", "driver", "total", "pass", "fail",
                               "non_strict", "informational", "harness_error", show_na ? "  not_applicable" : "");
    auto drivers = detail::drivers_of(run);
    for (const auto& d : drivers) {
        engine::Summary s;
        for (const auto& sc : run.scenarios)
            if (sc.driver == d) s.add(sc.verdict);
        row(sanitize_text(d), s);
    }
    if (drivers.size() != 1) row("all", run.summary);
    if (run.latency.count()) {
        auto p = detail::percentiles(run.latency);
        using detail::fmt_us_as_ms;
        out << fmt::format("  latency ms  p50 {}  p90 {}  p99 {}  max {}  ({} samples)\n", fmt_us_as_ms(p.p50),
                           fmt_us_as_ms(p.p90), fmt_us_as_ms(p.p99), fmt_us_as_ms(p.max), p.count);
    }
    if (run.interrupted)
        out << "  "
            << paint(o, colour_of(Verdict::harness_error),
                     fmt::format("interrupted by {}: {} scenario run{} did not finish and {} not in the results",
                                 sanitize_text(run.interrupted->signal), run.interrupted->unfinished.size(),
                                 run.interrupted->unfinished.size() == 1 ? "" : "s",
                                 run.interrupted->unfinished.size() == 1 ? "is" : "are"))
            << '\n';
    if (run.target_unreachable)
        out << "  " << paint(o, colour_of(Verdict::fail), "target unreachable: " + sanitize_text(run.target)) << '\n';
    const Verdict overall = detail::overall_verdict(run);
    out << "  result " << paint(o, colour_of(overall), detail::verdict_label(overall)) << " in "
        << detail::fmt_duration(run.duration_ms) << " against " << sanitize_text(run.target) << " (profile "
        << sanitize_text(run.profile_name)
        << (run.shard ? fmt::format(", shard {} of {}", run.shard->index, run.shard->count)
            : !run.merged_from.empty() ? fmt::format(", {} shards merged", run.merged_from.size())
                                       : std::string())
        << ")\n";
}

} // namespace pushcheck::reports
