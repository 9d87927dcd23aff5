// The task shared by `join` and `reconnect` (internal).
#pragma once
#include "steps/common.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::steps {

/// Extra time the engine waits past the driver's connect timeout, so the driver's own
/// connect_failed event (with its cause) arrives before the engine gives up.
inline constexpr double kDriverGraceMs = 250;

struct ConnectConfig {
    enum class Expect { open, refused, any };
    std::shared_ptr<const JoinTarget> target;  // null: reuse the client's last join (reconnect)
    double within_ms = 5000;
    Expect expect = Expect::open;

    std::chrono::microseconds budget(double scale) const { return scaled_us(within_ms, scale) + ms_to_us(kDriverGraceMs); }

    static Expect parse_expect(const Params& p) {
        std::string e = p.string_or("expect", "open");
        if (e == "refused") return Expect::refused;
        if (e == "any") return Expect::any;
        if (e != "open") p.fail("expect", "expected open, refused or any, got \"" + e + "\"");
        return Expect::open;
    }
};

class ConnectTask : public Task {
public:
    explicit ConnectTask(const ConnectConfig& c) : cfg_(c) {}

    TaskStatus start(StepContext& ctx) override {
        ClientState& c = ctx.client(client);
        std::shared_ptr<const JoinTarget> target = cfg_.target;
        if (!target) {
            if (!c.join) return ctx.fail(kNoClient, "client " + c.name + " never joined, so it cannot reconnect");
            target = c.join;
            if (c.state == ConnState::connecting || c.connected()) {
                Command drop;
                drop.kind = Command::Kind::abort;
                drop.client = c.name;
                drop.connection = c.connection;
                ctx.emit(std::move(drop));
            }
        }
        c.begin_connection();
        c.join = target;
        path_ = &target->path;
        Command cmd;
        cmd.kind = Command::Kind::connect;
        cmd.client = c.name;
        cmd.connection = c.connection;
        cmd.path = target->path;
        cmd.headers = target->headers;
        cmd.subprotocols = target->subprotocols;
        cmd.recv_buffer = target->recv_buffer;
        const auto within = ctx.scaled(cfg_.within_ms);
        cmd.timeout = std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(within));
        ctx.emit(std::move(cmd));
        deadline = ctx.now() + within + ms_to_us(kDriverGraceMs);
        return TaskStatus::running;
    }

    TaskStatus on_event(StepContext& ctx, std::size_t idx) override {
        const Event& e = ctx.event(idx);
        switch (e.kind) {
        case EventKind::connected:
            if (cfg_.expect == ConnectConfig::Expect::refused)
                return ctx.fail(client, "the handshake to " + *path_ + " was accepted; expected a refusal", {idx});
            return TaskStatus::passed;
        case EventKind::connect_failed:
            if (e.http_status == 0)
                return ctx.fail(kNoClient,
                                "connect failed: " + (e.data.empty() ? std::string("no WebSocket session") : util::one_line(e.data)) +
                                    " (client " + ctx.client(client).name + ", " + *path_ + ")",
                                {idx});
            if (cfg_.expect == ConnectConfig::Expect::open)
                return ctx.fail(client,
                                fmt::format("the handshake to {} was refused with HTTP {}{}", *path_, e.http_status,
                                            e.data.empty() ? "" : ": " + util::one_line(e.data)),
                                {idx});
            return TaskStatus::passed;
        case EventKind::closed:
            return ctx.fail(client, "the connection ended during the handshake (" + util::describe_close(e) + ")", {idx});
        default: return TaskStatus::running;
        }
    }

    TaskStatus on_deadline(StepContext& ctx) override {
        return ctx.fail(kNoClient, "connect failed: no handshake within " + scaled_text(ctx, cfg_.within_ms) + " (client " +
                                       ctx.client(client).name + ", " + *path_ + ")");
    }

private:
    const ConnectConfig& cfg_;
    const std::string* path_ = nullptr;
};

} // namespace pushcheck::engine::steps
