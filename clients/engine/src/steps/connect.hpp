// The task shared by `join` and `reconnect` (internal).
#pragma once
#include "steps/sequence.hpp"

#include <fmt/format.h>

namespace pushcheck::engine::steps {

/// Extra time the engine waits past the driver's connect timeout, so the driver's own
/// connect_failed event (with its cause) arrives before the engine gives up.
inline constexpr double kDriverGraceMs = 250;

struct ConnectConfig {
    // attempt: any outcome passes, even no answer at all (load runs count outcomes in a check).
    enum class Expect { open, refused, any, attempt };
    std::shared_ptr<const JoinTarget> target;  // null: reuse the client's last join (reconnect)
    double within_ms = 5000;
    Expect expect = Expect::open;
    double ramp_per_s = 0;  // > 0: the k-th client connects k / ramp_per_s seconds after the step starts
    bool render = false;    // the room or the profile's join.path has templates: a target per client
    double sequence_ms = 0; // the profile's join steps: the sum of their expect deadlines

    std::chrono::microseconds budget(double scale) const { return budget(scale, 1); }
    std::chrono::microseconds budget(double scale, std::size_t clients) const {
        const double ramp_ms = ramp_per_s > 0 ? 1000.0 * static_cast<double>(clients) / ramp_per_s : 0.0;
        return scaled_us(within_ms + sequence_ms, scale) + ms_to_us(kDriverGraceMs + ramp_ms);
    }

    /// The specs of join and reconnect allow only these words (ParamType::choice).
    static Expect parse_expect(const Params& p) {
        std::string e = p.string_or("expect", "open");
        if (e == "refused") return Expect::refused;
        if (e == "any") return Expect::any;
        if (e == "attempt") return Expect::attempt;
        return Expect::open;
    }
};

class ConnectTask : public Task {
public:
    explicit ConnectTask(const ConnectConfig& c) : cfg_(c) {}

    TaskStatus start(StepContext& ctx) override {
        if (cfg_.ramp_per_s > 0 && ordinal > 0) {
            waiting_ = true;
            deadline = ctx.now() + ms_to_us(1000.0 * static_cast<double>(ordinal) / cfg_.ramp_per_s);
            return TaskStatus::running;
        }
        return connect(ctx);
    }

    TaskStatus connect(StepContext& ctx) {
        waiting_ = false;
        ClientState& c = ctx.client(client);
        c.connect_sent = ctx.now();
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
        if (cfg_.target && cfg_.render) {
            if (auto why = render_target(ctx, c); !why.empty()) return ctx.fail(client, why);
            target = c.join;
        }
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
        if (waiting_) return TaskStatus::running;  // the previous connection's last events
        if (sequence_ && sequence_->active()) {
            // With expect "any" or "attempt", a server that ends the connection during the join steps has answered.
            if ((cfg_.expect == ConnectConfig::Expect::any || cfg_.expect == ConnectConfig::Expect::attempt) &&
                ctx.client(client).state == ConnState::closed) {
                ctx.client(client).in_profile_steps = false;
                return TaskStatus::passed;
            }
            return sequence_->advance(ctx, *this);
        }
        const Event& e = ctx.event(idx);
        if (cfg_.expect == ConnectConfig::Expect::attempt) {
            // Any outcome passes; an open connection still runs the profile's join steps, leniently.
            if (e.kind == EventKind::connected && start_sequence(ctx)) return sequence_->advance(ctx, *this);
            if (e.kind == EventKind::connected || e.kind == EventKind::connect_failed || e.kind == EventKind::closed)
                return TaskStatus::passed;
            return TaskStatus::running;
        }
        switch (e.kind) {
        case EventKind::connected: {
            if (cfg_.expect == ConnectConfig::Expect::refused)
                return ctx.fail(client, "the handshake to " + *path_ + " was accepted; expected a refusal", {idx});
            const ClientState& c = ctx.client(client);
            const Protocol& proto = ctx.protocol();
            if (c.join && c.join->check_subprotocol && proto.subprotocol && e.data != *proto.subprotocol)
                return ctx.fail(client,
                                fmt::format("the server chose {}; profile {} expects {} (offered: {})",
                                            e.data.empty() ? std::string("no subprotocol") : "subprotocol \"" + e.data + "\"",
                                            proto.profile_name,
                                            proto.subprotocol->empty() ? std::string("none") : "\"" + *proto.subprotocol + "\"",
                                            util::join(c.join->subprotocols)),
                                {idx});
            if (start_sequence(ctx)) return sequence_->advance(ctx, *this);
            return TaskStatus::passed;
        }
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
        if (waiting_) return connect(ctx);
        if (sequence_ && sequence_->active()) return sequence_->timed_out(ctx, *this);  // lenient under attempt
        if (cfg_.expect == ConnectConfig::Expect::attempt) return TaskStatus::passed;
        return ctx.fail(kNoClient, "connect failed: no handshake within " + scaled_text(ctx, cfg_.within_ms) + " (client " +
                                       ctx.client(client).name + ", " + *path_ + ")");
    }

private:
    // Starts the profile's join steps when this client runs them; false when there are none.
    bool start_sequence(StepContext& ctx) {
        const ClientState& c = ctx.client(client);
        const Protocol& proto = ctx.protocol();
        if (!c.join || !c.join->join_steps || proto.join.empty()) return false;
        sequence_.emplace(proto.join, cfg_.expect == ConnectConfig::Expect::attempt);
        return true;
    }

    // The room (and the profile's join.path) rendered for this client; "" or why it cannot be.
    std::string render_target(StepContext& ctx, ClientState& c) {
        auto t = std::make_shared<JoinTarget>(*c.join);
        std::string missing;
        if (auto room = TextTemplate::parse(t->room)) {
            auto v = room->render(&c, &missing);
            if (!v) return "cannot join room " + t->room + ": " + missing_value_text(missing);
            t->room = std::move(*v);
        }
        c.join = t;  // {{room}} in the join path is the rendered room
        const std::string& jp = ctx.protocol().join_path;
        if (jp.empty()) {
            t->path = t->room;
        } else if (auto path = TextTemplate::parse(jp)) {
            auto v = path->render(&c, &missing);
            if (!v) return "cannot build the join path " + jp + ": " + missing_value_text(missing);
            t->path = std::move(*v);
        } else {
            t->path = jp;
        }
        if (t->path.empty() || t->path[0] != '/')
            return "the request path \"" + t->path + "\" (room \"" + t->room + "\") does not start with \"/\"";
        return "";
    }

    const ConnectConfig& cfg_;
    const std::string* path_ = nullptr;
    bool waiting_ = false;  // ramp: the connect has not gone out yet
    std::optional<SequenceRun> sequence_;  // the profile's join steps, once the handshake completed
};

} // namespace pushcheck::engine::steps
