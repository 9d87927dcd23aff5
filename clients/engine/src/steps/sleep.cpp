// sleep: let time pass (messages keep arriving and stay queued).
#include "steps/common.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    double for_ms = 0;
    std::chrono::microseconds budget(double) const { return ms_to_us(for_ms); }
};

class SleepTask : public Task {
public:
    explicit SleepTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        deadline = ctx.now() + ms_to_us(cfg_.for_ms);
        return TaskStatus::running;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::passed; }

private:
    const Config& cfg_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.for_ms = p.number("for_ms");
    return std::make_unique<StepOf<Config, SleepTask>>(std::move(c));
}

const StepInfo kSleep{
    "sleep",
    "wait `for_ms` milliseconds; always passes",
    false,
    {{"for_ms", ParamType::duration, true}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kSleep);
} // namespace pushcheck::engine::steps
