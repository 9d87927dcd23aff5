// disconnect_abruptly: reset the TCP connection with no close frame.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    std::chrono::microseconds budget(double) const { return {}; }
};

class AbortTask : public Task {
public:
    explicit AbortTask(const Config&) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (!c.connected()) return not_connected(ctx, client, not_open_reason(c));
        Command cmd;
        cmd.kind = Command::Kind::abort;
        cmd.client = c.name;
        cmd.connection = c.connection;
        ctx.emit(std::move(cmd));
        c.state = ConnState::closed;  // ours is gone now, whatever the driver reports later
        return TaskStatus::passed;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::running; }
};

std::unique_ptr<Step> make(const Params&) { return std::make_unique<StepOf<Config, AbortTask>>(Config{}); }

const StepInfo kDisconnectAbruptly{
    "disconnect_abruptly",
    "drop the TCP connection with no close frame (a reset, SO_LINGER 0)",
    true,
    {},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kDisconnectAbruptly);
} // namespace pushcheck::engine::steps
