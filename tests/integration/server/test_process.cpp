// The nowtime-server binary as users run it: its `listening on` line, its exit codes,
// and third-party Python clients (websockets, websocket-client) against it.
#include "support/child_process.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using pushcheck::test::ChildProcess;
using pushcheck::test::run_command;
using ms = std::chrono::milliseconds;

namespace {

const std::string kServer = NOWTIME_SERVER_BIN;
const std::string kScripts = NOWTIME_SCRIPTS_DIR;

// Starts the server on a free port and returns its port (0 when it did not come up).
unsigned short start(ChildProcess& child) {
    REQUIRE(child.ok());
    auto line = child.wait_for_line("listening on ", ms(15000));
    INFO("stdout so far: " << child.output());
    REQUIRE(line);
    auto port = pushcheck::test::port_from_listening_line(*line);
    REQUIRE(port);
    return *port;
}

} // namespace

TEST_CASE("the server prints exactly one `listening on HOST:PORT` line", "[process]") {
    ChildProcess child({kServer, "--port", "0", "--log-level", "warn"});
    auto port = start(child);
    CHECK(child.output() == "listening on 127.0.0.1:" + std::to_string(port) + "\n");
    REQUIRE(child.signal(SIGTERM));
    CHECK(child.wait(ms(3000)) == 0);
    CHECK_FALSE(child.read_line(ms(1000)));  // nothing more on stdout
}

TEST_CASE("bad flags exit 2 with a clear message", "[process]") {
    auto r = run_command({kServer, "--interval-ms", "-5"}, ms(15000));
    INFO(r.output);
    REQUIRE(r.exit_code);
    CHECK(*r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("--interval-ms"));
}

TEST_CASE("a port in use exits 1 and says so", "[process]") {
    ChildProcess first({kServer, "--port", "0", "--log-level", "warn"});
    auto port = start(first);
    auto r = run_command({kServer, "--port", std::to_string(port)}, ms(15000));
    INFO(r.output);
    REQUIRE(r.exit_code);
    CHECK(*r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("cannot start"));
    CHECK_THAT(r.output, Catch::Contains(std::to_string(port)));
}

TEST_CASE("--help and --version", "[process]") {
    auto help = run_command({kServer, "--help"}, ms(15000));
    REQUIRE(help.exit_code);
    CHECK(*help.exit_code == 0);
    CHECK_THAT(help.output, Catch::Contains("--max-queued-bytes"));
    auto version = run_command({kServer, "--version"}, ms(15000));
    REQUIRE(version.exit_code);
    CHECK(*version.exit_code == 0);
    CHECK_THAT(version.output, Catch::StartsWith("nowtime-server "));
}

TEST_CASE("third-party Python clients get ten messages and the bye and close 1000", "[process][interop]") {
    auto script = GENERATE(as<std::string>{}, "interop_websockets.py", "interop_websocket_client.py");
    ChildProcess server({kServer, "--port", "0", "--interval-ms", "50", "--log-level", "warn"});
    auto port = start(server);
    auto url = "ws://127.0.0.1:" + std::to_string(port) + "/nowtime";
    auto r = run_command({"/usr/bin/python3", kScripts + "/" + script, url}, ms(30000));
    INFO(script << " said:\n" << r.output);
    REQUIRE(r.exit_code);
    CHECK(*r.exit_code == 0);
}

TEST_CASE("only nowtime-mutant offers --fault", "[process][faults]") {
    auto help = run_command({NOWTIME_MUTANT_BIN, "--help"}, ms(15000));
    REQUIRE(help.exit_code);
    CHECK(*help.exit_code == 0);
    CHECK_THAT(help.output, Catch::Contains("--fault"));
    auto refused = run_command({kServer, "--fault", "no_bye"}, ms(15000));
    REQUIRE(refused.exit_code);
    CHECK(*refused.exit_code == 2);
    auto unknown = run_command({NOWTIME_MUTANT_BIN, "--fault", "no_such_fault"}, ms(15000));
    REQUIRE(unknown.exit_code);
    CHECK(*unknown.exit_code == 2);
    CHECK_THAT(unknown.output, Catch::Contains("no_such_fault"));
}

TEST_CASE("the interop clients fail against a server without the bye", "[process][faults][interop]") {
    auto script = GENERATE(as<std::string>{}, "interop_websockets.py", "interop_websocket_client.py");
    ChildProcess server({NOWTIME_MUTANT_BIN, "--fault", "no_bye", "--port", "0", "--interval-ms", "50",
                         "--log-level", "error"});
    auto port = start(server);
    auto r = run_command({"/usr/bin/python3", kScripts + "/" + script,
                          "ws://127.0.0.1:" + std::to_string(port) + "/nowtime"},
                         ms(30000));
    INFO(script << " said:\n" << r.output);
    REQUIRE(r.exit_code);
    CHECK(*r.exit_code != 0);
}
