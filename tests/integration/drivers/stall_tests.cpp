// Stalled clients under both drivers: pause_reading / resume_reading, flood, and SO_RCVBUF.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace drivertest;

namespace {

Command flood(const std::string& client, const std::string& payload, std::uint64_t count, std::chrono::milliseconds limit) {
    Command c;
    c.kind = Command::Kind::flood;
    c.client = client;
    c.data = payload;
    c.count = count;
    c.timeout = limit;
    return c;
}

Command reading(const std::string& client, bool pause) {
    Command c;
    c.kind = pause ? Command::Kind::pause_reading : Command::Kind::resume_reading;
    c.client = client;
    return c;
}

const Event* flood_event(const std::vector<Event>& events) {
    for (const auto& e : events)
        if (e.kind == EventKind::sent && e.flood) return &e;
    return nullptr;
}

} // namespace

TEST_CASE("flood: every ping goes out, its pongs are not reported, same events under both drivers", "[drivers][stall]") {
    PythonPeer peer;
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        Script s;
        s.connect("a", "/echo")
            .expect("a", EventKind::connected)
            .command(flood("a", "f", 300, 5000ms))
            .expect("a", EventKind::sent, "count reached")
            .ping("a", "after")
            .expect("a", EventKind::pong, "after")
            .close("a", 1000)
            .expect("a", EventKind::closed);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        auto events = s.events_of("a");
        const Event* f = flood_event(events);
        REQUIRE(f);
        CHECK(f->count == 300);
        CHECK(f->size == 300);
        CHECK(f->duration_us > 0);
        CHECK(f->duration_us < 5'000'000);
        sigs[driver] = signatures(events);
    }
    std::vector<std::string> expected{"a#0 connected[]", "a#0 sent[flood: count reached]", "a#0 pong[after]",
                                      "a#0 sent[close 1000]", "a#0 closed[1000 clean]"};
    CHECK(sigs["async"] == expected);
    CHECK(sigs["sync"] == expected);
}

TEST_CASE("flood: a server that stops reading ends it at the time limit, and the connection stays", "[drivers][stall]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    std::atomic<int> end{-1};
    {
        RawPeer peer([&](RawConn& c) {
            if (!c.handshake()) return;
            // Reads nothing for a while: the client's socket buffers fill and the flood must stop.
            std::this_thread::sleep_for(1500ms);
            end = static_cast<int>(c.read_until_end(10000ms));
        });
        Script s;
        s.connect("a", "/x", 0, {}, {}, 3000ms)
            .expect("a", EventKind::connected)
            .command(flood("a", std::string(125, 'p'), 10'000'000, 400ms))
            .expect("a", EventKind::sent, "time limit", 1, 3000ms)
            .ping("a", "still-open")
            .close("a", 1000)
            .expect("a", EventKind::closed, "", 1, 8000ms);
        auto took = run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        auto events = s.events_of("a");
        const Event* f = flood_event(events);
        REQUIRE(f);
        CHECK(f->count > 0);
        CHECK(f->count < 10'000'000);
        CHECK(f->size == f->count * 125);
        CHECK(f->duration_us >= 400'000);
        CHECK(f->duration_us < 1'400'000);  // the limit, plus at most one frame that had room
        CHECK(took < 10000ms);
    }
    CHECK(end == static_cast<int>(RawConn::Read::eof));
}

TEST_CASE("pause_reading: nothing is read while paused; resume delivers the backlog at once", "[drivers][stall]") {
    PythonPeer peer;
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        Script s;
        s.connect("a", "/nowtime?interval=40&count=-1")
            .expect("a", EventKind::received, "Welcome")
            .command(reading("a", true))
            .sleep(400ms)
            .command(reading("a", false))
            .expect("a", EventKind::received, "nowtime", 6, 1000ms);
        run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        // The welcome came before the pause; then nothing for 400 ms, then six pushes in one burst.
        std::vector<SteadyTime> at;
        SteadyTime welcome{};
        for (const auto& r : s.records()) {
            if (r.event.kind != EventKind::received) continue;
            if (r.event.data.find("Welcome") != std::string::npos) welcome = r.t;
            else if (at.size() < 6) at.push_back(r.t);
        }
        REQUIRE(at.size() == 6);
        CHECK(at.front() - welcome >= 390ms);
        CHECK(at.back() - at.front() < 60ms);  // paced pushes would be 200 ms apart
        auto events = s.events_of("a");
        REQUIRE(events.size() >= 8);
        events.resize(8);
        sigs[driver] = signatures(events);
    }
    CHECK(sigs["async"] == sigs["sync"]);
}

TEST_CASE("pause_reading without a connection is reported as not connected", "[drivers][stall]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    PythonPeer peer;
    Script s;
    s.connect("a", "/close?code=1000")
        .expect("a", EventKind::closed)
        .command(reading("a", true))
        .expect("a", EventKind::error, "not connected");
    run(driver, target_for(peer.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
}

TEST_CASE("abort after a flood resets the TCP connection at once", "[drivers][stall]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    std::atomic<int> seen{-1};
    {
        RawPeer peer([&](RawConn& c) {
            if (!c.handshake()) return;
            seen = static_cast<int>(c.read_until_end(5000ms));
        });
        Script s;
        s.connect("a", "/x")
            .expect("a", EventKind::connected)
            .command(flood("a", "f", 50, 1000ms))
            .expect("a", EventKind::sent, "count reached")
            .abort("a")
            .expect("a", EventKind::closed);
        auto took = run(driver, target_for(peer.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        CHECK(took < 3000ms);
    }
    CHECK(seen == static_cast<int>(RawConn::Read::reset));
}
