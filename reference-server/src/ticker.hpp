// A room's ticker: one push per interval, built once and shared by every member.
#pragma once
#include "state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <memory>

namespace nowtime::detail {

class Ticker : public std::enable_shared_from_this<Ticker> {
public:
    Ticker(boost::asio::io_context& ioc, State& st, RoomT& room);
    void start();
    void stop();

private:
    void arm();
    void on_tick(boost::system::error_code ec);

    State& st_;
    RoomT& room_;
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point next_{};
    bool stopped_ = false;
};

} // namespace nowtime::detail
