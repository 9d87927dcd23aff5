// Message texts, client message classification, faults, metrics text and flag parsing.
#include "nowtime/cli.hpp"
#include "nowtime/messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>

using namespace nowtime;
using nlohmann::json;
using std::chrono::system_clock;

namespace {

// 2026-11-26T13:02:48.542529Z
system_clock::time_point sample_time() {
    using namespace std::chrono;
    return system_clock::time_point(seconds(1795698168) + microseconds(542529));
}

CommandLine parse(std::vector<std::string> args, const MainConfig& config = {}) {
    args.insert(args.begin(), config.program);
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    return parse_command_line(static_cast<int>(argv.size()), argv.data(), config);
}

} // namespace

TEST_CASE("timestamps are UTC ISO 8601 with six fraction digits and Z", "[messages]") {
    CHECK(format_utc(sample_time()) == "2026-11-26T13:02:48.542529Z");
    CHECK(format_utc(system_clock::time_point(std::chrono::seconds(0))) == "1970-01-01T00:00:00.000000Z");
}

TEST_CASE("the server's messages", "[messages]") {
    Faults none;
    CHECK(json::parse(welcome_message(none)) == json{{"status", 200}, {"event", "notification"}, {"data", "Welcome"}});
    CHECK(json::parse(push_message(sample_time(), none)) ==
          json{{"status", 200}, {"event", "nowtime"}, {"data", "2026-11-26T13:02:48.542529Z"}});
    CHECK(json::parse(bye_message()) == json{{"message", "bye"}});
    CHECK(json::parse(unknown_url_message()) ==
          json{{"status", 404}, {"event", "notification"}, {"data", "Unknown url"}});
}

TEST_CASE("faults change exactly the message they name", "[messages][faults]") {
    Faults f;
    SECTION("welcome_status_500") {
        f.welcome_status_500 = true;
        CHECK(json::parse(welcome_message(f))["status"] == 500);
    }
    SECTION("wrong_push_event") {
        f.wrong_push_event = true;
        CHECK(json::parse(push_message(sample_time(), f))["event"] == "time");
    }
    SECTION("push_not_json") {
        f.push_not_json = true;
        auto text = push_message(sample_time(), f);
        CHECK(json::parse(text, nullptr, false).is_discarded());
    }
    SECTION("timestamp_not_iso") {
        f.timestamp_not_iso = true;
        CHECK(json::parse(push_message(sample_time(), f))["data"] == "26/11/2026 13:02:48");
    }
    SECTION("timestamp_not_utc") {
        f.timestamp_not_utc = true;
        CHECK(json::parse(push_message(sample_time(), f))["data"] == "2026-11-26T14:02:48.542529+01:00");
    }
    SECTION("timestamp_stale") {
        f.timestamp_stale = true;
        CHECK(json::parse(push_message(sample_time(), f))["data"] == "2026-11-26T13:02:43.542529Z");
    }
}

TEST_CASE("fault names turn on one fault each", "[faults]") {
    REQUIRE(fault_names().size() == 20);
    CHECK_FALSE(Faults{}.any());
    for (auto& name : fault_names()) {
        Faults f;
        CHECK(set_fault(f, name));
        CHECK(f.any());
    }
    Faults f;
    CHECK_FALSE(set_fault(f, "no_such_fault"));
    CHECK_FALSE(f.any());
    CHECK(set_fault(f, "push_twice"));
    CHECK(f.push_twice);
    CHECK_FALSE(f.no_bye);
}

TEST_CASE("client messages: only the close request matters", "[messages]") {
    CHECK(classify_client_message(R"({"event":"close"})") == ClientMessage::close_request);
    CHECK(classify_client_message(R"( { "x": 1, "event" : "close" } )") == ClientMessage::close_request);
    CHECK(classify_client_message(R"({"event":"dance"})") == ClientMessage::other_json);
    CHECK(classify_client_message(R"({"event":5})") == ClientMessage::other_json);
    CHECK(classify_client_message(R"(["event","close"])") == ClientMessage::other_json);
    CHECK(classify_client_message(R"("close")") == ClientMessage::other_json);
    CHECK(classify_client_message("not json") == ClientMessage::not_json);
    CHECK(classify_client_message(R"({"event":"close")") == ClientMessage::not_json);
    CHECK(classify_client_message("") == ClientMessage::not_json);
}

TEST_CASE("the room of a request target ignores the query", "[messages]") {
    CHECK(room_of_target("/nowtime") == "/nowtime");
    CHECK(room_of_target("/nowtime?token=1") == "/nowtime");
    CHECK(room_of_target("/") == "/");
}

