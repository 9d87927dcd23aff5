// expect_silence: no matching message arrives for a while.
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    PatternPtr match;  // null: any message
    double for_ms = 0;
    std::chrono::microseconds budget(double) const { return ms_to_us(for_ms); }  // a window, not a deadline
};

class SilenceTask : public Task {
public:
    explicit SilenceTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        from_ = ctx.now();
        deadline = from_ + ms_to_us(cfg_.for_ms);
        return TaskStatus::running;
    }
    // Observes only: messages stay queued for later steps.
    TaskStatus on_event(StepContext& ctx, std::size_t idx) override {
        const Event& e = ctx.event(idx);
        if (e.kind != EventKind::received || e.handling != Handling::none) return TaskStatus::running;
        const auto at = ctx.time_of(idx);
        if (at < from_ || at > *deadline) return TaskStatus::running;
        if (cfg_.match && !cfg_.match->matches(ctx.message(idx))) return TaskStatus::running;
        const double into = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(at - from_).count()) / 1000.0;
        return ctx.fail(client,
                        "message " + util::preview(e) + " arrived " + util::num(into) + " ms into a " +
                            util::num(cfg_.for_ms) + " ms silence window",
                        {idx});
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::passed; }

private:
    const Config& cfg_;
    SteadyTime from_{};
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.for_ms = p.number("for_ms");
    if (p.has("match")) {
        c.match = p.pattern("match");
        if (c.match->is_any()) c.match = nullptr;
    }
    return std::make_unique<StepOf<Config, SilenceTask>>(std::move(c));
}

const StepInfo kExpectSilence{
    "expect_silence",
    "no message matching `match` (default: any) arrives during `for_ms`",
    true,
    {{"match", ParamType::pattern}, {"for_ms", ParamType::duration, true}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kExpectSilence);
} // namespace pushcheck::engine::steps
