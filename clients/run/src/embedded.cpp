#include "embedded.hpp"

#include "nowtime/server.hpp"

namespace pushcheck::run {

EmbeddedServer::EmbeddedServer() = default;

EmbeddedServer::~EmbeddedServer() {
    if (server_) server_->stop();
}

std::string EmbeddedServer::start(std::chrono::milliseconds interval, const std::vector<std::string>& rooms) {
    nowtime::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.interval = interval;
    o.rooms = rooms;
    o.threads = 1;
    o.log_level = nowtime::LogLevel::warn;
    server_ = std::make_unique<nowtime::Server>(o);
    if (auto ec = server_->start()) {
        server_.reset();
        return ec.message();
    }
    return {};
}

std::string EmbeddedServer::url() const {
    return "ws://127.0.0.1:" + std::to_string(server_ ? server_->port() : 0);
}

} // namespace pushcheck::run
