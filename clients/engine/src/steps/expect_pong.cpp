// expect_pong: a pong carrying the ping's payload arrives in time.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    double within_ms = 3000;
    std::optional<std::string> data;  // none: the last ping's payload
    std::chrono::microseconds budget(double scale) const { return scaled_us(within_ms, scale); }
};

class ExpectPongTask : public Task {
public:
    explicit ExpectPongTask(const Config& c) : cfg_(c) {}

    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (c.connection < 0) return not_connected(ctx, client, "it never joined");
        want_ = cfg_.data ? *cfg_.data : c.last_ping;
        deadline = ctx.now() + ctx.scaled(cfg_.within_ms);
        return look(ctx);
    }
    TaskStatus on_event(StepContext& ctx, std::size_t) override { return look(ctx); }
    TaskStatus on_deadline(StepContext& ctx) override {
        const ClientState& c = ctx.client(client);
        std::string reason = "no pong with payload \"" + want_ + "\" within " + scaled_text(ctx, cfg_.within_ms);
        if (!c.pongs.empty()) reason += " (" + std::to_string(c.pongs.size()) + " pong(s) with another payload)";
        return ctx.fail(client, std::move(reason), c.pongs);
    }

private:
    TaskStatus look(StepContext& ctx) {
        const ClientState& c = ctx.client(client);
        for (std::size_t idx : c.pongs)
            if (ctx.event(idx).data == want_) {
                if (ctx.time_of(idx) > *deadline) return on_deadline(ctx);
                return TaskStatus::passed;
            }
        if (c.state == ConnState::closed)
            return ctx.fail(client, "the connection ended (" + ended_how(ctx, c) + ") before a pong arrived",
                            evidence_of(ended_event(c)));
        return TaskStatus::running;
    }

    const Config& cfg_;
    std::string want_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.within_ms = p.number_or_profile("within_ms", "timeouts.message_ms");
    if (p.has("data")) c.data = p.string_or("data", "");
    return std::make_unique<StepOf<Config, ExpectPongTask>>(std::move(c));
}

const StepInfo kExpectPong{
    "expect_pong",
    "a pong with the last ping's payload (or `data`) arrives within the deadline",
    true,
    {{"within_ms", ParamType::duration}, {"data", ParamType::string}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kExpectPong);
} // namespace pushcheck::engine::steps
