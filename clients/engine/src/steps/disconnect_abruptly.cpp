// disconnect_abruptly: reset the TCP connection with no close frame.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    bool allow_closed = false;
    std::chrono::microseconds budget(double) const { return {}; }
};

class AbortTask : public Task {
public:
    explicit AbortTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (cfg_.allow_closed && c.state == ConnState::closed) return TaskStatus::passed;  // the server dropped it already
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

private:
    const Config& cfg_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.allow_closed = p.boolean_or("allow_closed", false);
    return std::make_unique<StepOf<Config, AbortTask>>(c);
}

const StepInfo kDisconnectAbruptly{
    "disconnect_abruptly",
    "drop the TCP connection with no close frame (a reset, SO_LINGER 0); `allow_closed`: a connection the server "
    "already ended passes",
    true,
    {{"allow_closed", ParamType::boolean}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kDisconnectAbruptly);
} // namespace pushcheck::engine::steps
