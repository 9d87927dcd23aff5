// flood: write many frames as fast as the socket takes them, without reading.
#include "pushcheck/engine/error.hpp"
#include "steps/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::steps {
namespace {

constexpr std::int64_t kMaxFrames = 10'000'000;
constexpr std::size_t kMaxText = 4096;  // small frames: one is written only when the socket has room for it
// The driver ends a flood at its time limit; a frame already handed to the socket may take a little longer.
constexpr double kGraceMs = 2000;

struct Config {
    std::string payload;
    bool text = false;
    std::int64_t count = 0;
    double for_ms = 0;
    bool hold = false;  // the step lasts for_ms even when the count is reached early
    std::chrono::microseconds budget(double) const { return ms_to_us(for_ms + kGraceMs); }
};

class FloodTask : public Task {
public:
    explicit FloodTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (auto why = not_open_reason(c); !why.empty()) return not_connected(ctx, client, why);
        Command cmd;
        cmd.kind = Command::Kind::flood;
        cmd.client = c.name;
        cmd.connection = c.connection;
        cmd.data = cfg_.payload;
        cmd.flood_text = cfg_.text;
        cmd.count = static_cast<std::uint64_t>(cfg_.count);
        cmd.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(cfg_.for_ms));
        ctx.emit(std::move(cmd));
        start_ = ctx.now();
        deadline = start_ + ms_to_us(cfg_.for_ms + kGraceMs);
        return TaskStatus::running;
    }
    TaskStatus on_event(StepContext& ctx, std::size_t idx) override {
        const Event& e = ctx.event(idx);
        if (e.kind == EventKind::sent && e.flood) {
            reported_ = true;
            // Held: runs of several drivers against one server end their floods together.
            if (!cfg_.hold || ctx.now() >= start_ + ms_to_us(cfg_.for_ms)) return TaskStatus::passed;
            deadline = start_ + ms_to_us(cfg_.for_ms);
            return TaskStatus::running;
        }
        if (reported_) return TaskStatus::running;
        if (e.kind == EventKind::closed)
            return ctx.fail(client, "the connection ended (" + util::describe_close(e) + ") before the flood reported", {idx});
        if (e.kind == EventKind::error && e.data == "not connected") return not_connected(ctx, client, "the driver has no open connection");
        return TaskStatus::running;
    }
    TaskStatus on_deadline(StepContext& ctx) override {
        if (reported_) return TaskStatus::passed;
        return ctx.fail(client, fmt::format("the flood did not end within {} ms of its {} ms limit", util::num(kGraceMs),
                                            util::num(cfg_.for_ms)));
    }

private:
    const Config& cfg_;
    SteadyTime start_{};
    bool reported_ = false;
};

void validate(const nlohmann::json& step, const std::string& file, const std::string& ptr) {
    if (step.contains("ping") == step.contains("text"))
        throw ConfigError(file, ptr, "step flood needs exactly one of \"ping\" (a ping payload) or \"text\" (a text message)");
}

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    if (p.has("ping")) {
        c.payload = p.string_or("ping", "");
        if (c.payload.size() > 125)
            p.fail("ping", "a ping payload has at most 125 bytes (RFC 6455), got " + std::to_string(c.payload.size()));
    } else if (p.has("text")) {
        c.text = true;
        c.payload = p.string_or("text", "");
        if (c.payload.size() > kMaxText)
            p.fail("text", fmt::format("a flood's text has at most {} bytes, got {}", kMaxText, c.payload.size()));
    } else {
        p.fail("", "step flood needs exactly one of \"ping\" (a ping payload) or \"text\" (a text message)");
    }
    c.count = p.integer_or("count", 1);
    c.for_ms = p.number("for_ms");
    c.hold = p.boolean_or("hold", false);
    return std::make_unique<StepOf<Config, FloodTask>>(std::move(c));
}

const StepInfo kFlood{
    "flood",
    "write `count` pings with payload `ping` (or text messages `text`) as fast as the socket takes them, without "
    "reading, for at most `for_ms`; passes when the driver reports how many went out (with `hold`, not before "
    "`for_ms`)",
    true,
    {{"count", ParamType::integer, true, {}, 1, kMaxFrames},
     {"ping", ParamType::string},
     {"text", ParamType::string},
     {"for_ms", ParamType::duration, true, {}, 1},
     {"hold", ParamType::boolean}},
    &validate,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kFlood);
} // namespace pushcheck::engine::steps
