// The engine: a pure state machine that runs one scenario. No sockets, no threads, no clock.
#pragma once
#include "pushcheck/engine/command.hpp"
#include "pushcheck/engine/profile.hpp"
#include "pushcheck/engine/result.hpp"
#include "pushcheck/engine/scenario.hpp"
#include "pushcheck/engine/session.hpp"
#include "pushcheck/engine/transcript.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace pushcheck::engine {

struct RunOptions {
    double timeout_scale = 1.0;            // multiplies every deadline (not nominal intervals)
    std::size_t max_message_bytes = 1 << 20;  // recorded for reasons; the driver enforces it
    int max_json_depth = 64;               // deeper JSON from the target is a finding
    std::string driver;                    // "async" / "sync": copied into the result
    /// Events kept per client for the report besides evidence: its first keep_first and
    /// its last keep_last (0 and 0: keep every event, as a short conformance run does anyway).
    std::size_t keep_first = 8;
    std::size_t keep_last = 24;
    /// Only the first keep_clients clients get that window (0: all); the others keep their
    /// first event (the handshake's outcome) and their evidence, so that a run of 10,000
    /// clients writes a report of a few MB.
    std::size_t keep_clients = 0;
    /// Runs one deterministic slice of every client group (see ClientTable::build): shard
    /// shard_index (from 0) of shard_count. Steps and checks whose clients are all in other
    /// shards pass without running; a join's ramp keeps the whole run's pace.
    unsigned shard_index = 0;
    unsigned shard_count = 1;
};

/// A running scenario's figures for a progress line, readable from any thread.
struct LiveFigures {
    std::uint32_t clients = 0;      // clients of the scenario (this shard's)
    std::uint32_t open = 0;         // connections open now
    std::uint64_t received = 0;     // messages received so far
    std::int64_t p99_us = -1;       // p99 latency of the last whole second (-1: no sample)
    std::uint32_t failed = 0;       // failed steps so far
    bool done = false;
};

/// Runs one scenario bound to a profile. The driver calls start(), then on_event() for
/// every Event of every client and on_time() whenever next_deadline() has passed, and
/// performs the returned Commands in order. When done() is true the driver performs
/// the final commands (releases) and calls result().
///
/// Time is whatever the driver passes in; the engine never reads a clock, so unit tests
/// drive it with a fake clock and a fake transport.
class ScenarioRunner : public Session {
public:
    /// Resolves profile references and builds the steps; throws ConfigError when the
    /// scenario needs a profile value that is missing or ill-typed.
    ScenarioRunner(const Scenario& scenario, const Profile& profile, RunOptions options);
    ~ScenarioRunner();
    ScenarioRunner(const ScenarioRunner&) = delete;
    ScenarioRunner& operator=(const ScenarioRunner&) = delete;

    std::string name() const override;  // the scenario id
    std::vector<Command> start(SteadyTime now) override;
    std::vector<Command> on_event(Event event, SteadyTime now) override;
    /// Also enforces budget(): past it, the running step becomes a harness_error and the
    /// run ends with releases.
    std::vector<Command> on_time(SteadyTime now) override;
    std::optional<SteadyTime> next_deadline() const override;
    bool done() const override;

    /// Events recorded so far.
    std::size_t recorded() const;
    /// Figures for a progress line; safe to call from another thread while the driver runs.
    LiveFigures live() const;
    /// Finishes the checks and grades everything. Call once, after done(): the kept events
    /// move into the result. Checks are graded only when every step passed.
    ScenarioResult result();

    /// Total time budget: the harness aborts the scenario as harness_error past this.
    std::chrono::milliseconds budget() const;
    const Scenario& scenario() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Binds a scenario to a profile without running it (resolves every reference, compiles
/// every pattern, builds every step and check); throws ConfigError on the first problem.
void validate_scenario(const Scenario& scenario, const Profile& profile, const RunOptions& options = {});

} // namespace pushcheck::engine
