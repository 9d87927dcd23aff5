// delivery: every push the schedule promised arrived, once: the load figures of a run.
#include "checks/common.hpp"
#include "engine/pointer.hpp"
#include "engine/protocol.hpp"

#include <fmt/format.h>

#include <map>

namespace pushcheck::engine::checks {
namespace {

// A fold over every client's connections. A connection is owed one push per interval from
// its handshake until it ends; a connection the server ended (or that broke) is owed pushes
// until the client's next connection or the end of the run, so a stalled or crashing server
// cannot hide behind fewer samples. The tolerance absorbs the phase of the server's tick and a push in flight.
class DeliveryCheck : public Check {
public:
    std::vector<char> is_target;  // by client id
    std::size_t targets = 0;
    PatternPtr match;
    PatternPtr welcome;  // nullptr: the profile has no welcome
    MessagePointer key;
    TimestampFormat format = TimestampFormat::iso8601_utc;
    double interval_ms = 0, tolerance_ms = 0;
    std::int64_t max_missed = 0;
    std::string close_request;  // the profile's close request as sent ("": it has none)

    void observe(CheckContext& ctx, std::size_t idx, ClientId id) override {
        const Event& e = ctx.events()[idx];
        last_us_ = std::max(last_us_, e.t_us);
        if (id == kNoClient || !is_target[id]) return;
        if (per_.empty()) per_.resize(is_target.size());
        PerClient& c = per_[id];
        switch (e.kind) {
        case EventKind::connected:
            close_connection(c, last_us_);
            if (c.ended_by_server) {  // owed until this new connection
                missed_ += owed(c.ended_since, e.t_us, c.ended_pushes);
                c.ended_by_server = false;
            }
            c.open = true;
            c.connection = e.connection;
            c.since_us = e.t_us;
            c.dialled_us = e.t_us - e.duration_us;  // when the connect went out
            c.welcomed = false;
            c.pushes = 0;
            c.asked_to_leave = false;
            c.last_key.clear();
            if (!c.ever_connected) ++clients_connected_;
            c.ever_connected = true;
            ++connections_;
            connect_.add(e.duration_us);
            second(e.t_us).connected_delta += 1;
            break;
        case EventKind::connect_failed: ++connect_failed_; break;
        case EventKind::sent:
            // A close frame or the close request before the server's close: the client's choice. Other
            // messages (the profile's join steps, automatic replies) are not a request to leave.
            if (c.open && e.connection == c.connection && !e.flood &&
                (e.close_code != 0 || (!close_request.empty() && e.data == close_request)))
                c.asked_to_leave = true;
            break;
        case EventKind::closed:
            if (!c.open || e.connection != c.connection) break;
            if (by_client(e) || (c.asked_to_leave && e.clean)) {
                close_connection(c, e.t_us);
            } else {
                ++disconnects_[cause(e)];
                c.ended_by_server = true;
                close_connection(c, -1);  // owed pushes until the end of the run
            }
            second(e.t_us).connected_delta -= 1;
            break;
        case EventKind::received: {
            if (!c.open || e.connection != c.connection) break;
            const ParsedMessage& m = ctx.message(idx);
            if (welcome && !c.welcomed && welcome->matches(m)) {
                c.welcomed = true;
                welcome_.add(e.t_us - c.dialled_us);
                break;
            }
            if (!match->matches(m)) break;
            ++received_;
            ++c.pushes;
            Second& s = second(e.t_us);
            ++s.pushes;
            // The key as text: a string as it is (compared in place, no copy per push), anything else dumped.
            std::string_view k;
            if (m.kind == ParsedMessage::Kind::json) {
                if (const nlohmann::json* v = resolve_pointer(m.value(), key, scratch_)) {
                    if (v->is_string()) {
                        k = v->get_ref<const std::string&>();
                    } else {
                        dumped_ = v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                        k = dumped_;
                    }
                    if (auto ts = timestamp_us(*v, format); ts && e.wall_us >= *ts) {
                        latency_.add(e.wall_us - *ts);
                        s.latency.add(e.wall_us - *ts);
                    }
                }
            }
            if (!k.empty() && k == c.last_key) {
                if (duplicates_++ == 0) {
                    first_duplicate_ = idx;
                    ctx.keep(idx);
                }
            }
            c.last_key.assign(k);  // reuses the client's buffer
            break;
        }
        default: break;
        }
    }

