// pushcheck's command line, run in-process: exit codes, messages, list/validate/report.
#include "cli_support.hpp"
#include "pushcheck/run/app.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

using cli_test::cli;
using cli_test::Outcome;

// A fresh folder under the system temp dir, removed at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("pushcheck-cli-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

// A loopback port with nothing listening: bind, read the port, close.
int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST_CASE("version and help exit 0", "[cli]") {
    auto v = cli({"--version"});
    CHECK(v.code == 0);
    CHECK(v.out.find("pushcheck ") != std::string::npos);
    auto h = cli({"run", "--help"});
    CHECK(h.code == 0);
    CHECK(h.out.find("--target") != std::string::npos);
}

TEST_CASE("bad usage exits 2 with a message", "[cli][exit2]") {
    auto none = cli({});
    CHECK(none.code == 2);
    auto unknown = cli({"run", "--no-such-flag"});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find("--no-such-flag") != std::string::npos);
    auto driver = cli({"run", "--driver", "threads"});
    CHECK(driver.code == 2);
    CHECK(driver.err.find("threads") != std::string::npos);
    auto url = cli({"run", "--target", "http://127.0.0.1:1"});
    CHECK(url.code == 2);
    CHECK(url.err.find("not a ws:// or wss:// URL") != std::string::npos);
    auto header = cli({"run", "--header", "no colon here", "--filter", "handshake.*"});
    CHECK(header.code == 2);
    CHECK(header.err.find("Name: value") != std::string::npos);
}

TEST_CASE("an unknown profile key or an ill-typed value exits 2 naming the key", "[cli][exit2]") {
    auto unknown = cli({"run", "--set", "push.intervall_ms=200"});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find("push.intervall_ms") != std::string::npos);
    auto typed = cli({"run", "--set", "push.interval_ms=\"fast\""});
    CHECK(typed.code == 2);
    CHECK(typed.err.find("push.interval_ms") != std::string::npos);
    auto profile = cli({"run", "--profile", "no-such-profile"});
    CHECK(profile.code == 2);
    CHECK(profile.err.find("no-such-profile") != std::string::npos);
}

TEST_CASE("a malformed scenario file exits 2 naming file, line and column", "[cli][exit2]") {
    TempDir t;
    auto bad = t.file("bad.json", "{\n  \"id\": \"x.y\",\n  \"steps\": [ oops ]\n}\n");
    auto r = cli({"run", "--scenarios", bad});
    CHECK(r.code == 2);
    CHECK(r.err.find("bad.json") != std::string::npos);
    CHECK(r.err.find("3:") != std::string::npos);  // line 3
    auto v = cli({"validate", bad});
    CHECK(v.code == 2);
    CHECK(v.err.find("bad.json") != std::string::npos);
}

TEST_CASE("an unknown step lists the known ones", "[cli][exit2]") {
    TempDir t;
    auto f = t.file("typo.json", R"({"id": "x.typo", "title": "t", "description": "d", "level": "must",
        "clients": [{"name": "a"}], "steps": [{"step": "jion", "client": "a"}]})");
    auto r = cli({"validate", f});
    CHECK(r.code == 2);
    CHECK(r.err.find("/steps/0") != std::string::npos);
    CHECK(r.err.find("jion") != std::string::npos);
    CHECK(r.err.find("join") != std::string::npos);
}

TEST_CASE("validate accepts the shipped suite and profile", "[cli]") {
    std::vector<std::string> args{"validate"};
    for (auto& e : fs::directory_iterator(fs::path(PUSHCHECK_SOURCE_DIR) / "scenarios" / "suite"))
        args.push_back(e.path().string());
    args.push_back((fs::path(PUSHCHECK_SOURCE_DIR) / "scenarios" / "profiles" / "nowtime.json").string());
    auto r = cli(args);
    INFO(r.err);
    CHECK(r.code == 0);
    // The scenarios of protocol hooks nowtime does not have (a server hello, application heartbeats,
    // a leave message, an error for an unknown room, a WebSocket keep-alive) are not applicable to it.
    CHECK(r.out.find("(profile nowtime, runs every suite scenario but 6 not applicable to it:") != std::string::npos);
}

TEST_CASE("an unreachable target exits 3", "[cli][exit3]") {
    auto port = std::to_string(closed_port());
    auto r = cli({"run", "--target", "ws://127.0.0.1:" + port, "--filter", "handshake.*", "-q"});
    CHECK(r.code == 3);
    CHECK(r.err.find("unreachable") != std::string::npos);
}

