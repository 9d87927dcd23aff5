// receive: `count` matching messages arrive, each within its deadline of the previous one.
#include "steps/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::steps {
namespace {

struct Config {
    std::int64_t count = 1;
    PatternPtr match, skip;
    double first_within_ms = 0, each_within_ms = 0;
    std::chrono::microseconds budget(double scale) const {
        return scaled_us(first_within_ms, scale) + scaled_us(each_within_ms, scale) * (count - 1);
    }
};

class ReceiveTask : public Task {
public:
    explicit ReceiveTask(const Config& c) : cfg_(c) {}

    TaskStatus start(StepContext& ctx) override {
        if (ctx.client(client).connection < 0) return not_connected(ctx, client, "it never joined");
        deadline = ctx.now() + ctx.scaled(cfg_.first_within_ms);
        return drain(ctx);
    }
    TaskStatus on_event(StepContext& ctx, std::size_t) override { return drain(ctx); }
    TaskStatus on_deadline(StepContext& ctx) override { return late(ctx, kNoEvent); }

private:
    TaskStatus late(StepContext& ctx, std::size_t late_idx) {
        std::string reason =
            got_ == 0 ? "no message matching " + cfg_.match->describe() + " within " + scaled_text(ctx, cfg_.first_within_ms)
                      : fmt::format("received {} of {} messages matching {}; the next did not come within {} of the previous one",
                                    got_, cfg_.count, cfg_.match->describe(), scaled_text(ctx, cfg_.each_within_ms));
        std::vector<std::size_t> ev;
        if (last_ != kNoEvent) ev.push_back(last_);
        if (late_idx != kNoEvent) ev.push_back(late_idx);
        return ctx.fail(client, std::move(reason), std::move(ev));
    }

    TaskStatus drain(StepContext& ctx) {
        ClientState& c = ctx.client(client);
        while (!c.pending.empty()) {
            const std::size_t idx = c.pending.front();
            c.pending.pop();
            if (deadline && ctx.time_of(idx) > *deadline) return late(ctx, idx);
            const ParsedMessage& m = ctx.message(idx);
            if (cfg_.match->matches(m)) {
                last_ = idx;
                if (++got_ == cfg_.count) return TaskStatus::passed;
                deadline = ctx.time_of(idx) + ctx.scaled(cfg_.each_within_ms);
                continue;
            }
            if (cfg_.skip && cfg_.skip->matches(m)) continue;
            std::string why;
            cfg_.match->matches(m, &why);
            return ctx.fail(client,
                            fmt::format("message {} (after {} of {} matching) does not match: {}",
                                        util::preview(ctx.event(idx)), got_, cfg_.count, why),
                            {idx});
        }
        if (c.state == ConnState::closed)
            return ctx.fail(client,
                            fmt::format("the connection ended ({}) after {} of {} messages matching {}", ended_how(ctx, c),
                                        got_, cfg_.count, cfg_.match->describe()),
                            evidence_of(ended_event(c)));
        return TaskStatus::running;
    }

    const Config& cfg_;
    std::int64_t got_ = 0;
    std::size_t last_ = kNoEvent;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.count = p.integer_or("count", 1);
    c.match = p.pattern("match");
    c.skip = p.optional_pattern("skip");
    if (p.has("each_within_ms")) {
        c.each_within_ms = p.number("each_within_ms");
    } else {
        // One interval, its tolerance, and the usual message deadline.
        double interval = p.profile_number("push.interval_ms", "each_within_ms");
        double pct = p.profile_number("push.tolerance_pct", "each_within_ms");
        double min_ms = p.profile_number("push.tolerance_min_ms", "each_within_ms");
        double msg = p.profile_number("timeouts.message_ms", "each_within_ms");
        c.each_within_ms = interval + std::max(interval * pct / 100.0, min_ms) + msg;
    }
    c.first_within_ms = p.number_or("first_within_ms", c.each_within_ms);
    return std::make_unique<StepOf<Config, ReceiveTask>>(std::move(c));
}

const StepInfo kReceive{
    "receive",
    "`count` messages matching `match` arrive, the first within first_within_ms and each next within each_within_ms",
    true,
    {{"count", ParamType::integer, true, {}, 1},
     {"match", ParamType::pattern, true},
     {"skip", ParamType::pattern},
     {"first_within_ms", ParamType::duration},
     {"each_within_ms", ParamType::duration}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kReceive);
} // namespace pushcheck::engine::steps
