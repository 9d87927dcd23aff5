#include "ticker.hpp"

#include "websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace nowtime::detail {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

Ticker::Ticker(net::any_io_executor ex, std::vector<net::any_io_executor> shards, State& st)
    : st_(st), shards_(std::move(shards)), timer_(std::move(ex)) {}

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

// Every room is due at the same moment, so one frame serves them all, and each thread gets
// one hand-off per tick however many rooms and members it holds. Which room goes first
// turns with each tick, so no room is always served after all the others.
void Ticker::on_tick(boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto frame = text_frame(st_.policy.push(std::chrono::system_clock::now()));
    std::size_t first = round_++ % st_.rooms.size();
    for (std::size_t s = 0; s < shards_.size(); ++s)
        net::post(shards_[s], [this, frame, s, first] { deliver(s, frame, first); });  // the state owns us while threads run
    // Keep the cadence: the next tick is one interval after this one was due, not after now.
    auto interval = st_.policy.interval;
    next_ += interval;
    auto now = Clock::now();
    while (next_ <= now) next_ += interval;
    arm();
}

// On the thread of `shard`: the frame to this thread's members of every room.
void Ticker::deliver(std::size_t shard, const Payload& frame, std::size_t first_room) {
    BroadcastResult r;
    const std::size_t n = st_.rooms.size();
    for (std::size_t k = 0; k < n; ++k) {
        RoomT& room = *st_.rooms[(first_room + k) % n].room;
        for (int i = 0; i < st_.policy.copies_per_tick; ++i) r += room.deliver(shard, frame);
    }
    if (r.queued == 0) return;
    st_.pushes.fetch_add(r.queued, std::memory_order_relaxed);
    st_.bytes.fetch_add(r.queued * frame->payload().size(), std::memory_order_relaxed);
}

} // namespace nowtime::detail