TEST_CASE("a passing run against the embedded server exits 0 and writes reports", "[cli][exit0]") {
    TempDir t;
    auto json = (t.path / "r" / "results.json").string();
    auto r = cli({"run", "--filter", "handshake.join_welcome", "--filter", "lifecycle.close_bye",
                        "--json", json});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("handshake.join_welcome") != std::string::npos);
    auto doc = nlohmann::json::parse(slurp(json));
    CHECK(doc["summary"]["total"] == 2);
    CHECK(doc["summary"]["pass"] == 2);

    // Re-render from the saved run.
    auto junit = (t.path / "junit.xml").string();
    auto rep = cli({"report", json, "--junit", junit, "-q"});
    CHECK(rep.code == 0);
    CHECK(slurp(junit).find("handshake.join_welcome") != std::string::npos);
}

TEST_CASE("a must-level failure exits 1 and names the mismatch", "[cli][exit1]") {
    // A profile whose welcome the reference server does not send.
    auto r = cli({"run", "--filter", "handshake.join_welcome", "--set",
                        R"(welcome.match={"status": 201, "event": "notification"})"});
    INFO(r.out << r.err);
    CHECK(r.code == 1);
    CHECK(r.out.find("/status") != std::string::npos);
}

TEST_CASE("driver both runs each scenario under each driver", "[cli][drivers]") {
    TempDir t;
    auto json = (t.path / "results.json").string();
    auto r = cli({"run", "--driver", "both", "--filter", "lifecycle.close_bye", "--json", json, "-q"});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    auto doc = nlohmann::json::parse(slurp(json));
    REQUIRE(doc["scenarios"].size() == 2);
    std::set<std::string> drivers;
    for (auto& s : doc["scenarios"]) {
        drivers.insert(s["driver"].get<std::string>());
        CHECK(s["verdict"] == "pass");
    }
    CHECK(drivers == std::set<std::string>{"async", "sync"});
}

TEST_CASE("docs/conformance.md is generated from the suite and not stale", "[cli][docs]") {
    std::string doc = slurp(fs::path(PUSHCHECK_SOURCE_DIR) / "docs" / "conformance.md");
    // One generated table per shipped profile: which scenarios it runs.
    for (std::string profile : {"", "socketio-nowtime", "pusher-nowtime", "graphql-nowtime"}) {
        std::vector<std::string> args{"list", "--format", "markdown"};
        std::string marker = "<!-- BEGIN GENERATED: pushcheck list --format markdown";
        if (!profile.empty()) {
            args.insert(args.end(), {"--profile", profile});
            marker += " --profile " + profile;
        }
        marker += " -->\n";
        auto r = cli(args);
        REQUIRE(r.code == 0);
        auto begin = doc.find(marker);
        INFO(marker);
        REQUIRE(begin != std::string::npos);
        begin += marker.size();
        auto end = doc.find("<!-- END GENERATED -->", begin);
        REQUIRE(end != std::string::npos);
        INFO("regenerate with: build/bin/pushcheck " + [&] {
            std::string s;
            for (const auto& a : args) s += a + " ";
            return s;
        }() + "between its markers in docs/conformance.md");
        CHECK(doc.substr(begin, end - begin) == r.out);
    }
}

TEST_CASE("an empty or blank --target is a usage error, not the embedded server", "[cli][exit2]") {
    for (std::string t : {"", "  "}) {
        auto r = cli({"run", "--target", t, "--filter", "handshake.join_welcome", "-q"});
        INFO("target '" << t << "': " << r.out << r.err);
        CHECK(r.code == 2);
        CHECK(r.err.find("--target is empty") != std::string::npos);
        CHECK(r.out.find("embedded") == std::string::npos);
    }
}

TEST_CASE("a mistyped command is named, with the close one", "[cli][exit2]") {
    auto r = cli({"runn", "--target", "ws://127.0.0.1:1"});
    CHECK(r.code == 2);
    CHECK(r.err.find("unknown command 'runn'") != std::string::npos);
    CHECK(r.err.find("did you mean 'run'") != std::string::npos);
    auto far = cli({"frobnicate"});
    CHECK(far.code == 2);
    CHECK(far.err.find("unknown command 'frobnicate'") != std::string::npos);
    CHECK(far.err.find("did you mean") == std::string::npos);
}

TEST_CASE("a bad --set value names the --set argument, not the profile file", "[cli][exit2]") {
    for (std::string set : {"push.interval_ms=-5", "push.interval_ms=1e12", "close.within_ms=-1",
                            "push.tolerance_pct=1e9"}) {
        auto r = cli({"run", "--set", set, "--filter", "handshake.join_welcome"});
        INFO(set << ": " << r.err);
        CHECK(r.code == 2);
        CHECK(r.err.rfind("pushcheck: --set " + set, 0) == 0);
        CHECK(r.err.find("nowtime.json") == std::string::npos);
    }
}