    CheckOutcome finish(CheckContext& ctx) override {
        if (per_.empty()) per_.resize(is_target.size());
        const std::int64_t end_us = std::max(last_us_, ctx.now_us());  // when the steps ended
        for (auto& c : per_) close_connection(c, end_us);
        for (auto& c : per_)
            if (c.ended_by_server) missed_ += owed(c.ended_since, end_us, c.ended_pushes);

        CheckOutcome o;
        auto& m = o.measurements;
        m["clients"] = {{"total", targets}, {"connected", clients_connected_}, {"failed", targets - clients_connected_}};
        m["connections"] = {{"opened", connections_}, {"failed", connect_failed_}};
        m["messages"] = {{"received", received_}, {"missed", missed_}, {"duplicates", duplicates_}};
        m["latency_us"] = quantiles(latency_);
        m["connect_us"] = {{"p50", q(connect_, 0.5)}, {"p99", q(connect_, 0.99)}, {"max", connect_.max()}};
        m["welcome_us"] = {{"samples", welcome_.count()}, {"p50", q(welcome_, 0.5)}, {"p99", q(welcome_, 0.99)}, {"max", welcome_.max()}};
        nlohmann::json causes = nlohmann::json::object();
        for (const auto& [k, n] : disconnects_) causes[k] = n;
        m["disconnects"] = std::move(causes);
        nlohmann::json series = nlohmann::json::array();
        std::int64_t connected = 0;
        for (std::size_t s = 0; s < seconds_.size(); ++s) {
            connected += seconds_[s].connected_delta;
            nlohmann::json one = {{"t_s", s},
                                  {"connected", connected},
                                  {"pushes", seconds_[s].pushes},
                                  {"p99_us", q(seconds_[s].latency, 0.99)}};
            if (ctx.sharded()) one["latency_histogram"] = seconds_[s].latency.to_json();  // merging needs it
            series.push_back(std::move(one));
        }
        m["per_second"] = std::move(series);
        m["interval_ms"] = util::round3(interval_ms);
        m["max_missed"] = max_missed;
        m["latency_histogram"] = latency_.to_json();
        m["connect_histogram"] = connect_.to_json();
        m["welcome_histogram"] = welcome_.to_json();
        if (judge(o) == Rule::duplicates) o.evidence = {first_duplicate_};
        return o;
    }

    /// The rule a run broke (the first, in this order), or none.
    enum class Rule { none, never_connected, missed, duplicates };

    /// The verdict from the measurements alone, so that one run and merged shards are judged alike.
    static Rule judge(CheckOutcome& o) {
        const auto& m = o.measurements;
        auto u = [&](const char* a, const char* b) { return m.at(a).at(b).get<std::uint64_t>(); };
        const std::uint64_t total = u("clients", "total"), failed = u("clients", "failed");
        const std::uint64_t missed = u("messages", "missed"), received = u("messages", "received");
        const std::uint64_t duplicates = u("messages", "duplicates");
        if (failed > 0) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{} of {} clients never connected ({} failed handshakes)", failed, total,
                                   u("connections", "failed"));
            return Rule::never_connected;
        }
        if (missed > m.at("max_missed").get<std::uint64_t>()) {
            std::uint64_t disconnected = 0;
            for (const auto& [k, n] : m.at("disconnects").items()) disconnected += n.get<std::uint64_t>();
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{} pushes missed against the schedule of one every {} ms ({} received by {} clients{})",
                                   missed, util::num(m.at("interval_ms").get<double>()), received, total,
                                   disconnected == 0 ? "" : fmt::format("; {} disconnected by the server", disconnected));
            return Rule::missed;
        }
        if (duplicates > 0) {
            o.status = CheckOutcome::Status::fail;
            o.reason = fmt::format("{} pushes arrived twice in a row at the same client", duplicates);
            return Rule::duplicates;
        }
        o.status = CheckOutcome::Status::pass;
        return Rule::none;
    }

    static std::int64_t q(const Histogram& h, double p) { return h.count() ? h.quantile(p) : 0; }
    static nlohmann::json quantiles(const Histogram& h) {
        return {{"samples", h.count()}, {"p50", q(h, 0.5)},    {"p90", q(h, 0.9)},
                {"p99", q(h, 0.99)},    {"p999", q(h, 0.999)}, {"max", h.max()}};
    }