TEST_CASE("metrics in Prometheus text format", "[metrics]") {
    Metrics m;
    m.open_connections = 3;
    m.rooms = {{"/nowtime", 2}, {"/we\"ird", 1}};
    m.pushes_sent = 42;
    m.bytes_sent = 4242;
    m.slow_consumer_cutoffs = 1;
    m.handshake_failures = 5;
    m.rejected_connections = 6;
    auto text = to_prometheus(m);
    CHECK_THAT(text, Catch::Contains("\nnowtime_open_connections 3\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_room_members{room=\"/nowtime\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_room_members{room=\"/we\\\"ird\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_pushes_sent_total 42\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_bytes_sent_total 4242\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_slow_consumer_cutoffs_total 1\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_handshake_failures_total 5\n"));
    CHECK_THAT(text, Catch::Contains("\nnowtime_rejected_connections_total 6\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE nowtime_pushes_sent_total counter\n"));
    CHECK(m.members("/nowtime") == 2);
    CHECK(m.members("/none") == 0);
}

TEST_CASE("command line defaults", "[cli]") {
    auto cl = parse({});
    REQUIRE_FALSE(cl.exit_code);
    auto& o = cl.options;
    CHECK(o.host == "127.0.0.1");
    CHECK(o.port == 5000);
    CHECK(o.interval == std::chrono::milliseconds(3000));
    CHECK(o.rooms == std::vector<std::string>{"/nowtime"});
    CHECK(o.threads == 0);
    CHECK(o.max_message_bytes == 64 * 1024);
    CHECK(o.max_queued_bytes == 1024 * 1024);
    CHECK(o.tls_cert.empty());
    CHECK(o.log_level == LogLevel::info);
    CHECK_FALSE(o.faults.any());
}

TEST_CASE("command line flags", "[cli]") {
    auto cl = parse({"--host", "0.0.0.0", "--port", "0", "--interval-ms", "50", "--rooms", "/nowtime,/other",
                     "--threads", "2", "--max-connections", "7", "--max-message-bytes", "100",
                     "--max-queued-bytes", "2048", "--log-level", "debug", "--ping-interval-ms", "300",
                     "--handshake-timeout-ms", "400"});
    REQUIRE_FALSE(cl.exit_code);
    auto& o = cl.options;
    CHECK(o.host == "0.0.0.0");
    CHECK(o.port == 0);
    CHECK(o.interval == std::chrono::milliseconds(50));
    CHECK(o.rooms == std::vector<std::string>{"/nowtime", "/other"});
    CHECK(o.threads == 2);
    CHECK(o.max_connections == 7);
    CHECK(o.max_message_bytes == 100);
    CHECK(o.max_queued_bytes == 2048);
    CHECK(o.log_level == LogLevel::debug);
    CHECK(o.ping_interval == std::chrono::milliseconds(300));
    CHECK(o.handshake_timeout == std::chrono::milliseconds(400));
}

TEST_CASE("bad flags exit 2 with a message naming the problem", "[cli]") {
    struct Case {
        std::vector<std::string> args;
        std::string mentions;
    };
    auto c = GENERATE(values<Case>({
        {{"--bogus"}, "--bogus"},
        {{"--port", "70000"}, "--port"},
        {{"--port", "abc"}, "--port"},
        {{"--interval-ms", "0"}, "--interval-ms"},
        {{"--rooms", "nowtime"}, "nowtime"},
        {{"--rooms", ","}, "--rooms"},
        {{"--log-level", "loud"}, "--log-level"},
        {{"--tls-cert", "/etc/hostname"}, "--tls-key"},
        {{"--fault", "no_bye"}, "--fault"},
    }));
    CAPTURE(c.args);
    auto cl = parse(c.args);
    REQUIRE(cl.exit_code);
    CHECK(*cl.exit_code == 2);
    CHECK_THAT(cl.err, Catch::Contains(c.mentions));
}

TEST_CASE("--help and --version exit 0", "[cli]") {
    auto help = parse({"--help"});
    REQUIRE(help.exit_code);
    CHECK(*help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--interval-ms"));
    CHECK_THAT(help.out, Catch::Contains("--max-queued-bytes"));
    CHECK_THAT(help.out, !Catch::Contains("--fault"));
    auto version = parse({"--version"});
    REQUIRE(version.exit_code);
    CHECK(*version.exit_code == 0);
    CHECK(std::regex_search(version.out, std::regex(R"(^nowtime-server \d+\.\d+\.\d+)")));
}

TEST_CASE("the mutant's command line takes --fault", "[cli][faults]") {
    MainConfig mutant{"nowtime-mutant", true};
    auto cl = parse({"--fault", "no_bye", "--fault", "push_twice", "--port", "0"}, mutant);
    REQUIRE_FALSE(cl.exit_code);
    CHECK(cl.options.faults.no_bye);
    CHECK(cl.options.faults.push_twice);
    CHECK_FALSE(cl.options.faults.no_welcome);
    auto bad = parse({"--fault", "nope"}, mutant);
    REQUIRE(bad.exit_code);
    CHECK(*bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("nope"));
}