TEST_CASE("range errors print short numbers", "[cli][exit2]") {
    auto r = cli({"run", "--timeout-scale", "1e308", "--filter", "handshake.join_welcome"});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.err.size() < 300);
    TempDir t;
    auto f = t.file("s.json", R"({"id": "x.big", "title": "t", "description": "d", "level": "must",
        "clients": [{"name": "a"}], "steps": [{"step": "sleep", "for_ms": 1e308}]})");
    auto v = cli({"validate", f});
    INFO(v.err);
    CHECK(v.code == 2);
    CHECK(v.err.find("000000000000000000000") == std::string::npos);
}

TEST_CASE("scenarios can be left out with --exclude or a '!' filter", "[cli]") {
    auto all = cli({"list"});
    REQUIRE(all.code == 0);
    REQUIRE(all.out.find("push.cadence") != std::string::npos);
    for (auto args : {std::vector<std::string>{"list", "--exclude", "push.*"},
                      std::vector<std::string>{"list", "--filter", "!push.*"}}) {
        auto r = cli(args);
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(r.out.find("push.cadence") == std::string::npos);
        CHECK(r.out.find("lifecycle.close_bye") != std::string::npos);
    }
    auto both = cli({"list", "--filter", "lifecycle.*", "--exclude", "*close*"});
    CHECK(both.code == 0);
    CHECK(both.out.find("lifecycle.reconnect_after_abrupt") != std::string::npos);
    CHECK(both.out.find("lifecycle.close_bye") == std::string::npos);
    auto none = cli({"run", "--filter", "nosuch.*", "--exclude", "x.y"});
    CHECK(none.code == 2);
    CHECK(none.err.find("'nosuch.*'") != std::string::npos);
    CHECK(none.err.find("'x.y'") != std::string::npos);
}

TEST_CASE("add-scenarios runs a user's scenario beside the suite", "[cli]") {
    TempDir t;
    auto f = t.file("mine.json", R"({"id": "mine.welcome", "title": "t", "description": "d", "level": "must",
        "clients": [{"name": "a"}], "steps": [{"step": "join", "client": "a"},
        {"step": "expect", "client": "a", "match": {"$profile": "welcome.match"}}]})");
    auto r = cli({"list", "--add-scenarios", f});
    CHECK(r.code == 0);
    CHECK(r.out.find("mine.welcome") != std::string::npos);
    CHECK(r.out.find("push.cadence") != std::string::npos);
    auto only = cli({"list", "--scenarios", f});
    CHECK(only.code == 0);
    CHECK(only.out.find("mine.welcome") != std::string::npos);
    CHECK(only.out.find("push.cadence") == std::string::npos);
}

TEST_CASE("validate rejects duplicate ids, reads folders, and checks a profile against the suite", "[cli][exit2]") {
    TempDir t;
    std::string body = R"({"id": "dup.one", "title": "t", "description": "d", "level": "must",
        "clients": [{"name": "a"}], "steps": [{"step": "join", "client": "a"}]})";
    auto a = t.file("a.json", body);
    auto b = t.file("b.json", body);
    auto dup = cli({"validate", a, b});
    INFO(dup.err);
    CHECK(dup.code == 2);
    CHECK(dup.err.find("duplicate scenario id \"dup.one\"") != std::string::npos);

    auto dir = cli({"validate", (fs::path(PUSHCHECK_SOURCE_DIR) / "scenarios" / "suite").string()});
    INFO(dir.err);
    CHECK(dir.code == 0);
    CHECK(dir.err.find("internal error") == std::string::npos);
    CHECK(dir.out.find("lifecycle.close_bye") != std::string::npos);
    auto empty = cli({"validate", t.path.string() + "/nothing-here"});
    CHECK(empty.code == 2);

    // A profile without the welcome every join expects: the suite cannot run with it.
    auto profile = nlohmann::json::parse(slurp(fs::path(PUSHCHECK_SOURCE_DIR) / "scenarios" / "profiles" / "nowtime.json"));
    auto nowelcome = profile;
    nowelcome.erase("welcome");
    auto p = cli({"validate", t.file("nowelcome.json", nowelcome.dump())});
    INFO(p.err);
    CHECK(p.code == 2);
    CHECK(p.err.find("handshake.join_welcome") != std::string::npos);
    CHECK(p.err.find("welcome.match") != std::string::npos);
    // Without the bye, the scenarios that require it are not applicable: listed, not errors.
    auto nobye = profile;
    nobye.erase("bye");
    auto q = cli({"validate", t.file("nobye.json", nobye.dump())});
    INFO(q.out << q.err);
    CHECK(q.code == 0);
    CHECK(q.out.find("but 14 not applicable to it") != std::string::npos);  // 8 need the bye, 6 other hooks
    CHECK(q.out.find("lifecycle.close_bye (it requires bye, which the profile lacks)") != std::string::npos);
}

