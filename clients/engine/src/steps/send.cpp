// send: hand one text or binary frame to the transport.
#include "pushcheck/engine/error.hpp"
#include "steps/common.hpp"

#include "engine/protocol.hpp"

namespace pushcheck::engine::steps {
namespace {

constexpr std::size_t kMaxPayload = 64u << 20;  // a scenario typo must not allocate gigabytes

struct Config {
    std::string payload;
    bool binary = false;
    std::optional<OutMessage> templated;  // json or text with {{name}} parts: built per client
    std::chrono::microseconds budget(double) const { return {}; }
};

class SendTask : public Task {
public:
    explicit SendTask(const Config& c) : cfg_(c) {}
    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        if (auto why = not_open_reason(c); !why.empty()) return not_connected(ctx, client, why);
        Command cmd;
        cmd.kind = cfg_.binary ? Command::Kind::send_binary : Command::Kind::send_text;
        cmd.client = c.name;
        cmd.connection = c.connection;
        if (cfg_.templated) {
            std::string why;
            auto frame = cfg_.templated->build(&c, *ctx.protocol().framing, &why);
            if (!frame) return ctx.fail(client, why);
            cmd.data = std::move(*frame);
        } else {
            cmd.data = cfg_.payload;
        }
        ctx.emit(std::move(cmd));
        return TaskStatus::passed;
    }
    TaskStatus on_deadline(StepContext&) override { return TaskStatus::running; }

private:
    const Config& cfg_;
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Returns "" or the problem.
std::string decode_hex(const std::string& hex, std::string& out) {
    if (hex.size() % 2) return "expected an even number of hex digits, got " + std::to_string(hex.size());
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return "not a hex digit at offset " + std::to_string(hi < 0 ? i : i + 1);
        out += static_cast<char>(hi * 16 + lo);
    }
    return "";
}

void validate(const nlohmann::json& step, const std::string& file, const std::string& ptr) {
    int n = step.contains("json") + step.contains("text") + step.contains("binary_hex");
    if (n != 1) throw ConfigError(file, ptr, "step send needs exactly one of \"json\", \"text\" or \"binary_hex\"");
    if (step.contains("binary_hex") && step["binary_hex"].is_string()) {
        std::string bytes;
        if (auto why = decode_hex(step["binary_hex"].get<std::string>(), bytes); !why.empty())
            throw ConfigError(file, ptr + "/binary_hex", why);
    }
}

std::unique_ptr<Step> make(const Params& p) {
    Config c;
    std::string unit;
    if (p.has("json")) {
        // Encoded by the profile's framing (JSON text, or e.g. a Socket.IO packet).
        OutMessage m = out_json(p.raw("json"), *framing_of(p.profile()), p.file(), p.pointer() + "/json");
        if (m.templated) c.templated = std::move(m);
        else unit = std::move(m.frame);
    } else if (p.has("text")) {
        unit = p.string_or("text", "");
        if (TextTemplate::parse(unit)) c.templated = out_text(unit);
    } else if (p.has("binary_hex")) {
        c.binary = true;
        if (auto why = decode_hex(p.string_or("binary_hex", ""), unit); !why.empty()) p.fail("binary_hex", why);
    } else {
        p.fail("", "step send needs exactly one of \"json\", \"text\" or \"binary_hex\"");
    }
    std::int64_t repeat = p.integer_or("repeat", 1);
    if (c.templated && repeat != 1) p.fail("repeat", "a message with {{name}} templates cannot be repeated");
    if (!unit.empty() && static_cast<std::uint64_t>(repeat) > kMaxPayload / unit.size())
        p.fail("repeat", "the payload would exceed " + std::to_string(kMaxPayload >> 20) + " MiB");
    c.payload.reserve(unit.size() * static_cast<std::size_t>(repeat));
    for (std::int64_t i = 0; i < repeat; ++i) c.payload += unit;
    return std::make_unique<StepOf<Config, SendTask>>(std::move(c));
}

const StepInfo kSend{
    "send",
    "send one frame: `json` (encoded by the profile's framing), `text` or `binary_hex`; `repeat` repeats the "
    "payload inside the frame",
    true,
    {{"json", ParamType::json},
     {"text", ParamType::string},
     {"binary_hex", ParamType::string},
     {"repeat", ParamType::integer, false, {}, 1}},
    &validate,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kSend);
} // namespace pushcheck::engine::steps
