// The task shared by `pause_reading` and `resume_reading` (internal).
#pragma once
#include "steps/common.hpp"

namespace pushcheck::engine::steps {

struct ReadingConfig {
    Command::Kind kind = Command::Kind::pause_reading;
    std::chrono::microseconds budget(double) const { return {}; }
};

/// Asks the driver to stop or start reading the client's socket; passes at once.
class ReadingTask : public Task {
public:
    explicit ReadingTask(const ReadingConfig& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (!c.connected()) {
            // Resuming a connection that ended (say, cut off while paused) has nothing left to do.
            if (cfg_.kind == Command::Kind::resume_reading && c.state == ConnState::closed) return TaskStatus::passed;
            return not_connected(ctx, client, not_open_reason(c));
        }
        Command cmd;
        cmd.kind = cfg_.kind;
        cmd.client = c.name;
        cmd.connection = c.connection;
        ctx.emit(std::move(cmd));
        return TaskStatus::passed;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::running; }

private:
    const ReadingConfig& cfg_;
};

} // namespace pushcheck::engine::steps
