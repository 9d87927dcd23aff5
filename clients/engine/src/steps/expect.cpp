// expect: the next message matching a pattern arrives in time; earlier ones must match skip.
#include "steps/common.hpp"

#include "engine/protocol.hpp"

namespace pushcheck::engine::steps {
namespace {

struct Config {
    PatternPtr match, skip;
    std::vector<Capture> captures;
    double within_ms = 3000;
    std::chrono::microseconds budget(double scale) const { return scaled_us(within_ms, scale); }
};

class ExpectTask : public Task {
public:
    explicit ExpectTask(const Config& c) : cfg_(c) {}

    TaskStatus start(StepContext& ctx) override {
        if (ctx.client(client).connection < 0) return not_connected(ctx, client, "it never joined");
        deadline = ctx.now() + ctx.scaled(cfg_.within_ms);
        return drain(ctx);
    }
    TaskStatus on_event(StepContext& ctx, std::size_t) override { return drain(ctx); }
    TaskStatus on_deadline(StepContext& ctx) override {
        std::string reason = "no message matching " + cfg_.match->describe() + " within " + scaled_text(ctx, cfg_.within_ms);
        return ctx.fail(client, reason + skipped_text(), std::move(last_skipped_));
    }

private:
    TaskStatus drain(StepContext& ctx) {
        ClientState& c = ctx.client(client);
        while (!c.pending.empty()) {
            const std::size_t idx = c.pending.front();
            c.pending.pop();
            // Delivered after the deadline (the driver was late to call on_time): still too late.
            if (deadline && ctx.time_of(idx) > *deadline) {
                last_skipped_.push_back(idx);
                return on_deadline(ctx);
            }
            const ParsedMessage& m = ctx.message(idx);
            if (cfg_.match->matches(m)) {
                for (const auto& cap : cfg_.captures) {
                    std::string why;
                    auto v = cap.take(m, ctx.event(idx).data, &why);
                    if (!v) return ctx.fail(client, why, {idx});
                    c.capture(cap.name, std::move(*v));
                }
                return TaskStatus::passed;
            }
            if (cfg_.skip && cfg_.skip->matches(m)) {
                ++skipped_;
                if (last_skipped_.size() == 5) last_skipped_.erase(last_skipped_.begin());
                last_skipped_.push_back(idx);
                continue;
            }
            std::string why;
            cfg_.match->matches(m, &why);
            return ctx.fail(client, "message " + util::preview(ctx.event(idx)) + " does not match: " + why, {idx});
        }
        if (c.state == ConnState::closed)
            return ctx.fail(client,
                            "the connection ended (" + ended_how(ctx, c) + ") before a message matching " +
                                cfg_.match->describe() + " arrived" + skipped_text(),
                            evidence_of(ended_event(c)));
        return TaskStatus::running;
    }

    // What was passed over, so "(1 skipped)" never leaves the reader guessing what and why.
    std::string skipped_text() const {
        if (!skipped_) return "";
        return "; meanwhile " + std::to_string(skipped_) + (skipped_ == 1 ? " message" : " messages") + " matching skip " +
               cfg_.skip->describe(60) + (skipped_ == 1 ? " was" : " were") + " passed over";
    }

    const Config& cfg_;
    std::size_t skipped_ = 0;
    std::vector<std::size_t> last_skipped_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.match = p.pattern("match");
    c.skip = p.optional_pattern("skip");
    c.within_ms = p.number_or_profile("within_ms", "timeouts.message_ms");
    if (p.has("capture")) c.captures = parse_captures(p.raw("capture"), p.file(), p.pointer() + "/capture");
    return std::make_unique<StepOf<Config, ExpectTask>>(std::move(c));
}

const StepInfo kExpect{
    "expect",
    "the next message matching `match` arrives within the deadline; earlier messages must match `skip`; `capture` "
    "keeps values of it for {{name}} templates",
    true,
    {{"match", ParamType::pattern, true},
     {"skip", ParamType::pattern},
     {"within_ms", ParamType::duration},
     {"capture", ParamType::json}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kExpect);
} // namespace pushcheck::engine::steps
