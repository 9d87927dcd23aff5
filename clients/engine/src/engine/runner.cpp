// ScenarioRunner: runs the steps as a state machine over Events and time, then the checks.
#include "pushcheck/engine/runner.hpp"

#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/step.hpp"

#include "engine/event_store.hpp"
#include "engine/protocol.hpp"
#include "engine/util.hpp"

#include <atomic>
#include <cmath>
#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <string_view>
#include <unordered_map>

namespace pushcheck::engine {

using nlohmann::json;

namespace {

constexpr std::uint32_t kNoTask = ~std::uint32_t{0};

struct BoundStep {
    const StepInfo* info = nullptr;
    std::unique_ptr<Step> impl;
    std::vector<ClientId> targets;  // empty: a step without clients (one task)
    Level level = Level::must;
    json definition;                // resolved step object, for the finding when it fails
};

struct BoundCheck {
    const CheckInfo* info = nullptr;
    std::unique_ptr<Check> impl;
    std::vector<ClientId> targets;
    Level level = Level::must;
    json definition;  // resolved check object, for the finding when it fails
};

struct HeapEntry {
    SteadyTime when;
    std::uint32_t task;
    std::uint64_t step_serial;
    bool operator>(const HeapEntry& o) const { return when > o.when; }
};

std::int64_t micros(SteadyTime::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

Level level_of(const json& item, Level fallback) {
    if (item.contains("level") && item["level"].is_string())
        if (auto l = level_from_string(item["level"].get<std::string>())) return *l;
    return fallback;
}


/// The one way a Finding is made: `kind` "step" or "check", item `index` of its list (none:
/// the scenario itself). The item's resolved definition goes with every verdict but pass.
Finding make_finding(const char* kind, std::string name, std::optional<std::size_t> index, Level level,
                     Verdict verdict, std::string reason = {}, const json* definition = nullptr,
                     std::vector<std::size_t> evidence = {}) {
    Finding f;
    f.kind = kind;
    f.name = std::move(name);
    f.where = index ? std::string(kind) + "s/" + std::to_string(*index) : "";
    f.level = level;
    f.verdict = verdict;
    f.reason = std::move(reason);
    f.evidence = std::move(evidence);
    if (definition && verdict != Verdict::pass) f.definition = *definition;
    return f;
}

} // namespace

struct ScenarioRunner::Impl final : StepContext {
    Scenario scenario;
    RunOptions options;
    ClientTable table;
    std::vector<ClientState> clients;
    std::vector<BoundStep> steps;
    std::vector<BoundCheck> checks;
    std::chrono::microseconds budget{0};

    std::unique_ptr<EventStore> store;  // made once the client table is known

    // ---- live figures (written by the driver's thread, read by a progress line) ----
    std::vector<char> live_open;  // by client: its current connection is counted open
    std::atomic<std::uint32_t> live_open_count{0}, live_failed{0};
    std::atomic<std::uint64_t> live_received{0};
    std::atomic<std::int64_t> live_p99{-1};
    std::atomic<bool> live_done{false};
    Histogram live_before;       // the latency samples up to the last whole second
    SteadyTime live_second{};    // when that second ended

