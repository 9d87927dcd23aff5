// Accepts connections, admits each against the caps, and starts its HTTP session on the
// next I/O thread in turn (its shard), which owns the connection from then on.
#pragma once
#include "state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nowtime::detail {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    /// `shards`: one io_context per I/O thread; the listener runs on the first.
    Listener(std::vector<boost::asio::io_context*> shards, State& st);
    boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& ep, std::string& where);
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    void stop();
    static std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep);

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket, std::size_t shard);

    std::vector<boost::asio::io_context*> shards_;
    std::size_t next_shard_ = 0;
    State& st_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
};

} // namespace nowtime::detail
