#include "state.hpp"

#include "http_session.hpp"
#include "nowtime/messages.hpp"
#include "ticker.hpp"
#include "websocket_session.hpp"

namespace nowtime::detail {

Slot::~Slot() {
    if (st_) st_->release(*this);
}

State::State(ServerOptions o)
    : opts(std::move(o)), policy(opts), log(opts.log_level),
      welcome_frame(policy.welcome ? text_frame(*policy.welcome) : nullptr), bye_frame(text_frame(bye_message())),
      unknown_url_frame(text_frame(unknown_url_message())), cap_(opts.max_connections) {}

RoomEntry* State::find_room(std::string_view path) {
    for (auto& e : rooms)
        if (e.room->name() == path) return &e;
    return nullptr;
}

void State::limit_connections(std::size_t descriptors) {
    std::lock_guard lock(mutex_);
    cap_ = opts.max_connections;
    std::size_t usable = descriptors > kReserveDescriptors + kReserveConnections + 1
                             ? descriptors - kReserveDescriptors - kReserveConnections
                             : 1;
    if (usable < cap_) cap_ = usable;
}

std::optional<Slot> State::admit(const boost::asio::ip::address& address) {
    bool evict = false, reserve = false;
    const char* refusal = nullptr;
    {
        std::lock_guard lock(mutex_);
        std::size_t open = open_.load();
        if (stopping_) {
            refusal = "the server is stopping";
        } else if (opts.max_connections_per_address != 0 &&
                   per_address_[address] >= opts.max_connections_per_address) {
            refusal = "too many connections from one address (--max-connections-per-address)";
        } else if (open >= cap_) {
            if (!handshakes_.empty())
                evict = true;
            else if (open < cap_ + kReserveConnections)
                reserve = true;
            else
                refusal = "connection cap and its reserve are full (--max-connections)";
        }
        if (!refusal) {
            open_.fetch_add(1);
            if (opts.max_connections_per_address != 0) ++per_address_[address];
        }
    }
    if (refusal) {
        if (!stopping()) {
            refused.fetch_add(1);
            refusal_log("refused a connection from " + address.to_string() + ": " + refusal);
        }
        return std::nullopt;
    }
    if (evict) evict_oldest();
    return Slot(this, address, reserve);
}

bool State::evict_oldest() {
    std::shared_ptr<HttpSession> victim;
    {
        std::lock_guard lock(mutex_);
        while (!victim && !handshakes_.empty()) {
            auto it = handshakes_.begin();
            victim = it->second.lock();
            handshakes_.erase(it);
        }
    }
    if (!victim) return false;  // destroyed outside the lock: its destructor takes it
    evicted.fetch_add(1);
    eviction_log("dropped the oldest connection still in its handshake: connections at the cap of " +
                 std::to_string(cap_));
    victim->evict();
    return true;
}

void State::release(const Slot& s) {
    std::lock_guard lock(mutex_);
    if (opts.max_connections_per_address != 0) {
        auto it = per_address_.find(s.address_);
        if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    }
    if (open_.fetch_sub(1) == 1) all_closed_.notify_all();
}

std::uint64_t State::enter_handshake(const std::shared_ptr<HttpSession>& s) {
    std::lock_guard lock(mutex_);
    if (stopping_) return 0;
    handshakes_.emplace(++next_key_, s);
    return next_key_;
}

void State::leave_handshake(std::uint64_t key) {
    std::lock_guard lock(mutex_);
    handshakes_.erase(key);
}

bool State::enter(const std::shared_ptr<WebSocketSession>& s) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    sessions_.emplace(s.get(), s);
    return true;
}

void State::leave(const WebSocketSession* s) {
    std::lock_guard lock(mutex_);
    sessions_.erase(s);
}

bool State::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void State::shut_down(std::chrono::milliseconds grace) {
    std::vector<std::shared_ptr<HttpSession>> handshakes;
    std::vector<std::shared_ptr<WebSocketSession>> sessions;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (auto& [key, weak] : handshakes_)
            if (auto h = weak.lock()) handshakes.push_back(std::move(h));
        handshakes_.clear();
        for (auto& [ptr, weak] : sessions_)
            if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
    if (ticker) ticker->stop();
    for (auto& h : handshakes) h->evict();
    for (auto& s : sessions) s->go_away();
    handshakes.clear();
    sessions.clear();
    std::unique_lock lock(mutex_);
    all_closed_.wait_for(lock, grace, [&] { return open_.load() == 0; });
}

Metrics State::metrics() const {
    Metrics m;
    m.open_connections = open_.load();
    for (auto& e : rooms) m.rooms.push_back({e.room->name(), e.room->size()});
    m.accepted_connections = accepted.load();
    m.pushes_sent = pushes.load();
    m.bytes_sent = bytes.load();
    m.slow_consumer_cutoffs = cutoffs.load();
    m.handshake_failures = hs_failures.load();
    m.rejected_connections = rejected.load();
    m.refused_connections = refused.load();
    m.evicted_connections = evicted.load();
    m.unfinished_message_bytes = unfinished_bytes.load();
    return m;
}

} // namespace nowtime::detail
