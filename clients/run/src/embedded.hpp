// The reference server started in-process when no --target is given.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace nowtime { class Server; }

namespace pushcheck::run {

/// Owns an in-process nowtime server on a free loopback port; stops it on destruction.
class EmbeddedServer {
public:
    EmbeddedServer();
    ~EmbeddedServer();
    /// Starts it; returns an empty string on success, else the reason.
    std::string start(std::chrono::milliseconds interval, const std::vector<std::string>& rooms);
    std::string url() const;  // ws://127.0.0.1:PORT

private:
    std::unique_ptr<nowtime::Server> server_;
};

} // namespace pushcheck::run
