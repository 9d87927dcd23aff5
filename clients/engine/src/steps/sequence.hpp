// Running the profile's join or leave steps for one client (internal; docs/profiles.md).
#pragma once
#include "steps/common.hpp"

#include "engine/protocol.hpp"

namespace pushcheck::engine::steps {

/// Sends and expects the items of a sequence in order for the task's client, capturing
/// values into the client's template names. The owning task forwards its calls here while
/// active().
class SequenceRun {
public:
    /// lenient: the sequence ends as passed whatever happens (a load run's `attempt` join: what the
    /// server did is counted by checks, e.g. pushes that never came because the join did not finish).
    explicit SequenceRun(const std::vector<SequenceItem>& items, bool lenient = false)
        : items_(&items), lenient_(lenient) {}

    bool active() const { return started_ && at_ < items_->size(); }

    /// Starts (or continues) the sequence: sends until the next expect, then consumes the
    /// client's queued messages. passed once every item is done.
    TaskStatus advance(StepContext& ctx, Task& task) {
        started_ = true;
        ClientState& c = ctx.client(task.client);
        const TaskStatus st = run(ctx, task, c);
        c.in_profile_steps = st == TaskStatus::running;  // its messages are the sequence's, not the room's
        return st;
    }

    TaskStatus timed_out(StepContext& ctx, Task& task, std::vector<std::size_t> evidence = {}) {
        ctx.client(task.client).in_profile_steps = false;
        const SequenceItem& item = (*items_)[at_];
        return fail(ctx, task,
                        where(ctx, item) + ": no message matching " + item.match->describe() + " within " +
                            scaled_text(ctx, within(ctx, item)),
                        std::move(evidence));
    }

private:
    TaskStatus fail(StepContext& ctx, Task& task, std::string reason, std::vector<std::size_t> evidence = {}) {
        if (lenient_) {
            task.deadline.reset();
            at_ = items_->size();
            return TaskStatus::passed;
        }
        return ctx.fail(task.client, std::move(reason), std::move(evidence));
    }

    TaskStatus run(StepContext& ctx, Task& task, ClientState& c) {
        while (at_ < items_->size()) {
            const SequenceItem& item = (*items_)[at_];
            if (item.kind == SequenceItem::Kind::send) {
                if (auto why = not_open_reason(c); !why.empty()) {
                    if (lenient_) return fail(ctx, task, why);
                    return not_connected(ctx, task.client, why + " (" + where(ctx, item) + ")");
                }
                std::string why;
                auto frame = item.message.build(&c, *ctx.protocol().framing, &why);
                if (!frame) return fail(ctx, task, where(ctx, item) + ": " + why);
                ctx.emit(text_command(c, std::move(*frame)));
                ++at_;
                continue;
            }
            if (!waiting_) {
                waiting_ = true;
                task.deadline = ctx.now() + ctx.scaled(within(ctx, item));
            }
            while (!c.pending.empty()) {
                const std::size_t idx = c.pending.front();
                c.pending.pop();
                if (task.deadline && ctx.time_of(idx) > *task.deadline) return timed_out(ctx, task, {idx});
                const ParsedMessage& m = ctx.message(idx);
                if (item.match->matches(m)) {
                    for (const auto& cap : item.captures) {
                        std::string why;
                        auto v = cap.take(m, ctx.event(idx).data, &why);
                        if (!v) return fail(ctx, task, where(ctx, item) + ": " + why, {idx});
                        c.capture(cap.name, std::move(*v));
                    }
                    waiting_ = false;
                    ++at_;
                    break;
                }
                if (item.skip && item.skip->matches(m)) continue;
                std::string why;
                item.match->matches(m, &why);
                return fail(ctx, task, where(ctx, item) + ": message " + util::preview(ctx.event(idx)) + " does not match: " + why,
                                {idx});
            }
            if (waiting_) {
                if (c.state == ConnState::closed)
                    return fail(ctx, task,
                                    where(ctx, item) + ": the connection ended (" + ended_how(ctx, c) +
                                        ") before a message matching " + item.match->describe() + " arrived",
                                    evidence_of(ended_event(c)));
                return TaskStatus::running;
            }
        }
        task.deadline.reset();
        return TaskStatus::passed;
    }

    static double within(StepContext& ctx, const SequenceItem& item) {
        return item.within_ms > 0 ? item.within_ms : ctx.protocol().message_ms;
    }
    static std::string where(StepContext& ctx, const SequenceItem& item) {
        return "profile " + ctx.protocol().profile_name + ", " + item.where;
    }

    const std::vector<SequenceItem>* items_;
    std::size_t at_ = 0;
    bool lenient_ = false;
    bool started_ = false, waiting_ = false;
};

} // namespace pushcheck::engine::steps
