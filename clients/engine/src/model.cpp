#include "pushcheck/engine/command.hpp"
#include "pushcheck/engine/result.hpp"
#include "pushcheck/engine/transcript.hpp"

namespace pushcheck::engine {

const char* to_string(EventKind k) {
    switch (k) {
    case EventKind::connected: return "connected";
    case EventKind::connect_failed: return "connect_failed";
    case EventKind::sent: return "sent";
    case EventKind::received: return "received";
    case EventKind::pong: return "pong";
    case EventKind::closed: return "closed";
    case EventKind::error: return "error";
    }
    return "?";
}

const char* to_string(Handling h) {
    switch (h) {
    case Handling::none: return "none";
    case Handling::ignored: return "ignored";
    case Handling::auto_replied: return "auto_replied";
    case Handling::profile_steps: return "profile_steps";
    }
    return "?";
}

const char* to_string(Command::Kind k) {
    switch (k) {
    case Command::Kind::connect: return "connect";
    case Command::Kind::send_text: return "send_text";
    case Command::Kind::send_binary: return "send_binary";
    case Command::Kind::ping: return "ping";
    case Command::Kind::close: return "close";
    case Command::Kind::abort: return "abort";
    case Command::Kind::release: return "release";
    case Command::Kind::pause_reading: return "pause_reading";
    case Command::Kind::resume_reading: return "resume_reading";
    case Command::Kind::flood: return "flood";
    }
    return "?";
}

const char* to_string(Level l) {
    switch (l) {
    case Level::must: return "must";
    case Level::should: return "should";
    case Level::may: return "may";
    }
    return "?";
}

const char* to_string(Verdict v) {
    switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::non_strict: return "non_strict";
    case Verdict::informational: return "informational";
    case Verdict::harness_error: return "harness_error";
    case Verdict::not_applicable: return "not_applicable";
    }
    return "?";
}

std::optional<Level> level_from_string(const std::string& s) {
    for (Level l : {Level::must, Level::should, Level::may})
        if (s == to_string(l)) return l;
    return std::nullopt;
}

std::optional<Verdict> verdict_from_string(const std::string& s) {
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::non_strict, Verdict::informational,
                      Verdict::harness_error, Verdict::not_applicable})
        if (s == to_string(v)) return v;
    return std::nullopt;
}

Verdict failing_verdict(Level l) {
    switch (l) {
    case Level::must: return Verdict::fail;
    case Level::should: return Verdict::non_strict;
    case Level::may: return Verdict::informational;
    }
    return Verdict::fail;
}

int severity(Verdict v) {
    switch (v) {
    case Verdict::not_applicable: return -1;
    case Verdict::pass: return 0;
    case Verdict::informational: return 1;
    case Verdict::harness_error: return 2;
    case Verdict::non_strict: return 3;
    case Verdict::fail: return 4;
    }
    return 0;
}

void Summary::add(Verdict v) {
    ++total;
    switch (v) {
    case Verdict::pass: ++pass; break;
    case Verdict::fail: ++fail; break;
    case Verdict::non_strict: ++non_strict; break;
    case Verdict::informational: ++informational; break;
    case Verdict::harness_error: ++harness_error; break;
    case Verdict::not_applicable: ++not_applicable; break;
    }
}

void ScenarioResult::regrade() {
    verdict = Verdict::pass;
    reason.clear();
    for (const auto& f : findings)
        if (severity(f.verdict) > severity(verdict)) {
            verdict = f.verdict;
            reason = f.reason;
        }
    measurements = nlohmann::json::object();
    for (const auto& f : findings) {
        if (!f.measurements.is_object() || f.measurements.empty()) continue;
        std::string key = f.name;
        if (measurements.contains(key)) key = f.name + "_" + f.where.substr(f.where.find('/') + 1);
        measurements[key] = f.measurements;
    }
}

void RunResult::recompute_summary() {
    summary = Summary{};
    latency = Histogram{};
    for (const auto& s : scenarios) {
        summary.add(s.verdict);
        latency.merge(s.latency);
    }
}

} // namespace pushcheck::engine
