// Checks: folds over the events of a run, and how a check type registers itself.
#pragma once
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/params.hpp"
#include "pushcheck/engine/result.hpp"
#include "pushcheck/engine/transcript.hpp"

#include <memory>
#include <string>
#include <vector>

namespace pushcheck::engine {

/// The events a check may read: every event while it is being recorded, and afterwards the
/// ones the engine kept (a bounded window per client, evidence, and every event of the
/// clients of a check that needs_transcript()). Indices count every recorded event.
class EventLog {
public:
    virtual ~EventLog() = default;
    /// The event recorded at `index`; a placeholder ("event not kept") once it was dropped.
    virtual const Event& operator[](std::size_t index) const = 0;
    virtual bool kept(std::size_t index) const = 0;
    /// Events recorded so far (the next index).
    virtual std::size_t size() const = 0;
};

/// What a check sees: the events, parsed messages, the clients, and the result it may add
/// charts and latency samples to.
class CheckContext {
public:
    virtual ~CheckContext() = default;
    virtual const EventLog& events() const = 0;
    virtual const ClientTable& clients() const = 0;
    /// Microseconds since the scenario started; in finish(), when its steps ended.
    virtual std::int64_t now_us() const = 0;
    /// Indices of the kept events of one client, in order (all of them for the clients of a
    /// check that needs_transcript()). Valid in finish().
    virtual const std::vector<std::size_t>& events_of(ClientId id) const = 0;
    /// The payload of a received event, parsed once (cached while the event is kept).
    virtual const ParsedMessage& message(std::size_t index) = 0;
    /// Keeps event `index` for the report (evidence) until release(); counted, so two
    /// keeps need two releases. An event no longer kept is ignored.
    virtual void keep(std::size_t index) = 0;
    virtual void release(std::size_t index) = 0;
    virtual ScenarioResult& result() = 0;
    /// True when this run is one shard of several: a check that can merge (CheckInfo::merge)
    /// then writes what merging needs besides its usual measurements.
    virtual bool sharded() const { return false; }
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

/// The verdict an outcome earns at a level: fail -> failing_verdict(level), measured ->
/// informational at `may` (else pass), harness_error as it is.
Verdict grade(CheckOutcome::Status status, Level level);
/// A failure's reason after the author's words for it (the item's "explain"), if any.
std::string explained(const nlohmann::json& definition, std::string reason);

/// A check bound to a profile for one run of a scenario. Checks are folds: observe() sees
/// every event as it is recorded and keeps only the state it needs (counters, histograms,
/// the few events that may become evidence), so memory does not grow with the run; finish()
/// gives the answer once every step passed. A check that needs the whole transcript of its
/// clients says so, and the engine then keeps every event of those clients.
class Check {
public:
    virtual ~Check() = default;
    /// Called for every recorded event of every client, in order; `client` is the event's
    /// client as the engine resolved it (kNoClient: not one of the scenario's).
    virtual void observe(CheckContext& /*ctx*/, std::size_t /*index*/, ClientId /*client*/) {}
    virtual CheckOutcome finish(CheckContext& ctx) = 0;
    /// True: every event of the check's clients is kept until finish().
    virtual bool needs_transcript() const { return false; }
    /// True: observe() also sees the messages the profile's hooks handled (Event::handling:
    /// ignored or auto-replied), e.g. to judge heartbeats; other checks never see them.
    virtual bool sees_handled() const { return false; }
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
    /// `pushcheck merge`: combines this check's measurements from the shards of one run into
    /// one outcome, graded from the merged data the way finish() grades one run (counts add,
    /// histograms merge). Throws std::invalid_argument naming what is missing or malformed.
    /// nullptr: the check judges within a shard, and the merged verdict is the worst shard's.
    CheckOutcome (*merge)(const std::vector<nlohmann::json>& shards) = nullptr;
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
