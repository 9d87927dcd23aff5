// Helpers shared by the step files (internal to pushcheck_engine).
#pragma once
#include "pushcheck/engine/step.hpp"

#include "engine/util.hpp"

#include <chrono>
#include <string>

namespace pushcheck::engine::steps {

/// "client a is not connected", with the event that ended its connection as evidence.
inline TaskStatus not_connected(StepContext& ctx, ClientId id, const std::string& why = "") {
    const ClientState& c = ctx.client(id);
    std::vector<std::size_t> evidence;
    if (c.closed_at != kNoEvent) evidence.push_back(c.closed_at);
    else if (c.failed_at != kNoEvent) evidence.push_back(c.failed_at);
    return ctx.fail(kNoClient, "client " + c.name + " is not connected" + (why.empty() ? "" : ": " + why),
                    std::move(evidence));
}

/// Why a send-like step cannot use the connection, or "" when it is open.
inline std::string not_open_reason(const ClientState& c) {
    switch (c.state) {
    case ConnState::open: return "";
    case ConnState::idle: return "it never joined";
    case ConnState::connecting: return "its handshake has not completed";
    case ConnState::closing: return "it has sent a close frame";
    case ConnState::closed: return "its connection has ended";
    }
    return "";
}

/// When the current connection ended, for reasons: "code 1000, clean" or "dropped by the harness".
inline std::string ended_how(StepContext& ctx, const ClientState& c) {
    if (c.closed_at != kNoEvent) return util::describe_close(ctx.event(c.closed_at));
    if (c.failed_at != kNoEvent) return "the handshake failed";
    return "dropped by the harness";
}

inline std::size_t ended_event(const ClientState& c) { return c.closed_at != kNoEvent ? c.closed_at : c.failed_at; }

inline std::vector<std::size_t> evidence_of(std::size_t idx) {
    return idx == kNoEvent ? std::vector<std::size_t>{} : std::vector<std::size_t>{idx};
}

/// A step whose tasks all share one immutable configuration.
template <class Config, class TaskT>
class StepOf : public Step {
public:
    explicit StepOf(Config c) : config_(std::move(c)) {}
    std::unique_ptr<Task> make_task(ClientId) const override { return std::make_unique<TaskT>(config_); }
    std::chrono::microseconds budget(double scale) const override { return config_.budget(scale); }
    std::chrono::microseconds budget(double scale, std::size_t clients) const override {
        if constexpr (requires { config_.budget(scale, clients); }) return config_.budget(scale, clients);
        else return config_.budget(scale);
    }

private:
    Config config_;
};

inline std::chrono::microseconds scaled_us(double ms, double scale) { return ms_to_us(ms * scale); }

/// A deadline after --timeout-scale, as text for reasons: "3000 ms".
inline std::string scaled_text(StepContext& ctx, double ms) {
    return util::num(static_cast<double>(ctx.scaled(ms).count()) / 1000.0) + " ms";
}

} // namespace pushcheck::engine::steps