TEST_CASE("a scenario that requires a section the profile lacks is not_applicable, never a failure", "[cli][not_applicable]") {
    TempDir t;
    auto profile = nlohmann::json::parse(slurp(fs::path(PUSHCHECK_SOURCE_DIR) / "scenarios" / "profiles" / "nowtime.json"));
    profile.erase("close_request");
    profile.erase("bye");
    const std::string pf = t.file("noclose.json", profile.dump());
    const std::string json_file = (t.path / "r.json").string(), junit = (t.path / "r.xml").string(),
                      html = (t.path / "r.html").string();
    auto r = cli({"run", "--profile", pf, "--filter", "lifecycle.close_bye,push.shape", "--json", json_file, "--junit",
                  junit, "--html", html});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("N/A") != std::string::npos);
    CHECK(r.out.find("lifecycle.close_bye") != std::string::npos);
    CHECK(r.out.find("not_applicable") != std::string::npos);  // the summary's column
    auto doc = nlohmann::json::parse(slurp(json_file));
    CHECK(doc["summary"]["not_applicable"] == 1);
    CHECK(doc["summary"]["pass"] == 1);
    CHECK(doc["summary"]["verdict"] == "pass");
    for (const auto& s : doc["scenarios"])
        if (s["id"] == "lifecycle.close_bye") {
            CHECK(s["verdict"] == "not_applicable");
            CHECK(s["reason"] == "not applicable: it requires close_request, bye and profile nowtime has no such section");
            CHECK(s["transcript"].empty());
        }
    CHECK(slurp(junit).find("<skipped message=\"not_applicable: not applicable: it requires close_request, bye") !=
          std::string::npos);
    CHECK(slurp(html).find("v-not_applicable") != std::string::npos);
    // The saved document renders again with the same counts.
    auto again = cli({"report", json_file});
    CHECK(again.code == 0);
    CHECK(again.out.find("N/A") != std::string::npos);
    // Every scenario not applicable: the run says so and passes.
    auto only = cli({"run", "--profile", pf, "--filter", "lifecycle.close_bye"});
    INFO(only.out << only.err);
    CHECK(only.code == 0);
    CHECK(only.out.find("N/A") != std::string::npos);
}

TEST_CASE("the sync driver refuses a scenario over its client limit with exit 2", "[cli][exit2]") {
    TempDir t;
    auto over = t.file("over.json", R"({"id": "big.join", "title": "t", "description": "d", "level": "must",
                                        "clients": [{"name": "a"}, {"name": "m", "count": 1000}],
                                        "steps": [{"step": "join", "client": "*"}]})");
    for (const char* driver : {"sync", "both"}) {
        auto r = cli({"run", "--driver", driver, "--scenarios", over});
        INFO(driver << ": " << r.err);
        CHECK(r.code == 2);
        CHECK(r.err.find("'big.join' has 1001 clients") != std::string::npos);
        CHECK(r.err.find("limit of 1000") != std::string::npos);
        CHECK(r.out.empty());  // refused before anything ran
    }
    // At the limit it is not refused (the join fails: nothing listens there).
    auto at = t.file("at.json", R"({"id": "big.join", "title": "t", "description": "d", "level": "must",
                                    "clients": [{"name": "m", "count": 1000}],
                                    "steps": [{"step": "join", "client": "m"}]})");
    auto r = cli({"run", "--driver", "sync", "--scenarios", at, "--target",
                  "ws://127.0.0.1:" + std::to_string(closed_port()), "-q"});
    CHECK(r.err.find("limit of") == std::string::npos);
    CHECK(r.code == 3);
}

TEST_CASE("the async driver thread count is --threads", "[cli][exit2]") {
    auto bad = cli({"run", "--threads", "-1"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("--threads") != std::string::npos);
    auto ok = cli({"run", "--threads", "2", "--filter", "lifecycle.close_bye", "-q"});
    INFO(ok.out << ok.err);
    CHECK(ok.code == 0);
}
