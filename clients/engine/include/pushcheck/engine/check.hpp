// Checks: pure functions over a finished transcript, and how a check type registers itself.
#pragma once
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/params.hpp"
#include "pushcheck/engine/result.hpp"
#include "pushcheck/engine/transcript.hpp"

#include <memory>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// What a check sees: the transcript, parsed messages, the clients, and the result it may
/// add charts and latency samples to.
class CheckContext {
public:
    virtual ~CheckContext() = default;
    virtual const Transcript& transcript() const = 0;
    virtual const ClientTable& clients() const = 0;
    /// Indices of every event of one client, in order.
    virtual const std::vector<std::size_t>& events_of(ClientId id) const = 0;
    /// The payload of a received event, parsed once (cached).
    virtual const ParsedMessage& message(std::size_t index) = 0;
    virtual ScenarioResult& result() = 0;
};

/// A check's answer before grading by level.
struct CheckOutcome {
    enum class Status {
        pass,
        fail,           // graded failing_verdict(level)
        measured,       // measurement only: pass, or informational at `may` level
        harness_error,  // the harness could not decide; never blamed on the target
    };
    Status status = Status::pass;
    std::string reason;
    std::vector<std::size_t> evidence;
    nlohmann::json measurements = nlohmann::json::object();
};

/// A check bound to a profile, ready to run over a transcript.
class Check {
public:
    virtual ~Check() = default;
    virtual CheckOutcome run(CheckContext& ctx) const = 0;
};

/// A check type: name, one-line description, parameters and factory. `targets` are the
/// resolved clients ("client" defaults to "*").
struct CheckInfo {
    std::string name;
    std::string description;
    std::vector<ParamSpec> params;
    void (*validate)(const nlohmann::json& check, const std::string& file, const std::string& pointer) = nullptr;
    std::unique_ptr<Check> (*make)(const Params& params, std::vector<ClientId> targets,
                                   const ClientTable& clients) = nullptr;
};

const std::vector<const CheckInfo*>& check_types();
const CheckInfo* find_check_type(const std::string& name);

struct CheckRegistrar {
    explicit CheckRegistrar(const CheckInfo& info);
};

/// The one-line registration of a check type in its source file.
#define PUSHCHECK_REGISTER_CHECK(info) \
    static const ::pushcheck::engine::CheckRegistrar pushcheck_check_registrar_ { info }

} // namespace pushcheck::engine
