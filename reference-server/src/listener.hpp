// Accepts connections, admits each against the caps, and starts its HTTP session.
#pragma once
#include "state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>

namespace nowtime::detail {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(boost::asio::io_context& ioc, State& st);
    boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& ep, std::string& where);
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    void stop();
    static std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep);

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& ioc_;
    State& st_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
};

} // namespace nowtime::detail
