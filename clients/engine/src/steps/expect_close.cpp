// expect_close: the connection ends with an accepted code, cleanly, and in time.
#include "steps/common.hpp"

#include <algorithm>

namespace pushcheck::engine::steps {
namespace {

struct Config {
    std::vector<int> codes;  // empty: any code
    double within_ms = 2000;
    bool clean = true;
    PatternPtr skip;
    std::chrono::microseconds budget(double scale) const { return scaled_us(within_ms, scale); }
};

std::string code_list(const std::vector<int>& codes) {
    std::vector<std::string> s;
    for (int c : codes) s.push_back(std::to_string(c));
    return codes.size() == 1 ? s[0] : "one of " + util::join(s);
}

class ExpectCloseTask : public Task {
public:
    explicit ExpectCloseTask(const Config& c) : cfg_(c) {}

    TaskStatus start(StepContext& ctx) override {
        if (ctx.client(client).connection < 0) return not_connected(ctx, client, "it never joined");
        deadline = ctx.now() + ctx.scaled(cfg_.within_ms);
        return drain(ctx);
    }
    TaskStatus on_event(StepContext& ctx, std::size_t) override { return drain(ctx); }
    TaskStatus on_deadline(StepContext& ctx) override {
        return ctx.fail(client, "the connection did not close within " + scaled_text(ctx, cfg_.within_ms));
    }

private:
    TaskStatus drain(StepContext& ctx) {
        ClientState& c = ctx.client(client);
        while (!c.pending.empty()) {
            const std::size_t idx = c.pending.front();
            c.pending.pop();
            const ParsedMessage& m = ctx.message(idx);
            if (cfg_.skip && cfg_.skip->matches(m)) continue;
            std::string reason = "message " + util::preview(ctx.event(idx)) + " arrived before the close";
            if (cfg_.skip) {
                std::string why;
                cfg_.skip->matches(m, &why);
                reason += " and does not match skip: " + why;
            }
            return ctx.fail(client, std::move(reason), {idx});
        }
        if (c.state != ConnState::closed) return TaskStatus::running;
        // A handshake refused with an HTTP status (join with expect refused/any) left nothing to close.
        if (c.closed_at == kNoEvent && c.failed_at != kNoEvent && ctx.event(c.failed_at).http_status != 0)
            return TaskStatus::passed;
        if (c.closed_at == kNoEvent)
            return ctx.fail(client, "the connection ended without a close (" + ended_how(ctx, c) + ")",
                            evidence_of(ended_event(c)));
        const Event& e = ctx.event(c.closed_at);
        if (ctx.time_of(c.closed_at) > *deadline) return on_deadline(ctx);
        if (!cfg_.codes.empty()) {
            if (e.close_code == 0)
                return ctx.fail(client,
                                "the connection ended without a close frame (" + util::describe_close(e) + "), expected code " +
                                    code_list(cfg_.codes),
                                {c.closed_at});
            if (std::find(cfg_.codes.begin(), cfg_.codes.end(), e.close_code) == cfg_.codes.end())
                return ctx.fail(client,
                                "closed with code " + std::to_string(e.close_code) + ", expected " + code_list(cfg_.codes),
                                {c.closed_at});
        }
        if (cfg_.clean && !e.clean)
            return ctx.fail(client, "the connection did not close cleanly (" + util::describe_close(e) + ")", {c.closed_at});
        return TaskStatus::passed;
    }

    const Config& cfg_;
};

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    c.codes = p.integers_or_profile("codes", "close.codes");
    c.within_ms = p.number_or_profile("within_ms", "close.within_ms");
    c.clean = p.boolean_or("clean", true);
    c.skip = p.optional_pattern("skip");
    return std::make_unique<StepOf<Config, ExpectCloseTask>>(std::move(c));
}

const StepInfo kExpectClose{
    "expect_close",
    "the connection ends with one of `codes`, cleanly if `clean`, within the deadline; earlier messages must match `skip`",
    true,
    {{"codes", ParamType::integers},
     {"within_ms", ParamType::duration},
     {"clean", ParamType::boolean},
     {"skip", ParamType::pattern}},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kExpectClose);
} // namespace pushcheck::engine::steps
