// Both drivers against the in-process reference server (nowtime::Server).
#include "reference.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>

using namespace drivertest;

namespace {

std::vector<std::string> pushes_of(const Script& s, const std::string& client) {
    std::vector<std::string> out;
    for (const auto& e : s.events_of(client)) {
        if (e.kind != EventKind::received) continue;
        auto j = nlohmann::json::parse(e.data, nullptr, false);
        if (j.is_object() && j.value("event", "") == "nowtime") out.push_back(j.value("data", ""));
    }
    return out;
}

} // namespace

TEST_CASE("two members of a reference-server room: same events under both drivers", "[drivers][reference]") {
    ReferenceServer ref(ReferenceServer::options());
    std::map<std::string, std::vector<std::string>> sigs;
    for (const char* driver : {"async", "sync"}) {
        Script s;
        s.connect("a", "/nowtime")
            .connect("b", "/nowtime")
            .expect("a", EventKind::received, "Welcome")
            .expect("b", EventKind::received, "Welcome")
            .expect("a", EventKind::received, "nowtime", 3)
            .expect("b", EventKind::received, "nowtime", 3)
            .send("a", R"({"event":"close"})")
            .expect("a", EventKind::received, "bye")
            .expect("a", EventKind::closed)
            .close("b", 1000)
            .expect("b", EventKind::closed);
        run(driver, target_for(ref.port()), s);
        INFO(driver << ": " << describe(s));
        REQUIRE(s.passed());
        // A broadcasting room: both members got the very same payloads.
        auto pa = pushes_of(s, "a");
        auto pb = pushes_of(s, "b");
        REQUIRE(pa.size() >= 3);
        REQUIRE(pb.size() >= 3);
        CHECK(std::vector<std::string>(pa.begin(), pa.begin() + 3) == std::vector<std::string>(pb.begin(), pb.begin() + 3));
        auto closed = s.events_of("a").back();
        CHECK(closed.kind == EventKind::closed);
        CHECK(closed.close_code == 1000);
        CHECK(closed.clean);
        CHECK(closed.by_peer);
        std::vector<std::string> sig;
        for (const auto& x : signatures(s.events_of("b")))
            if (x != "b#0 received[nowtime]") sig.push_back(x);  // how many pushes b sees depends on timing
        sigs[driver] = sig;
    }
    CHECK(sigs["async"] == sigs["sync"]);
    CHECK(sigs["async"] == std::vector<std::string>{"b#0 connected[]", "b#0 received[notification]",
                                                    "b#0 sent[close 1000]", "b#0 closed[1000 clean]"});
}

TEST_CASE("an unknown room on the reference server: notification, then close 1008", "[drivers][reference]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    ReferenceServer ref(ReferenceServer::options());
    Script s;
    s.connect("a", "/nowhere").expect("a", EventKind::closed);
    run(driver, target_for(ref.port()), s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    auto events = s.events_of("a");
    REQUIRE(events.size() == 3);
    CHECK(signature(events[1]) == "a#0 received[notification]");
    CHECK(events[2].close_code == 1008);
    CHECK(events[2].clean);
    CHECK(events[2].by_peer);
}

TEST_CASE("wss against the reference server", "[drivers][reference][tls]") {
    std::string driver = GENERATE(as<std::string>{}, "async", "sync");
    static const CertFiles cert = make_cert();
    auto o = ReferenceServer::options();
    o.tls_cert = cert.cert;
    o.tls_key = cert.key;
    ReferenceServer ref(o);
    auto target = target_for(ref.port(), true);
    target.ca_file = cert.cert;
    Script s;
    s.connect("a", "/nowtime")
        .expect("a", EventKind::received, "nowtime", 2)
        .send("a", R"({"event":"close"})")
        .expect("a", EventKind::closed);
    run(driver, target, s);
    INFO(driver << ": " << describe(s));
    REQUIRE(s.passed());
    CHECK(s.events_of("a").back().close_code == 1000);
    CHECK(s.events_of("a").back().clean);
}
