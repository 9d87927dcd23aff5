// Steps: the actions and expectations of a scenario, and how a step type registers itself.
#pragma once
#include "pushcheck/engine/command.hpp"
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/params.hpp"
#include "pushcheck/engine/transcript.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pushcheck::engine {

inline constexpr std::size_t kNoEvent = static_cast<std::size_t>(-1);

/// Where a client's current connection stands, as far as the engine knows.
enum class ConnState : std::uint8_t { idle, connecting, open, closing, closed };

/// Unconsumed messages of one client's current connection (event indices, oldest first).
class MessageQueue {
public:
    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }
    std::size_t front() const { return items_[head_]; }
    void push(std::size_t index) { items_.push_back(index); }
    void pop();
    void clear() { items_.clear(); head_ = 0; }

private:
    std::vector<std::size_t> items_;
    std::size_t head_ = 0;
};

struct Protocol;

/// Where and how a client joined, kept for `reconnect`.
struct JoinTarget {
    std::string room;  // the room joined ({{room}}); the path too unless the profile's join has one
    std::string path;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::string> subprotocols;
    int recv_buffer = 0;  // SO_RCVBUF in bytes (0: the system's default)
    bool join_steps = true;   // run the profile's join steps after the handshake
    bool auto_reply = true;   // answer messages matching the profile's auto_reply rules
    bool check_subprotocol = false;  // the profile's subprotocols.expect applies (offer not overridden)
};

/// The engine's per-client state. Kept small: a load run has thousands of clients.
/// It is also the client's template values: {{room}}, {{client}}, {{group}}, {{index}} and captures.
struct ClientState final : TemplateVars {
    std::string name;
    std::string group, index;  // "m" and "3" for member m3; a single client: its name and "1"
    std::vector<std::pair<std::string, std::string>> captures;  // values captured from its messages
    int connection = -1;  // current connection number; -1 until the first join
    ConnState state = ConnState::idle;
    std::size_t connected_at = kNoEvent;  // `connected` of the current connection
    std::size_t failed_at = kNoEvent;     // `connect_failed` of the current connection
    std::size_t closed_at = kNoEvent;     // `closed` of the current connection
    MessageQueue pending;                 // received, not yet consumed by a step
    std::vector<std::size_t> pongs;       // pongs since the last ping
    std::string last_ping;
    std::shared_ptr<const JoinTarget> join;  // the last join, for reconnect
    std::uint32_t task = ~std::uint32_t{0};  // running task of the current step
    SteadyTime connect_sent{};               // when the current connection's connect went out
    bool in_profile_steps = false;           // the profile's join or leave steps are consuming its messages

    /// Starts a new connection: resets everything that belongs to the old one.
    void begin_connection();
    /// True while a connection is open or half-closed by us.
    bool connected() const { return state == ConnState::open || state == ConnState::closing; }

    const std::string* lookup(std::string_view key) const override;
    void capture(const std::string& key, std::string value);
};

/// A text frame for the client's current connection.
inline Command text_command(const ClientState& c, std::string data) {
    Command cmd;
    cmd.kind = Command::Kind::send_text;
    cmd.client = c.name;
    cmd.connection = c.connection;
    cmd.data = std::move(data);
    return cmd;
}

/// Status a task reports after each call.
enum class TaskStatus { running, passed, failed };

/// What a running task may see and do. Implemented by the runner.
class StepContext {
public:
    virtual ~StepContext() = default;
    virtual SteadyTime now() const = 0;
    /// The steady time at which event `index` was recorded.
    virtual SteadyTime time_of(std::size_t index) const = 0;
    /// A deadline in milliseconds times --timeout-scale.
    virtual std::chrono::microseconds scaled(double ms) const = 0;
    virtual ClientState& client(ClientId id) = 0;
    virtual const Event& event(std::size_t index) const = 0;
    /// The event's payload parsed once (cached).
    virtual const ParsedMessage& message(std::size_t index) = 0;
    virtual void emit(Command c) = 0;
    /// The profile's protocol hooks (framing, join and leave steps, automatic replies).
    virtual const Protocol& protocol() const = 0;
    /// Records the failure ("NAME: reason" unless `id` is kNoClient) and returns failed.
    virtual TaskStatus fail(ClientId id, std::string reason, std::vector<std::size_t> evidence = {}) = 0;
};

/// The work of one step for one client (or the one task of a step without clients).
class Task {
public:
    virtual ~Task() = default;
    /// Called once when the step begins.
    virtual TaskStatus start(StepContext& ctx) = 0;
    /// Called for every event of this task's client on its current connection, after the
    /// runner updated the client's state (queue, pongs, closed_at).
    virtual TaskStatus on_event(StepContext&, std::size_t /*index*/) { return TaskStatus::running; }
    /// Called once `deadline` has passed.
    virtual TaskStatus on_deadline(StepContext& ctx) = 0;

    ClientId client = kNoClient;
    std::size_t ordinal = 0;  // this task's position among the step's clients (0, 1, ...)
    std::optional<SteadyTime> deadline;
};

/// A step bound to a profile: immutable, it makes one task per client when it runs.
class Step {
public:
    virtual ~Step() = default;
    virtual std::unique_ptr<Task> make_task(ClientId client) const = 0;
    /// The longest this step may take with the given timeout scale (for the scenario budget).
    virtual std::chrono::microseconds budget(double timeout_scale) const = 0;
    /// The same for `clients` clients (a ramp takes longer with more of them).
    virtual std::chrono::microseconds budget(double timeout_scale, std::size_t /*clients*/) const {
        return budget(timeout_scale);
    }
};

/// What a step does to its clients' connection targets, which the runner checks in step order.
enum class JoinRole {
    none,
    joins,     // sets each client's target (join): later steps may reconnect it
    rejoins,   // connects again to the target an earlier step set (reconnect)
};

/// A step type: its name, one-line description, parameters and factory.
struct StepInfo {
    std::string name;
    std::string description;
    bool takes_client = true;  // false: `sleep`
    std::vector<ParamSpec> params;
    /// Extra checks of the literal step object at load time (may be null); throws ConfigError.
    void (*validate)(const nlohmann::json& step, const std::string& file, const std::string& pointer) = nullptr;
    std::unique_ptr<Step> (*make)(const Params& params) = nullptr;
    /// rejoins: the scenario is rejected when a client gets here before any `joins` step of it.
    JoinRole join_role = JoinRole::none;
};

/// Every registered step type, sorted by name.
const std::vector<const StepInfo*>& step_types();
const StepInfo* find_step_type(const std::string& name);

/// Adds a step type to the registry at static initialisation.
struct StepRegistrar {
    explicit StepRegistrar(const StepInfo& info);
};

/// The one-line registration of a step type in its source file.
#define PUSHCHECK_REGISTER_STEP(info) \
    static const ::pushcheck::engine::StepRegistrar pushcheck_step_registrar_ { info }

/// Milliseconds as microseconds, rounded.
std::chrono::microseconds ms_to_us(double ms);

} // namespace pushcheck::engine
