// discard: forget the messages a client received so far, so that later steps judge only new ones.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    std::chrono::microseconds budget(double) const { return {}; }
};

class DiscardTask : public Task {
public:
    explicit DiscardTask(const Config&) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (c.connection < 0) return not_connected(ctx, client, "it never joined");
        c.pending.clear();  // still in the transcript for checks; only the queue forgets them
        return TaskStatus::passed;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::running; }
};

std::unique_ptr<Step> make(const Params&) { return std::make_unique<StepOf<Config, DiscardTask>>(Config{}); }

const StepInfo kDiscard{
    "discard",
    "consume every message the client has received so far without judging it (checks still see them)",
    true,
    {},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kDiscard);
} // namespace pushcheck::engine::steps