private:
    struct PerClient {
        bool open = false, ever_connected = false, ended_by_server = false;
        bool asked_to_leave = false;  // it sent the close request or a close frame on this connection
        bool welcomed = false;        // this connection's welcome arrived
        int connection = 0;
        std::int64_t since_us = 0, pushes = 0;
        std::int64_t dialled_us = 0;  // when this connection's connect went out
        std::int64_t ended_since = 0, ended_pushes = 0;  // the connection the server ended
        std::string last_key;
    };
    struct Second {
        std::int64_t connected_delta = 0;
        std::uint64_t pushes = 0;
        Histogram latency;
    };

    static bool by_client(const Event& e) {
        return e.data.rfind("aborted by the client", 0) == 0 || (!e.by_peer && e.close_code != 0);
    }
    static std::string cause(const Event& e) {
        if (e.close_code != 0) return fmt::format("close {}", e.close_code);
        return "no close frame";
    }
    /// Pushes owed to a connection open from `since` to `until` that received `got`.
    std::uint64_t owed(std::int64_t since, std::int64_t until, std::int64_t got) const {
        const double span_ms = static_cast<double>(until - since) / 1000.0 - tolerance_ms;
        if (span_ms <= 0) return 0;
        const auto due = static_cast<std::int64_t>(span_ms / interval_ms);
        return due > got ? static_cast<std::uint64_t>(due - got) : 0;
    }
    /// Ends the open connection at `until_us` (-1: the server ended it, settled in finish()).
    void close_connection(PerClient& c, std::int64_t until_us) {
        if (!c.open) return;
        c.open = false;
        if (until_us < 0) {
            c.ended_since = c.since_us;
            c.ended_pushes = c.pushes;
            return;
        }
        missed_ += owed(c.since_us, until_us, c.pushes);
    }
    Second& second(std::int64_t t_us) {
        const auto s = static_cast<std::size_t>(std::max<std::int64_t>(0, t_us / 1'000'000));
        if (seconds_.size() <= s) seconds_.resize(s + 1);
        return seconds_[s];
    }

    std::vector<PerClient> per_;
    std::vector<Second> seconds_;
    std::map<std::string, std::uint64_t> disconnects_;
    Histogram latency_, connect_, welcome_;
    PointerScratch scratch_;  // JSON decoded from a string on the way to the key
    std::string dumped_;      // a key that is not a string, as text
    std::uint64_t clients_connected_ = 0, connections_ = 0, connect_failed_ = 0, received_ = 0, missed_ = 0,
                  duplicates_ = 0;
    std::size_t first_duplicate_ = 0;
    std::int64_t last_us_ = 0;
};

std::unique_ptr<Check> make(const Params& p, std::vector<ClientId> targets, const ClientTable& clients) {
    auto c = std::make_unique<DeliveryCheck>();
    c->is_target.assign(clients.size(), 0);
    for (ClientId id : targets) c->is_target[id] = 1;
    c->targets = targets.size();
    if (const nlohmann::json* req = p.profile().find("close_request.json")) {
        const FramingPtr framing = framing_of(p.profile());
        c->close_request = framing->encode(*req, nullptr).value_or("");
    }
    c->match = p.pattern_or_profile("match", "push.match");
    // The welcome is timed when the profile (or the check) says what it looks like.
    if (p.has("welcome") || p.profile().find("welcome.match"))
        c->welcome = p.pattern_or_profile("welcome", "welcome.match");
    const std::string key = p.string_or_profile("key", "push.timestamp_pointer");
    try {
        c->key = MessagePointer(nlohmann::json::json_pointer(key));
    } catch (const nlohmann::json::exception&) {
        p.fail("key", "expected a JSON pointer such as \"/data\", got \"" + key + "\"");
    }
    c->format = timestamp_format_of(p);
    c->interval_ms = p.number_or_profile("interval_ms", "push.interval_ms");
    if (c->interval_ms <= 0) p.fail("interval_ms", "expected a number > 0");
    const double pct = p.number_or_profile("tolerance_pct", "push.tolerance_pct");
    const double min_ms = p.number_or_profile("tolerance_min_ms", "push.tolerance_min_ms");
    c->tolerance_ms = std::max(c->interval_ms * pct / 100.0, min_ms);
    c->max_missed = p.integer_or("max_missed", 0);  // >= 0: its spec
    return c;
}

