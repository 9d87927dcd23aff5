// hold: stay connected for `for_ms`, consuming every message as it arrives (checks judge them).
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    double for_ms = 0;
    bool allow_disconnect = false;
    std::chrono::microseconds budget(double) const { return ms_to_us(for_ms); }
};

// Unlike sleep, nothing piles up in the client's queue, so a long hold of many clients costs
// no memory; unlike receive, a late or missing push does not stop the run (a check counts it).
class HoldTask : public Task {
public:
    explicit HoldTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (c.connection < 0) return not_connected(ctx, client, "it never joined");
        c.pending.clear();
        deadline = ctx.now() + ms_to_us(cfg_.for_ms);
        return check(ctx);
    }
    TaskStatus on_event(StepContext& ctx, std::size_t) override {
        ctx.client(client).pending.clear();
        return check(ctx);
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::passed; }

private:
    TaskStatus check(StepContext& ctx) {
        const ClientState& c = ctx.client(client);
        if (cfg_.allow_disconnect || c.connected()) return TaskStatus::running;
        return ctx.fail(client, "the connection ended (" + ended_how(ctx, c) + ") while it was held",
                        evidence_of(ended_event(c)));
    }
    const Config& cfg_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.for_ms = p.number("for_ms");
    c.allow_disconnect = p.boolean_or("allow_disconnect", false);
    return std::make_unique<StepOf<Config, HoldTask>>(std::move(c));
}

const StepInfo kHold{
    "hold",
    "stay connected for `for_ms`, consuming every message (checks still judge them); fails if the connection "
    "ends, unless allow_disconnect",
    true,
    {{"for_ms", ParamType::duration, true}, {"allow_disconnect", ParamType::boolean}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kHold);
} // namespace pushcheck::engine::steps
