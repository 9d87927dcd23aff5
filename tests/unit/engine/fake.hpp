// A fake clock and a fake transport for driving ScenarioRunner in tests (no sockets).
#pragma once
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/profile.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/engine/scenario.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pushcheck::test {

using namespace pushcheck::engine;
using nlohmann::json;
using namespace std::chrono_literals;

/// The nowtime profile with short timings, so that tests read easily.
inline Profile test_profile() {
    json v = {
        {"name", "test"},
        {"rooms", {{"valid", {"/nowtime"}}, {"invalid", {"/nope"}}}},
        {"welcome", {{"match", {{"status", 200}, {"event", "notification"}, {"data", {{"$type", "string"}}}}}}},
        {"push",
         {{"match", {{"status", 200}, {"event", "nowtime"}, {"data", {{"$timestamp", "iso8601-utc"}}}}},
          {"timestamp_pointer", "/data"},
          {"interval_ms", 100},
          {"tolerance_pct", 20},
          {"tolerance_min_ms", 5}}},
        {"close_request", {{"json", {{"event", "close"}}}}},
        {"bye", {{"match", {{"message", "bye"}}}}},
        {"close", {{"codes", {1000}}, {"within_ms", 200}}},
        {"unknown_room", {{"close_codes", {1000, 1008}}, {"within_ms", 200}}},
        {"latency", {{"bound_ms", 50}}},
        {"timeouts", {{"connect_ms", 500}, {"message_ms", 300}}},
    };
    return make_profile(v, "test-profile.json");
}

/// A scenario from JSON (filled with id/title/clients defaults when absent).
inline Scenario scenario_of(json j) {
    if (!j.contains("id")) j["id"] = "test.scenario";
    if (!j.contains("title")) j["title"] = "a test scenario";
    if (!j.contains("clients")) j["clients"] = json::array({{{"name", "a"}}});
    return parse_scenario(j.dump(2), "test.json");
}

/// "2026-11-26T13:02:48.500000Z" style timestamp of a wall time in microseconds.
inline std::string iso(std::int64_t wall_us) {
    std::time_t secs = static_cast<std::time_t>(wall_us / 1000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(wall_us % 1000000));
    return buf;
}

/// Drives one ScenarioRunner as a driver would: fake steady clock, scripted events.
class Fake {
public:
    explicit Fake(const json& scenario, const Profile& profile = test_profile(), RunOptions options = {})
        : scenario_(scenario_of(scenario)), runner(std::make_unique<ScenarioRunner>(scenario_, profile, options)) {}

    std::unique_ptr<ScenarioRunner>& r() { return runner; }

    void start() { take(runner->start(now)); }

    /// Moves the clock forward by `d`, firing every deadline on the way at its exact time.
    void advance(std::chrono::microseconds d) { advance_to(now + d); }
    void advance_to(SteadyTime t) {
        while (!runner->done()) {
            auto next = runner->next_deadline();
            if (!next || *next > t) break;
            now = std::max(now, *next);
            take(runner->on_time(now));
        }
        now = std::max(now, t);
    }

    void event(Event e) { take(runner->on_event(std::move(e), now)); }

    Event make(EventKind k, const std::string& client) {
        Event e;
        e.kind = k;
        e.client = client;
        e.connection = conn[client];
        e.wall_us = wall_base + std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count();
        return e;
    }
    void connected(const std::string& c) { event(make(EventKind::connected, c)); }
    void connect_failed(const std::string& c, int http_status, const std::string& why) {
        Event e = make(EventKind::connect_failed, c);
        e.http_status = http_status;
        e.data = why;
        event(std::move(e));
    }
    void text(const std::string& c, const std::string& data) {
        Event e = make(EventKind::received, c);
        e.data = data;
        e.size = data.size();
        event(std::move(e));
    }
    void msg(const std::string& c, const json& j) { text(c, j.dump()); }
    void binary(const std::string& c, const std::string& data) {
        Event e = make(EventKind::received, c);
        e.binary = true;
        e.data = data;
        e.size = data.size();
        event(std::move(e));
    }
    void pong(const std::string& c, const std::string& data) {
        Event e = make(EventKind::pong, c);
        e.data = data;
        event(std::move(e));
    }
    void closed(const std::string& c, int code, bool clean, const std::string& why = "") {
        Event e = make(EventKind::closed, c);
        e.close_code = code;
        e.clean = clean;
        e.by_peer = true;
        e.data = why;
        event(std::move(e));
    }
    /// A push stamped with the current wall time minus `latency`.
    void push(const std::string& c, std::chrono::microseconds latency = 0us) {
        std::int64_t wall = wall_base + std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count();
        msg(c, {{"status", 200}, {"event", "nowtime"}, {"data", iso(wall - latency.count())}});
    }
    void welcome(const std::string& c) { msg(c, {{"status", 200}, {"event", "notification"}, {"data", "Welcome"}}); }

    /// Answers every pending connect command with `connected`.
    void accept_all() {
        auto pending = std::move(to_accept);
        to_accept.clear();
        for (const auto& c : pending) connected(c);
    }

    bool done() const { return runner->done(); }
    ScenarioResult result() {
        REQUIRE(runner->done());
        return runner->result();
    }
    std::vector<Command> of_kind(Command::Kind k) const {
        std::vector<Command> out;
        for (const auto& c : commands)
            if (c.kind == k) out.push_back(c);
        return out;
    }

    SteadyTime t0 = SteadyTime{} + std::chrono::hours(100);
    SteadyTime now = t0;
    std::int64_t wall_base = 1'764'162'168'000'000;  // 2025-11-26T13:02:48Z
    std::vector<Command> commands;
    std::map<std::string, int> conn;
    std::vector<std::string> to_accept;

private:
    void take(std::vector<Command> cs) {
        for (auto& c : cs) {
            if (c.kind == Command::Kind::connect) {
                conn[c.client] = c.connection;
                to_accept.push_back(c.client);
            }
            commands.push_back(std::move(c));
        }
    }

    Scenario scenario_;

public:
    std::unique_ptr<ScenarioRunner> runner;
};

/// A copy of the finding of a step or check at `where` ("steps/2"), or a failed test.
inline Finding finding(const ScenarioResult& r, const std::string& where) {
    for (const auto& f : r.findings)
        if (f.where == where) return f;
    FAIL("no finding at " << where);
    return {};
}

/// Runs `fn` and returns the ConfigError's what(), or fails the test if nothing was thrown.
template <class Fn>
std::string config_error(Fn&& fn) {
    try {
        fn();
    } catch (const ConfigError& e) {
        return e.what();
    }
    FAIL("expected a ConfigError");
    return "";
}

} // namespace pushcheck::test
