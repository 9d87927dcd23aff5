// Fixed result models for the reporter tests: a typical run and one full of hostile text.
#pragma once
#include "pushcheck/engine/result.hpp"

#include <string>

namespace pushcheck::test {

/// Six scenarios over two drivers: pass, fail with evidence, non_strict, informational,
/// harness_error and a latency-only pass; latency histograms and interval series.
engine::RunResult make_run();

/// make_run() stopped by SIGINT: one sync scenario unfinished, one not started; a server
/// started with --server-cmd, with a log tail.
engine::RunResult make_interrupted_run();

/// Hostile bytes: markup, "]]>", quotes, invalid UTF-8, control characters, U+FFFE.
std::string hostile_text();

/// A run whose every string (target, names, reasons, payloads, profile) is hostile_text().
engine::RunResult make_hostile_run();

/// The version string the fixture carries; goldens hold @VERSION@ in its place.
std::string fixture_version();

} // namespace pushcheck::test