/// Shards add up: counts and causes add, histograms merge, the per-second series add by
/// second (each shard counts seconds from its own start), and the verdict is judged again.
CheckOutcome merge(const std::vector<nlohmann::json>& shards) {
    using nlohmann::json;
    CheckOutcome o;
    json& m = o.measurements;
    Histogram latency, connect, welcome;
    std::vector<const json*> series_of;
    std::size_t length = 0;
    auto add = [](json& into, const json& from) {
        for (const auto& [k, v] : from.items()) into[k] = into.value(k, std::uint64_t{0}) + v.get<std::uint64_t>();
    };
    bool first = true;
    for (const json& s : shards) {
        for (const char* key : {"clients", "connections", "messages", "disconnects", "latency_histogram", "connect_histogram",
                                "per_second", "interval_ms", "max_missed"})
            if (!s.contains(key)) throw std::invalid_argument(std::string("no \"") + key + "\" (a results document of an older pushcheck?)");
        for (const char* key : {"clients", "connections", "messages", "disconnects"}) {
            if (!m.contains(key)) m[key] = json::object();
            add(m[key], s.at(key));
        }
        if (first) {
            m["interval_ms"] = s.at("interval_ms");
            m["max_missed"] = s.at("max_missed");
            first = false;
        } else if (s.at("interval_ms") != m["interval_ms"] || s.at("max_missed") != m["max_missed"]) {
            throw std::invalid_argument("the shards ran with different interval_ms or max_missed");
        }
        latency.merge(Histogram::from_json(s.at("latency_histogram")));
        connect.merge(Histogram::from_json(s.at("connect_histogram")));
        if (s.contains("welcome_histogram")) welcome.merge(Histogram::from_json(s.at("welcome_histogram")));
        const json& ps = s.at("per_second");
        if (!ps.is_array()) throw std::invalid_argument("per_second: expected an array");
        for (std::size_t t = 0; t < ps.size(); ++t)
            if (!ps[t].contains("latency_histogram"))
                throw std::invalid_argument("per_second/" + std::to_string(t) + ": no latency_histogram (was it run with --shard?)");
        series_of.push_back(&ps);
        length = std::max(length, ps.size());
    }
    // "connected" is a level: a shard that ended earlier still counts its last level.
    std::vector<json> seconds(length, json{{"connected", 0}, {"pushes", 0}});
    std::vector<Histogram> second_latency(length);
    for (const json* ps : series_of)
        for (std::size_t t = 0; t < length && !ps->empty(); ++t) {
            const json& at = (*ps)[std::min(t, ps->size() - 1)];
            seconds[t]["connected"] = seconds[t]["connected"].get<std::int64_t>() + at.at("connected").get<std::int64_t>();
            if (t >= ps->size()) continue;
            seconds[t]["pushes"] = seconds[t]["pushes"].get<std::uint64_t>() + at.at("pushes").get<std::uint64_t>();
            second_latency[t].merge(Histogram::from_json(at.at("latency_histogram")));
        }
    json series = json::array();
    for (std::size_t t = 0; t < seconds.size(); ++t)
        series.push_back({{"t_s", t},
                          {"connected", seconds[t]["connected"]},
                          {"pushes", seconds[t]["pushes"]},
                          {"p99_us", DeliveryCheck::q(second_latency[t], 0.99)},
                          {"latency_histogram", second_latency[t].to_json()}});
    m["latency_us"] = DeliveryCheck::quantiles(latency);
    m["connect_us"] = {{"p50", DeliveryCheck::q(connect, 0.5)}, {"p99", DeliveryCheck::q(connect, 0.99)}, {"max", connect.max()}};
    m["welcome_us"] = {{"samples", welcome.count()}, {"p50", DeliveryCheck::q(welcome, 0.5)},
                       {"p99", DeliveryCheck::q(welcome, 0.99)}, {"max", welcome.max()}};
    m["per_second"] = std::move(series);
    m["latency_histogram"] = latency.to_json();
    m["connect_histogram"] = connect.to_json();
    m["welcome_histogram"] = welcome.to_json();
    DeliveryCheck::judge(o);
    return o;
}

const CheckInfo kDelivery{
    "delivery",
    "every client connected and got one push per interval while connected (and, when the server dropped it, "
    "until the end), none twice in a row: clients, messages received/missed/duplicates, latency, connect and welcome "
    "time, a per-second series",
    {{"match", ParamType::pattern},
     {"welcome", ParamType::pattern},
     {"key", ParamType::pointer},
     {"timestamp_format", ParamType::choice, false, {"iso8601-utc", "epoch-s", "epoch-ms"}},
     {"interval_ms", ParamType::duration},
     {"tolerance_pct", ParamType::number, false, {}, 0},
     {"tolerance_min_ms", ParamType::duration},
     {"max_missed", ParamType::integer, false, {}, 0}},
    nullptr,
    &make,
    &merge,
};

} // namespace
PUSHCHECK_REGISTER_CHECK(kDelivery);
} // namespace pushcheck::engine::checks
