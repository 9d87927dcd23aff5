// close: send a close frame and keep reading until the server answers.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    int code = 1000;
    std::string reason;
    std::chrono::microseconds budget(double) const { return {}; }
};

class CloseTask : public Task {
public:
    explicit CloseTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (auto why = not_open_reason(c); !why.empty()) return not_connected(ctx, client, why);
        c.state = ConnState::closing;
        Command cmd;
        cmd.kind = Command::Kind::close;
        cmd.client = c.name;
        cmd.connection = c.connection;
        cmd.code = cfg_.code;
        cmd.reason = cfg_.reason;
        ctx.emit(std::move(cmd));
        return TaskStatus::passed;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::running; }

private:
    const Config& cfg_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.code = static_cast<int>(p.integer_or("code", 1000));
    c.reason = p.string_or("reason", "");
    if (c.reason.size() > 123) p.fail("reason", "a close reason has at most 123 bytes (RFC 6455)");
    return std::make_unique<StepOf<Config, CloseTask>>(std::move(c));
}

const StepInfo kClose{
    "close",
    "send a close frame with `code` and `reason` (then keep reading)",
    true,
    // Codes a client may put on the wire (RFC 6455 7.4): 1000-1003, 1007-1011, 3000-4999.
    {{"code", ParamType::integer, false, {}, 1000, 4999}, {"reason", ParamType::string}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kClose);
} // namespace pushcheck::engine::steps
