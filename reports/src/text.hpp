// Formatting shared by the reporters: numbers, verdict labels, transcript events.
#pragma once
#include "pushcheck/engine/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pushcheck::reports::detail {

/// Milliseconds with a precision that suits the size: "0.42", "12.3", "3012".
std::string fmt_ms(double ms);
/// Microseconds shown as milliseconds, same precision rules.
std::string fmt_us_as_ms(std::int64_t us);
/// A duration for people: "420 ms", "3.01 s".
std::string fmt_duration(double ms);

/// The short upper-case label of a verdict: PASS, FAIL, NON-STRICT, INFO, ERROR.
const char* verdict_label(engine::Verdict v);

/// The group of a scenario: its `group`, or the id up to the last dot.
std::string group_of(const engine::ScenarioResult& s);

/// Drivers in report order: run.drivers first, then any other driver a scenario names.
std::vector<std::string> drivers_of(const engine::RunResult& run);

/// One transcript event split into display columns (payloads sanitised, one line each).
struct EventView {
    std::string time;    // "+3012.345 ms"
    std::string who;     // "a", or "a#1" for the second connection
    std::string arrow;   // "->" sent, "<-" received, "==" connected, "xx" closed, "!!" failures
    std::string what;    // "text 52 B", "closed 1000 clean, by server", ...
    std::string payload; // sanitised payload, reason or error text (may be cut)
};
/// Payloads longer than this many bytes are cut (the JSON report keeps them whole).
inline constexpr std::size_t kPayloadCap = 400;
EventView view_event(const engine::Event& e, std::size_t payload_cap = kPayloadCap);
/// The event as one line: "  +3012.345 ms  a     <- text 52 B  {...}".
std::string event_line(const engine::Event& e, std::size_t payload_cap = kPayloadCap);

/// Indices of the events that prove a verdict: the evidence of every non-passing finding,
/// or the last `fallback` events when no finding names any. Sorted, unique, in range.
std::vector<std::size_t> proving_events(const engine::ScenarioResult& s, std::size_t fallback = 5);

/// The finding that decided a scenario's verdict (the first of the worst), or nullptr on pass.
const engine::Finding* deciding_finding(const engine::ScenarioResult& s);
/// "steps/3 expect": where a finding is in the scenario file and what it is.
std::string finding_label(const engine::Finding& f);

/// The events worth showing of a failing transcript: the last `last_n` events plus the evidence
/// of every non-passing finding (which may lie far earlier). Sorted, unique, in range.
std::vector<std::size_t> tail_with_evidence(const engine::ScenarioResult& s, std::size_t last_n = 5);

/// Wall time of scenarios that ran side by side: latest end minus earliest start. Without start
/// offsets (documents from before they existed) the sum of durations, capped at `run_ms` when known.
double wall_ms(const std::vector<const engine::ScenarioResult*>& ss, double run_ms);

/// The handshake response in one line: "HTTP 101 Switching Protocols, subprotocol chat.v1".
std::string handshake_line(const engine::Handshake& h);

/// Latency percentiles of a histogram (microseconds), as display rows.
struct Percentiles {
    std::uint64_t count = 0;
    std::int64_t min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
    double mean = 0;
};
Percentiles percentiles(const engine::Histogram& h);

/// The run's overall verdict: the worst scenario verdict, informational counting as pass.
engine::Verdict overall_verdict(const engine::RunResult& run);

/// "2026-11-26T13:02:48" from an ISO 8601 time, or "1970-01-01T00:00:00" when malformed.
std::string timestamp_no_zone(const std::string& iso);

} // namespace pushcheck::reports::detail
