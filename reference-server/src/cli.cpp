#include "nowtime/cli.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>
#include <sstream>

#ifndef NOWTIME_VERSION
#define NOWTIME_VERSION "0.0.0"
#endif

namespace nowtime {

CommandLine parse_command_line(int argc, const char* const* argv, const MainConfig& config) {
    CommandLine result;
    ServerOptions& o = result.options;
    CLI::App app{"The nowtime reference server: pushes the UTC time to every member of a WebSocket room.",
                 config.program};
    app.set_version_flag("--version", config.program + " " + NOWTIME_VERSION);

    long long interval_ms = o.interval.count();
    long long handshake_ms = o.handshake_timeout.count();
    long long ping_ms = o.ping_interval.count();
    std::string rooms_text = "/nowtime";
    std::string log_level(to_string(o.log_level));
    std::vector<std::string> faults;

    app.add_option("--host", o.host, "Address to listen on")->capture_default_str();
    app.add_option("--port", o.port, "TCP port; 0 picks a free port")->capture_default_str();
    app.add_option("--interval-ms", interval_ms, "Push interval in milliseconds")
        ->capture_default_str()->check(CLI::Range(1LL, 24LL * 3600 * 1000));
    app.add_option("--rooms", rooms_text, "Comma-separated room paths, e.g. /nowtime,/other")
        ->capture_default_str();
    app.add_option("--threads", o.threads, "I/O threads; 0: one per hardware thread")
        ->capture_default_str()->check(CLI::Range(0, 1024));
    app.add_option("--max-connections", o.max_connections,
                   "Open connections, counted at accept; upgrades past it get HTTP 503")
        ->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
    app.add_option("--max-connections-per-address", o.max_connections_per_address,
                   "Open connections from one client address; 0: no limit")
        ->capture_default_str()->check(CLI::Range(std::size_t{0}, std::size_t{10000000}));
    app.add_option("--socket-send-buffer", o.socket_send_buffer,
                   "SO_SNDBUF of each connection in bytes (the kernel doubles it); 0: the OS default")
        ->capture_default_str()->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
    app.add_option("--max-unfinished-bytes", o.max_unfinished_bytes,
                   "Bytes that unfinished client messages may hold, all clients together")
        ->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34));
    app.add_option("--max-message-bytes", o.max_message_bytes,
                   "Largest client message; a bigger one closes with 1009")
        ->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
    app.add_option("--max-queued-bytes", o.max_queued_bytes,
                   "Unsent bytes per client before it is cut off as a slow consumer")
        ->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34));
    auto* cert = app.add_option("--tls-cert", o.tls_cert, "PEM certificate chain: serve wss://")
                     ->check(CLI::ExistingFile);
    auto* key = app.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
    cert->needs(key);
    key->needs(cert);
    app.add_option("--handshake-timeout-ms", handshake_ms,
                   "Time limit for the TLS and WebSocket handshakes and the close handshake")
        ->capture_default_str()->check(CLI::Range(1LL, 3600LL * 1000));
    app.add_option("--ping-interval-ms", ping_ms,
                   "Ping a silent client after this long; drop it after twice as long")
        ->capture_default_str()->check(CLI::Range(1LL, 24LL * 3600 * 1000));
    app.add_option("--log-level", log_level, "off, error, warn, info or debug")
        ->capture_default_str()->check(CLI::IsMember({"off", "error", "warn", "info", "debug"}));
    if (config.allow_faults) {
        app.add_option("--fault", faults, "Inject a protocol defect (repeatable)")
            ->check(CLI::IsMember(fault_names()));
    }

    std::ostringstream out, err;
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e, out, err);
        result.exit_code = code == 0 ? 0 : 2;
        result.out = out.str();
        result.err = err.str();
        if (code != 0 && result.err.find("--help") == std::string::npos)
            result.err += "Run with --help for more information.\n";
        return result;
    }

    auto bad = [&](const std::string& msg) {
        result.exit_code = 2;
        result.err = config.program + ": " + msg + "\nRun with --help for more information.\n";
        return result;
    };
    o.interval = std::chrono::milliseconds(interval_ms);
    o.handshake_timeout = std::chrono::milliseconds(handshake_ms);
    o.ping_interval = std::chrono::milliseconds(ping_ms);
    parse_log_level(log_level, o.log_level);
    o.rooms.clear();
    std::stringstream rooms(rooms_text);
    for (std::string r; std::getline(rooms, r, ',');) {
        if (r.empty()) continue;
        if (r.front() != '/' || r.find_first_of(" ?#") != std::string::npos)
            return bad("--rooms: '" + r + "' is not a path like /nowtime");
        o.rooms.push_back(r);
    }
    if (o.rooms.empty()) return bad("--rooms: no room given");
    for (auto& f : faults) set_fault(o.faults, f);
    return result;
}

int server_main(int argc, const char* const* argv, const MainConfig& config) {
    CommandLine cl = parse_command_line(argc, argv, config);
    if (cl.exit_code) {
        std::cout << cl.out << std::flush;
        std::cerr << cl.err << std::flush;
        return *cl.exit_code;
    }
    // Block the stop signals before any thread starts, so that only sigwait() sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    Server server(cl.options);
    std::string where;
    if (auto ec = server.start(&where)) {
        std::cerr << config.program << ": cannot start: " << where << ": " << ec.message() << std::endl;
        return 1;
    }
    std::string host = server.address();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::cout << "listening on " << host << ":" << server.port() << std::endl;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (cl.options.log_level >= LogLevel::info)
        std::cerr << config.program << ": info: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping"
                  << std::endl;
    server.stop();
    return 0;
}

} // namespace nowtime
