// leave: run the profile's leave steps (e.g. an unsubscribe message and its answer).
#include "steps/sequence.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    double sequence_ms = 0;
    std::chrono::microseconds budget(double scale) const { return scaled_us(sequence_ms, scale); }
};

class LeaveTask : public Task {
public:
    explicit LeaveTask(const Config&) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (auto why = not_open_reason(c); !why.empty()) return not_connected(ctx, client, why);
        sequence_.emplace(ctx.protocol().leave);
        return sequence_->advance(ctx, *this);
    }
    TaskStatus on_event(StepContext& ctx, std::size_t) override { return sequence_->advance(ctx, *this); }
    TaskStatus on_deadline(StepContext& ctx) override { return sequence_->timed_out(ctx, *this); }

private:
    std::optional<SequenceRun> sequence_;
};

std::unique_ptr<Step> make(const Params& p) {
    if (!p.profile().find("leave"))
        p.fail("", "profile " + p.profile().name + " has no \"leave\" section (the messages that leave a room); "
                   "a scenario using leave declares \"requires\": [\"leave\"]");
    Config c;
    c.sequence_ms = sequence_budget_ms(p.profile().values, "leave");
    return std::make_unique<StepOf<Config, LeaveTask>>(std::move(c));
}

const StepInfo kLeave{
    "leave",
    "leave the room the way the profile's leave steps say (send and expect messages), keeping the connection",
    true,
    {},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kLeave);
} // namespace pushcheck::engine::steps
