#include "ticker.hpp"

#include "websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace nowtime::detail {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

Ticker::Ticker(net::io_context& ioc, State& st, RoomT& room)
    : st_(st), room_(room), timer_(net::make_strand(ioc)) {}

void Ticker::start() {
    net::dispatch(timer_.get_executor(), [self = shared_from_this()] {
        self->next_ = Clock::now() + self->st_.policy.interval;
        self->arm();
    });
}

void Ticker::stop() {
    net::post(timer_.get_executor(), [self = shared_from_this()] {
        self->stopped_ = true;
        self->timer_.cancel();
    });
}

void Ticker::arm() {
    timer_.expires_at(next_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_tick(ec); });
}

void Ticker::on_tick(boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto payload = std::make_shared<const std::string>(st_.policy.push(std::chrono::system_clock::now()));
    for (int i = 0; i < st_.policy.copies_per_tick; ++i) room_.broadcast(payload);
    // Keep the cadence: the next tick is one interval after this one was due, not after now.
    auto interval = st_.policy.interval;
    next_ += interval;
    auto now = Clock::now();
    while (next_ <= now) next_ += interval;
    arm();
}

} // namespace nowtime::detail
