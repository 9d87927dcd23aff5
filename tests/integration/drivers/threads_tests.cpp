// The async driver on several threads against the in-process reference server: many
// clients spread over the threads, and events stamped on the I/O thread when they arrive.
// (The whole driver test matrix also runs with two async threads: see CMakeLists.txt.)
#include "reference.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace drivertest;

namespace {

std::chrono::milliseconds run_threads(int threads, const pushcheck::drivers::TargetOptions& target, Script& s) {
    auto d = pushcheck::drivers::make_async_driver(target, threads);
    auto t0 = Clock::now();
    d->run({&s}, 1, {});
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

/// A script whose engine is busy for `busy` on the first push of client "a", and which
/// records how late the engine got each event after the time the driver stamped on it.
class BusyScript : public Script {
public:
    explicit BusyScript(std::chrono::milliseconds busy) : busy_(busy) {}
    std::vector<Command> on_event(Event event, SteadyTime now) override {
        lateness_[event.client].push_back(Clock::now() - now);
        if (!blocked_ && event.client == "a" && event.kind == EventKind::received &&
            event.data.find("nowtime") != std::string::npos) {
            blocked_ = true;
            std::this_thread::sleep_for(busy_);  // the engine thread is busy; I/O threads go on
        }
        return Script::on_event(std::move(event), now);
    }
    Clock::duration max_lateness(const std::string& client) const {
        Clock::duration m{};
        if (auto it = lateness_.find(client); it != lateness_.end())
            for (auto d : it->second) m = std::max(m, d);
        return m;
    }

private:
    std::chrono::milliseconds busy_;
    bool blocked_ = false;
    std::map<std::string, std::vector<Clock::duration>> lateness_;
};

} // namespace

TEST_CASE("1000 clients in one room over 2 async threads all receive their pushes", "[drivers][threads][load]") {
    ReferenceServer ref(ReferenceServer::options());
    Script s;
    const int n = 1000;
    auto name = [](int i) { return "m" + std::to_string(i); };
    for (int i = 1; i <= n; ++i) s.connect(name(i), "/nowtime", 0, {}, {}, 20000ms);
    for (int i = 1; i <= n; ++i) s.expect(name(i), EventKind::received, "Welcome", 1, 30000ms);
    for (int i = 1; i <= n; ++i) s.expect(name(i), EventKind::received, "nowtime", 3, 10000ms);
    auto took = run_threads(2, target_for(ref.port()), s);
    std::map<std::string, int> kinds;  // events by kind, for the failure message
    for (const auto& r : s.records()) ++kinds[pushcheck::engine::to_string(r.event.kind)];
    std::string tally = "after " + std::to_string(took.count()) + " ms:";
    for (const auto& [kind, k] : kinds) tally += " " + kind + "=" + std::to_string(k);
    for (const auto& r : s.records())
        if (r.event.kind == EventKind::connect_failed) {
            tally += "; first connect_failed: " + r.event.client + ": " + r.event.data;
            break;
        }
    INFO(tally);
    INFO(describe(s));
    REQUIRE(s.passed());
    std::map<std::string, int> connected, pushes, errors;
    std::map<std::string, SteadyTime> last;
    bool ordered = true;  // each client's events reach the engine in the order they were stamped
    for (const auto& r : s.records()) {
        const auto& e = r.event;
        connected[e.client] += e.kind == EventKind::connected;
        pushes[e.client] += e.kind == EventKind::received && e.data.find("nowtime") != std::string::npos;
        errors[e.client] += e.kind == EventKind::error || e.kind == EventKind::connect_failed;
        if (auto it = last.find(e.client); it != last.end() && r.t < it->second) ordered = false;
        last[e.client] = r.t;
    }
    int all_connected = 0, all_pushed = 0, with_errors = 0;
    for (int i = 1; i <= n; ++i) {
        all_connected += connected[name(i)] == 1;
        all_pushed += pushes[name(i)] >= 3;
        with_errors += errors[name(i)] > 0;
    }
    CHECK(all_connected == n);
    CHECK(all_pushed == n);
    CHECK(with_errors == 0);
    CHECK(ordered);
}

TEST_CASE("with 2 async threads an event is stamped when it arrives, not when the engine gets to it", "[drivers][threads]") {
    ReferenceServer ref(ReferenceServer::options());
    // a and b land on different threads (round-robin); the engine is busy on a's first push
    // for 400 ms while b's pushes keep arriving on the other thread.
    BusyScript s(400ms);
    s.connect("a", "/nowtime")
        .connect("b", "/nowtime")
        .expect("a", EventKind::received, "nowtime", 1)
        .expect("b", EventKind::received, "nowtime", 5)
        .close("a", 1000)
        .close("b", 1000)
        .expect("a", EventKind::closed)
        .expect("b", EventKind::closed);
    run_threads(2, target_for(ref.port()), s);
    INFO(describe(s));
    REQUIRE(s.passed());
    // b's pushes during the busy spell were stamped on arrival: the engine saw them late.
    CHECK(s.max_lateness("b") >= 200ms);
    // And they kept their spacing: stamped about 100 ms apart, not bunched when the engine woke.
    std::vector<SteadyTime> b_pushes;
    for (const auto& r : s.records())
        if (r.event.client == "b" && r.event.data.find("nowtime") != std::string::npos) b_pushes.push_back(r.t);
    REQUIRE(b_pushes.size() >= 5);
    int spaced = 0;
    for (std::size_t i = 1; i < b_pushes.size(); ++i) spaced += b_pushes[i] - b_pushes[i - 1] >= 50ms;
    CHECK(spaced >= static_cast<int>(b_pushes.size()) - 2);
}
