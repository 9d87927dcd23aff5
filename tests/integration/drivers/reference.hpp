// The in-process reference server (nowtime::Server) for driver tests.
#pragma once
#include <nowtime/server.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace drivertest {

/// The reference server on 127.0.0.1, a free port, 100 ms pushes; stopped on destruction.
struct ReferenceServer {
    nowtime::Server server;
    explicit ReferenceServer(nowtime::ServerOptions o) : server(std::move(o)) {
        std::string where;
        auto ec = server.start(&where);
        if (ec) throw std::runtime_error("reference server: " + where + ": " + ec.message());
    }
    static nowtime::ServerOptions options() {
        nowtime::ServerOptions o;
        o.port = 0;
        o.interval = std::chrono::milliseconds(100);
        o.threads = 1;
        o.log_level = nowtime::LogLevel::off;
        return o;
    }
    std::string port() const { return std::to_string(server.port()); }
};

} // namespace drivertest
