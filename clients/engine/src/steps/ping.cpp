// ping: send a ping control frame.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    std::string data;
    std::chrono::microseconds budget(double) const { return {}; }
};

class PingTask : public Task {
public:
    explicit PingTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (auto why = not_open_reason(c); !why.empty()) return not_connected(ctx, client, why);
        c.last_ping = cfg_.data;
        c.pongs.clear();  // expect_pong looks only at pongs after this ping
        Command cmd;
        cmd.kind = Command::Kind::ping;
        cmd.client = c.name;
        cmd.connection = c.connection;
        cmd.data = cfg_.data;
        ctx.emit(std::move(cmd));
        return TaskStatus::passed;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::running; }

private:
    const Config& cfg_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.data = p.string_or("data", "pushcheck");
    if (c.data.size() > 125) p.fail("data", "a ping payload has at most 125 bytes (RFC 6455), got " + std::to_string(c.data.size()));
    return std::make_unique<StepOf<Config, PingTask>>(std::move(c));
}

const StepInfo kPing{
    "ping",
    "send a ping control frame with `data` as payload",
    true,
    {{"data", ParamType::string}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kPing);
} // namespace pushcheck::engine::steps
