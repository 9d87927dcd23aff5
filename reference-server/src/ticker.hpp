// The rooms' ticker: one push per interval for every room, framed once and handed to each
// I/O thread once; each thread then writes the same frame to its members of every room.
#pragma once
#include "state.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace nowtime::detail {

class Ticker : public std::enable_shared_from_this<Ticker> {
public:
    /// `shards`: the executor of each I/O thread, in shard order.
    Ticker(boost::asio::any_io_executor ex, std::vector<boost::asio::any_io_executor> shards, State& st);
    void start();
    void stop();

private:
    void arm();
    void on_tick(boost::system::error_code ec);
    void deliver(std::size_t shard, const Payload& frame, std::size_t first_room);

    State& st_;
    std::vector<boost::asio::any_io_executor> shards_;
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point next_{};
    std::size_t round_ = 0;  // which room goes first this tick
    bool stopped_ = false;
};

} // namespace nowtime::detail