    void count_live(const Event& e, std::optional<ClientId> id) {
        if (e.kind == EventKind::received) live_received.fetch_add(1, std::memory_order_relaxed);
        if (!id || e.connection != clients[*id].connection) return;
        if (e.kind == EventKind::connected && !live_open[*id]) {
            live_open[*id] = 1;
            live_open_count.fetch_add(1, std::memory_order_relaxed);
        } else if (e.kind == EventKind::closed && live_open[*id]) {
            live_open[*id] = 0;
            live_open_count.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    /// Once a second: the p99 of the latency samples the checks gathered in that second.
    void tick_live() {
        if (now_ - live_second < std::chrono::seconds(1)) return;
        live_second = now_;
        const Histogram& all = res.latency;
        const std::uint64_t fresh = all.count() - live_before.count();
        if (fresh == 0) {
            live_p99.store(-1, std::memory_order_relaxed);
            return;
        }
        const auto rank = static_cast<std::uint64_t>(std::ceil(0.99 * static_cast<double>(fresh)));
        std::uint64_t seen = 0;
        const auto& before = live_before.buckets();
        for (auto [i, n] : all.buckets()) {
            auto b = before.find(i);
            seen += n - (b == before.end() ? 0 : b->second);
            if (seen >= rank) {
                live_p99.store(std::min(Histogram::bucket_upper(i), all.max()), std::memory_order_relaxed);
                break;
            }
        }
        live_before = all;
    }

    bool started = false, finished = false, aborted = false, step_active = false;
    SteadyTime t0{}, t_end{}, now_{};
    std::size_t current = 0;
    std::vector<std::unique_ptr<Task>> tasks;
    std::vector<std::optional<SteadyTime>> armed;  // the deadline each task has in the heap
    std::size_t running = 0;
    std::uint64_t step_serial = 0;
    mutable std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>> heap;
    std::vector<Command> out;
    std::vector<Finding> findings;
    std::optional<Finding> failure;

    // ---- StepContext ----
    SteadyTime now() const override { return now_; }
    SteadyTime time_of(std::size_t i) const override { return t0 + std::chrono::microseconds((*store)[i].t_us); }
    std::chrono::microseconds scaled(double ms) const override { return ms_to_us(ms * options.timeout_scale); }
    ClientState& client(ClientId id) override { return clients[id]; }
    const Event& event(std::size_t i) const override { return (*store)[i]; }
    const ParsedMessage& message(std::size_t i) override {
        return store->parsed(i, [this](const Event& e) {
            ParsedMessage pm = decoded(e);
            pm.vars = vars_of(e);
            return pm;
        });
    }
    // Every member of a room receives the same text: it is decoded once, and the copies share the
    // parsed value. A few recent texts are remembered (64 of at most 4 KiB: the rooms of one tick).
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, ParsedMessage, TextHash, std::equal_to<>> recent_texts;
    ParsedMessage decoded(const Event& e) {
        if (e.binary || e.data.size() > 4096) return proto->framing->decode(e.data, e.binary, options.max_json_depth);
        if (auto it = recent_texts.find(std::string_view(e.data)); it != recent_texts.end()) return it->second;
        if (recent_texts.size() >= 64) recent_texts.clear();
        return recent_texts.emplace(e.data, proto->framing->decode(e.data, false, options.max_json_depth)).first->second;
    }
    void emit(Command c) override { out.push_back(std::move(c)); }
    const Protocol& protocol() const override { return *proto; }

    // ---- protocol hooks ----
    std::shared_ptr<const Protocol> proto;
    std::uint64_t auto_replies = 0, ignored = 0;

    // on_event() made the recorded event's client_id the resolved one (or none).
    const TemplateVars* vars_of(const Event& e) const {
        return e.client_id < clients.size() ? &clients[e.client_id] : nullptr;
    }

    /// Applies the profile's auto_reply rules and ignore patterns to a received message of the
    /// client's current connection; a message they handle is not queued for steps.
    Handling classify(ClientState& c, std::size_t idx) {
        const ParsedMessage& m = message(idx);
        if (c.join && c.join->auto_reply && c.state == ConnState::open)
            for (const auto& rule : proto->auto_reply) {
                if (!rule.match->matches(m)) continue;
                std::string why;
                auto frame = rule.reply.build(&c, *proto->framing, &why);
                if (!frame) break;  // a template without a value: the message goes to the steps
                out.push_back(text_command(c, std::move(*frame)));
                ++auto_replies;
                store->set_handling(idx, Handling::auto_replied);
                return Handling::auto_replied;
            }
        for (const auto& p : proto->ignore)
            if (p->matches(m)) {
                ++ignored;
                store->set_handling(idx, Handling::ignored);
                return Handling::ignored;
            }
        return Handling::none;
    }
    TaskStatus fail(ClientId id, std::string reason, std::vector<std::size_t> evidence) override {
        if (failure) return TaskStatus::failed;  // the first failure of a step is the one reported
        const BoundStep& s = steps[current];
        for (std::size_t i : evidence) store->keep(i);
        failure = make_finding("step", s.info->name, current, s.level, failing_verdict(s.level),
                               explained(s.definition, id == kNoClient ? std::move(reason) : clients[id].name + ": " + reason),
                               &s.definition, std::move(evidence));
        return TaskStatus::failed;
    }

    // ---- the state machine ----
    std::vector<Command> take() {
        std::vector<Command> r;
        r.swap(out);
        for (auto& c : r)  // echoed in the client's events, so on_event need not look the name up
            if (c.kind == Command::Kind::connect)
                if (auto id = table.find(c.client)) c.client_id = *id;
        return r;
    }

    void arm(std::uint32_t ti) {
        const auto& d = tasks[ti]->deadline;
        if (d == armed[ti]) return;
        armed[ti] = d;
        if (d) heap.push({*d, ti, step_serial});
        // Drop stale entries in bulk when they outnumber live ones (receive re-arms per message).
        if (heap.size() > 64 && heap.size() > 4 * running) {
            decltype(heap) fresh;
            for (std::uint32_t i = 0; i < tasks.size(); ++i)
                if (tasks[i] && armed[i]) fresh.push({*armed[i], i, step_serial});
            heap.swap(fresh);
        }
    }

    void settle(std::uint32_t ti, TaskStatus st) {
        if (finished) return;
        if (st == TaskStatus::running) {
            arm(ti);
            return;
        }
        if (tasks[ti]->client != kNoClient) clients[tasks[ti]->client].task = kNoTask;
        tasks[ti].reset();
        armed[ti].reset();
        --running;
        if (st == TaskStatus::failed) {
            if (!failure) fail(kNoClient, "step failed without a reason (internal error)", {});
            findings.push_back(std::move(*failure));
            live_failed.fetch_add(1, std::memory_order_relaxed);
            failure.reset();
            finish();
        }
    }

    void start_step(std::size_t i) {
        step_active = true;
        ++step_serial;
        heap = {};
        tasks.clear();
        armed.clear();
        const BoundStep& s = steps[i];
        if (!s.info->takes_client) {
            tasks.push_back(s.impl->make_task(kNoClient));
        } else {  // no target: its clients are all in other shards, and the step passes
            tasks.reserve(s.targets.size());
            for (ClientId id : s.targets) {
                tasks.push_back(s.impl->make_task(id));
                tasks.back()->client = id;
                // The member's place in the whole run, so that a shard keeps the run's ramp.
                tasks.back()->ordinal = (tasks.size() - 1) * options.shard_count + options.shard_index;
            }
        }
        armed.resize(tasks.size());
        running = tasks.size();
        for (std::uint32_t ti = 0; ti < tasks.size() && !finished; ++ti) {
            if (tasks[ti]->client != kNoClient) clients[tasks[ti]->client].task = ti;
            settle(ti, tasks[ti]->start(*this));
        }
    }

    void advance() {
        while (!finished) {
            if (step_active) {
                if (running > 0) return;
                findings.push_back(make_finding("step", steps[current].info->name, current, steps[current].level, Verdict::pass));
                step_active = false;
                ++current;
            }
            if (current >= steps.size()) {
                finish();
                return;
            }
            start_step(current);
        }
    }

    void finish() {
        finished = true;
        live_done.store(true, std::memory_order_release);
        t_end = now_;
        tasks.clear();
        armed.clear();
        heap = {};
        running = 0;
        for (auto& c : clients) {
            c.task = kNoTask;
            Command r;
            r.kind = Command::Kind::release;
            r.client = c.name;
            r.connection = std::max(0, c.connection);
            out.push_back(std::move(r));
        }
    }

    void harness_error(std::string reason) {
        if (current < steps.size())
            findings.push_back(make_finding("step", steps[current].info->name, current, steps[current].level,
                                            Verdict::harness_error, std::move(reason), &steps[current].definition));
        else
            findings.push_back(make_finding("step", "scenario", std::nullopt, scenario.level, Verdict::harness_error, std::move(reason)));
        live_failed.fetch_add(1, std::memory_order_relaxed);
        aborted = true;
        finish();
    }

    void update_client(ClientState& c, std::size_t idx) {
        const Event& e = (*store)[idx];
        switch (e.kind) {
        case EventKind::connected:
            if (c.state == ConnState::connecting) c.state = ConnState::open;
            c.connected_at = idx;
            break;
        case EventKind::connect_failed:
            c.state = ConnState::closed;
            c.failed_at = idx;
            break;
        case EventKind::closed:
            c.state = ConnState::closed;
            c.closed_at = idx;
            break;
        case EventKind::received:
            if (e.handling == Handling::none || e.handling == Handling::profile_steps) c.pending.push(idx);
            break;
        case EventKind::pong: c.pongs.push_back(idx); break;
        case EventKind::sent:
        case EventKind::error: break;
        }
    }

    // ---- checks and retention ----
    ScenarioResult res;                      // what checks add to (latency, series) while they observe
    std::vector<std::string> check_errors;   // by check: an exception thrown while observing
    std::unique_ptr<CheckContext> check_ctx;

    void observe(std::size_t idx, ClientId id);

    /// Lets go of a client's old events, except those a step or the engine may still read.
    void trim(ClientId id) {
        const ClientState& c = clients[id];
        const std::size_t needed = c.pending.empty() ? kNoEvent : c.pending.front();
        store->trim(id, needed, [&c](std::size_t i) {
            return i == c.connected_at || i == c.failed_at || i == c.closed_at ||
                   std::find(c.pongs.begin(), c.pongs.end(), i) != c.pongs.end();
        });
    }
};

namespace {

struct CheckCtx final : CheckContext {
    ScenarioRunner::Impl& m;
    std::vector<std::vector<std::size_t>> by_client;

    explicit CheckCtx(ScenarioRunner::Impl& impl) : m(impl) {}
    const EventLog& events() const override { return *m.store; }
    const ClientTable& clients() const override { return m.table; }
    std::int64_t now_us() const override { return micros((m.finished ? m.t_end : m.now_) - m.t0); }
    const std::vector<std::size_t>& events_of(ClientId id) const override { return by_client.at(id); }
    const ParsedMessage& message(std::size_t index) override { return m.message(index); }
    void keep(std::size_t index) override { m.store->keep(index); }
    void release(std::size_t index) override { m.store->release(index); }
    ScenarioResult& result() override { return m.res; }
    bool sharded() const override { return m.options.shard_count > 1; }

    /// Indexes the kept events by client, for finish().
    void index_kept() {
        by_client.assign(m.table.size(), {});
        for (std::size_t i = 0; i < m.store->size(); ++i)
            if (m.store->kept(i))
                if (auto id = m.table.find((*m.store)[i].client)) by_client[*id].push_back(i);
    }
};

} // namespace

void ScenarioRunner::Impl::observe(std::size_t idx, ClientId id) {
    const bool handled = (*store)[idx].handling != Handling::none;
    for (std::size_t i = 0; i < checks.size(); ++i) {
        if (!check_errors[i].empty()) continue;
        if (handled && !checks[i].impl->sees_handled()) continue;
        try {
            checks[i].impl->observe(*check_ctx, idx, id);
        } catch (const std::exception& e) {
            check_errors[i] = std::string("internal error: ") + e.what();
        }
    }
}

ScenarioRunner::ScenarioRunner(const Scenario& scenario, const Profile& profile, RunOptions options)
    : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.scenario = scenario;
    m.options = std::move(options);
    if (!(m.options.timeout_scale > 0))
        throw ConfigError("run options", "", "the timeout scale must be a number > 0, got " + util::num(m.options.timeout_scale));
    if (m.options.max_json_depth < 1) m.options.max_json_depth = 1;
    const std::string& file = scenario.file;
    m.table = ClientTable::build(scenario.clients, file, m.options.shard_index, m.options.shard_count);
    m.clients.resize(m.table.size());
    m.live_open.assign(m.table.size(), 0);
    for (ClientId i = 0; i < m.table.size(); ++i) {
        m.clients[i].name = m.table.name(i);
        m.clients[i].group = m.clients[i].name;
        m.clients[i].index = "1";
    }
    for (const auto& d : scenario.clients)
        for (int k = 1; k <= d.count; ++k)
            if (auto id = m.table.find(d.name + std::to_string(k))) {
                m.clients[*id].group = d.name;
                m.clients[*id].index = std::to_string(k);
            }
    m.proto = build_protocol(profile);
    m.store = std::make_unique<EventStore>(m.table.size(), m.options.keep_first, m.options.keep_last,
                                           m.options.keep_clients);
    if (!scenario.steps.is_array() || scenario.steps.empty()) throw ConfigError(file, "/steps", "expected a non-empty array of steps");

    std::vector<char> joined(m.table.size(), 0);
    std::int64_t budget_us = 0;
    for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
        const std::string ptr = "/steps/" + std::to_string(i);
        const json& raw = scenario.steps[i];
        if (!raw.is_object() || !raw.contains("step") || !raw["step"].is_string())
            throw ConfigError(file, ptr, "expected a step object with \"step\"");
        const StepInfo* info = find_step_type(raw["step"].get<std::string>());
        if (!info) throw ConfigError(file, ptr + "/step", "unknown step \"" + raw["step"].get<std::string>() + "\"");
        const json resolved = resolve_profile_refs(raw, profile, file, ptr);
        BoundStep b;
        b.info = info;
        b.level = level_of(resolved, scenario.level);
        if (info->takes_client) {
            std::string error;
            auto targets = m.table.resolve(resolved.contains("client") ? resolved["client"] : json(), error);
            if (!targets) throw ConfigError(file, ptr + "/client", error);
            b.targets = std::move(*targets);
        }
        b.impl = info->make(Params(resolved, file, ptr, profile));
        b.definition = resolved;
        // A step that rejoins needs an earlier join of the same client: where would it go?
        for (ClientId id : b.targets) {
            if (info->join_role == JoinRole::joins) joined[id] = 1;
            if (info->join_role == JoinRole::rejoins && !joined[id])
                throw ConfigError(file, ptr + "/client",
                                  info->name + " of client \"" + m.table.name(id) + "\" before any join of it");
        }
        budget_us += b.impl->budget(m.options.timeout_scale, std::max<std::size_t>(1, b.targets.size())).count();
        m.steps.push_back(std::move(b));
    }
    if (scenario.checks.is_array())
        for (std::size_t i = 0; i < scenario.checks.size(); ++i) {
            const std::string ptr = "/checks/" + std::to_string(i);
            const json& raw = scenario.checks[i];
            if (!raw.is_object() || !raw.contains("check") || !raw["check"].is_string())
                throw ConfigError(file, ptr, "expected a check object with \"check\"");
            const CheckInfo* info = find_check_type(raw["check"].get<std::string>());
            if (!info) throw ConfigError(file, ptr + "/check", "unknown check \"" + raw["check"].get<std::string>() + "\"");
            const json resolved = resolve_profile_refs(raw, profile, file, ptr);
            std::string error;
            auto targets = m.table.resolve(resolved.contains("client") ? resolved["client"] : json("*"), error);
            if (!targets) throw ConfigError(file, ptr + "/client", error);
            BoundCheck b;
            b.info = info;
            b.level = level_of(resolved, scenario.level);
            b.targets = *targets;
            b.impl = info->make(Params(resolved, file, ptr, profile), std::move(*targets), m.table);
            b.definition = resolved;
            if (b.impl->needs_transcript())
                for (ClientId id : b.targets) m.store->keep_all(id);
            m.checks.push_back(std::move(b));
        }
    m.check_errors.resize(m.checks.size());
    m.check_ctx = std::make_unique<CheckCtx>(m);
    // Margin for the driver's own latency: 10 % and at least 2 s.
    m.budget = std::chrono::microseconds(budget_us + std::max<std::int64_t>(2'000'000, budget_us / 10));
}

ScenarioRunner::~ScenarioRunner() = default;

std::string ScenarioRunner::name() const { return impl_->scenario.id; }
const Scenario& ScenarioRunner::scenario() const { return impl_->scenario; }
std::size_t ScenarioRunner::recorded() const { return impl_->store->size(); }

LiveFigures ScenarioRunner::live() const {
    const Impl& m = *impl_;
    LiveFigures f;
    f.clients = static_cast<std::uint32_t>(m.live_open.size());
    f.open = m.live_open_count.load(std::memory_order_relaxed);
    f.received = m.live_received.load(std::memory_order_relaxed);
    f.p99_us = m.live_p99.load(std::memory_order_relaxed);
    f.failed = m.live_failed.load(std::memory_order_relaxed);
    f.done = m.live_done.load(std::memory_order_acquire);
    return f;
}
bool ScenarioRunner::done() const { return impl_->finished; }

std::chrono::milliseconds ScenarioRunner::budget() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(impl_->budget);
}

std::vector<Command> ScenarioRunner::start(SteadyTime now) {
    Impl& m = *impl_;
    if (m.started) return {};
    m.started = true;
    m.t0 = m.now_ = now;
    try {
        m.advance();
    } catch (const std::exception& e) {
        m.harness_error(std::string("internal error: ") + e.what());
    }
    return m.take();
}

std::vector<Command> ScenarioRunner::on_event(Event event, SteadyTime now) {
    Impl& m = *impl_;
    if (!m.started || m.finished) return {};
    m.now_ = std::max(m.now_, now);
    event.t_us = micros(m.now_ - m.t0);
    // The driver's hint saves a lookup by name; the name decides.
    auto id = event.client_id < m.table.size() && m.table.name(event.client_id) == event.client
                  ? std::optional<ClientId>(event.client_id)
                  : m.table.find(event.client);
    event.client_id = id ? *id : UINT32_MAX;  // from here on, the resolved client (vars_of relies on it)
    // A handshake's outcome carries how long it took since the connect went out.
    if (id && (event.kind == EventKind::connected || event.kind == EventKind::connect_failed) &&
        event.connection == m.clients[*id].connection && !event.flood)
        event.duration_us = micros(m.now_ - m.clients[*id].connect_sent);
    const std::size_t idx = m.store->add(std::move(event), id ? *id : kNoClient);
    try {
        if (id && (*m.store)[idx].kind == EventKind::received && (*m.store)[idx].connection == m.clients[*id].connection) {
            ClientState& c = m.clients[*id];
            const Handling h = m.proto->classifies() ? m.classify(c, idx) : Handling::none;
            if (h == Handling::none && c.in_profile_steps) m.store->set_handling(idx, Handling::profile_steps);
        }
        m.count_live((*m.store)[idx], id);
        m.observe(idx, id ? *id : kNoClient);
        m.tick_live();
        const Event& e = (*m.store)[idx];
        // Events of an earlier connection are recorded but satisfy no step.
        if (!id || e.connection != m.clients[*id].connection) {
            if (id) m.trim(*id);
            return m.take();
        }
        ClientState& c = m.clients[*id];
        m.update_client(c, idx);
        if (c.task != kNoTask) {
            std::uint32_t ti = c.task;
            m.settle(ti, m.tasks[ti]->on_event(m, idx));
        }
        m.trim(*id);
        m.advance();
    } catch (const std::exception& e) {
        m.harness_error(std::string("internal error: ") + e.what());
    }
    return m.take();
}

std::vector<Command> ScenarioRunner::on_time(SteadyTime now) {
    Impl& m = *impl_;
    if (!m.started || m.finished) return {};
    m.now_ = std::max(m.now_, now);
    if (m.now_ - m.t0 >= m.budget) {
        m.harness_error(fmt::format("scenario exceeded its time budget of {} ms{}", m.budget.count() / 1000,
                                    m.current < m.steps.size()
                                        ? fmt::format(" (step {}, {}, was still running)", m.current, m.steps[m.current].info->name)
                                        : ""));
        return m.take();
    }
    try {
        while (!m.finished && !m.heap.empty() && m.heap.top().when <= m.now_) {
            HeapEntry top = m.heap.top();
            m.heap.pop();
            if (top.step_serial != m.step_serial || top.task >= m.tasks.size() || !m.tasks[top.task] ||
                m.armed[top.task] != top.when)
                continue;
            m.armed[top.task].reset();
            m.tasks[top.task]->deadline.reset();
            m.settle(top.task, m.tasks[top.task]->on_deadline(m));
            m.advance();
        }
    } catch (const std::exception& e) {
        m.harness_error(std::string("internal error: ") + e.what());
    }
    return m.take();
}

std::optional<SteadyTime> ScenarioRunner::next_deadline() const {
    const Impl& m = *impl_;
    if (!m.started || m.finished) return std::nullopt;
    while (!m.heap.empty()) {
        const HeapEntry& top = m.heap.top();
        if (top.step_serial == m.step_serial && top.task < m.tasks.size() && m.tasks[top.task] &&
            m.armed[top.task] == top.when)
            break;
        m.heap.pop();
    }
    SteadyTime end = m.t0 + m.budget;
    if (m.heap.empty()) return end;
    return std::min(m.heap.top().when, end);
}

ScenarioResult ScenarioRunner::result() {
    Impl& m = *impl_;
    ScenarioResult r;
    r.latency = std::move(m.res.latency);
    r.series = std::move(m.res.series);
    m.res = ScenarioResult{};
    r.id = m.scenario.id;
    r.group = m.scenario.group();
    r.title = m.scenario.title;
    r.description = m.scenario.description;
    r.file = m.scenario.file;
    r.level = m.scenario.level;
    r.driver = m.options.driver;
    if (!m.finished) {
        if (!m.started) m.started = true, m.t0 = m.now_;
        m.harness_error("the result was requested before the scenario finished");
    }
    r.duration_ms = static_cast<double>(micros(m.t_end - m.t0)) / 1000.0;
    r.findings = m.findings;

    const bool steps_passed = !m.aborted && std::all_of(m.findings.begin(), m.findings.end(), [](const Finding& f) {
        return f.verdict == Verdict::pass;
    });
    if (!steps_passed) {
        r.latency = Histogram{};  // what the checks gathered is not graded
        r.series.clear();
    } else {
        auto& ctx = static_cast<CheckCtx&>(*m.check_ctx);
        ctx.index_kept();
        for (std::size_t i = 0; i < m.checks.size(); ++i) {
            const BoundCheck& c = m.checks[i];
            CheckOutcome o;
            if (c.targets.empty()) {  // its clients are all in other shards
                o.measurements["absent_in_shard"] = true;
            } else if (!m.check_errors[i].empty()) {
                o.status = CheckOutcome::Status::harness_error;
                o.reason = m.check_errors[i];
            } else {
                try {
                    o = c.impl->finish(ctx);
                    r.latency.merge(m.res.latency);  // what finish() added
                    m.res.latency = Histogram{};
                    for (auto& sr : m.res.series) r.series.push_back(std::move(sr));
                    m.res.series.clear();
                } catch (const std::exception& e) {
                    o.status = CheckOutcome::Status::harness_error;
                    o.reason = std::string("internal error: ") + e.what();
                }
            }
            const Verdict verdict = grade(o.status, c.level);
            // Only a failure is explained: a measurement or a harness error is not what the author described.
            Finding f = make_finding(
                "check", c.info->name, i, c.level, verdict,
                o.status == CheckOutcome::Status::fail ? explained(c.definition, std::move(o.reason)) : std::move(o.reason),
                &c.definition, std::move(o.evidence));
            f.measurements = std::move(o.measurements);
            r.findings.push_back(std::move(f));
        }
    }

    r.regrade();
    if (m.auto_replies || m.ignored)
        r.measurements["profile_hooks"] = {{"auto_replied", m.auto_replies}, {"ignored", m.ignored}};
    // The kept events become the transcript; evidence turns from event indices into
    // positions in it (evidence that was not kept is left out).
    r.transcript.recorded = m.store->size();
    r.transcript.events = m.store->take();
    if (m.proto->framing->transforms())  // reports show what matchers saw beside the frame
        for (auto& e : r.transcript.events)
            if ((e.kind == EventKind::received || e.kind == EventKind::sent) && !e.flood) {
                ParsedMessage pm = m.proto->framing->decode(e.data, e.binary, m.options.max_json_depth);
                if (pm.kind == ParsedMessage::Kind::json) e.decoded = pm.value().dump(-1, ' ', false, json::error_handler_t::replace);
            }
    auto position = [&r](std::size_t seq) -> std::optional<std::size_t> {
        const auto& ev = r.transcript.events;
        auto it = std::lower_bound(ev.begin(), ev.end(), seq, [](const Event& e, std::size_t s) { return e.seq < s; });
        if (it == ev.end() || it->seq != seq) return std::nullopt;
        return static_cast<std::size_t>(it - ev.begin());
    };
    for (auto& f : r.findings) {
        std::vector<std::size_t> at;
        for (std::size_t seq : f.evidence)
            if (auto p = position(seq)) at.push_back(*p);
        f.evidence = std::move(at);
    }
    return r;
}

void validate_scenario(const Scenario& scenario, const Profile& profile, const RunOptions& options) {
    ScenarioRunner bind(scenario, profile, options);
}

} // namespace pushcheck::engine
