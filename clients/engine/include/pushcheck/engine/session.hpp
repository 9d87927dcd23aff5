// The contract between the engine and a driver, free of any I/O type.
#pragma once
#include "pushcheck/engine/command.hpp"
#include "pushcheck/engine/transcript.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// Something a driver runs: it asks for Commands and is told Events and the time.
/// ScenarioRunner is the real one; driver tests use small scripted ones.
///
/// The driver calls start(), then on_event() for every Event of every client and
/// on_time() whenever next_deadline() has passed, and performs the returned Commands in
/// order. Once done() is true it performs the commands returned last (releases) and
/// stops feeding the session.
class Session {
public:
    virtual ~Session() = default;
    virtual std::string name() const = 0;
    virtual std::vector<Command> start(SteadyTime now) = 0;
    virtual std::vector<Command> on_event(Event event, SteadyTime now) = 0;
    virtual std::vector<Command> on_time(SteadyTime now) = 0;
    virtual std::optional<SteadyTime> next_deadline() const = 0;
    virtual bool done() const = 0;
};

} // namespace pushcheck::engine
