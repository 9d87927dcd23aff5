// The Server facade: validates the options, wires the state, listener, ticker and the I/O
// threads (one io_context each: a connection stays on the thread that accepted it, so a
// room's members are grouped by thread), and owns the one shutdown path. Shape of Beast's CppCon2018 chat server: the
// listener, the HTTP and WebSocket sessions and the ticker each have their own file.
#include "nowtime/server.hpp"

#include "listener.hpp"
#include "pushcheck/net/tls.hpp"
#include "state.hpp"
#include "ticker.hpp"
#include "websocket_session.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/resource.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace nowtime {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using detail::Listener;
using detail::RoomEntry;
using detail::RoomT;
using detail::State;
using detail::Ticker;

namespace {

// The process's descriptor limit (its soft limit).
std::size_t descriptor_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    return static_cast<std::size_t>(r.rlim_cur);
}

} // namespace

struct Server::Impl {
    explicit Impl(ServerOptions o) : st(std::move(o)) {}
    ~Impl() {
        stop();
        // I/O objects outside handlers go before their io_context; sessions still owned by
        // pending handlers are destroyed with it, while `st` is still alive. The first
        // io_context (listener, ticker) goes first: a pending accept holds a socket of
        // another one, and no handler elsewhere holds anything of the first.
        st.ticker.reset();
        listener.reset();
        for (auto& c : iocs) c.reset();
    }

    void stop() {
        std::unique_lock stop_lock(stop_mutex);
        if (!running) return;
        listener->stop();
        st.shut_down(std::chrono::milliseconds(1500));
        work.clear();
        for (auto& c : iocs) c->stop();
        for (auto& t : threads) t.join();
        threads.clear();
        running = false;
        stopped = true;
        stopped_cv.notify_all();
        st.log(LogLevel::info, "stopped");
    }

    State st;
    std::vector<std::unique_ptr<net::io_context>> iocs;  // one per I/O thread (shard)
    std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
    std::shared_ptr<Listener> listener;
    std::vector<std::thread> threads;
    tcp::endpoint endpoint;
    std::mutex stop_mutex;
    std::condition_variable stopped_cv;
    bool running = false;
    bool stopped = false;
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() = default;

boost::system::error_code Server::start(std::string* where) {
    auto& im = *impl_;
    auto& st = im.st;
    auto& o = st.opts;
    std::string here;
    auto fail = [&](error_code ec, std::string what) {
        if (where) *where = std::move(what);
        return ec;
    };
    if (im.running || im.stopped) return fail(net::error::already_started, "start");
    auto invalid = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    if (o.rooms.empty()) return fail(invalid, "rooms: at least one room is needed");
    for (auto& r : o.rooms)
        if (r.empty() || r.front() != '/') return fail(invalid, "room '" + r + "' does not start with '/'");
    if (o.interval.count() <= 0) return fail(invalid, "interval must be positive");
    if (o.max_connections == 0) return fail(invalid, "max_connections must be at least 1");
    if (o.tls_cert.empty() != o.tls_key.empty()) return fail(invalid, "TLS needs both a certificate and a key");

    if (!o.tls_cert.empty()) {
        st.ssl.emplace(net::ssl::context::tls_server);
        if (auto ec = pushcheck::net::make_server_context(*st.ssl, o.tls_cert, o.tls_key))
            return fail(ec, "load TLS certificate " + o.tls_cert + " and key " + o.tls_key);
    }
    st.limit_connections(descriptor_limit());

    int n = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<net::io_context*> shards;
    std::vector<net::any_io_executor> shard_executors;
    for (int i = 0; i < n; ++i) {
        im.iocs.push_back(std::make_unique<net::io_context>(1));
        shards.push_back(im.iocs.back().get());
        shard_executors.push_back(shards.back()->get_executor());
    }

    error_code ec;
    tcp::resolver resolver(*im.iocs.front());
    auto results =
        resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) return fail(ec ? ec : net::error::host_not_found, "resolve host " + o.host);
    im.listener = std::make_shared<Listener>(shards, st);
    if ((ec = im.listener->listen(results.begin()->endpoint(), here))) return fail(ec, here);
    im.endpoint = im.listener->local_endpoint();

    for (auto& name : o.rooms) {
        if (st.find_room(name)) continue;  // a room named twice is one room
        RoomEntry e;
        e.room = std::make_unique<RoomT>(name, shards.size(), st.policy.room_capacity);
        st.rooms.push_back(std::move(e));
    }
    if (!st.policy.ticker_per_member) {
        st.ticker = std::make_shared<Ticker>(shard_executors.front(), shard_executors, st);
        st.ticker->start();
    }
    im.listener->start();

    for (auto& c : im.iocs) {
        im.work.push_back(net::make_work_guard(*c));
        im.threads.emplace_back([c = c.get()] { c->run(); });
    }
    im.running = true;
    std::string room_list;
    for (auto& e : st.rooms) room_list += (room_list.empty() ? "" : ",") + e.room->name();
    st.log(LogLevel::info, std::string(st.ssl ? "wss" : "ws") + "://" + Listener::endpoint_text(im.endpoint) +
                               " rooms " + room_list + ", a push every " + std::to_string(o.interval.count()) +
                               " ms, " + std::to_string(n) + " threads, at most " +
                               std::to_string(st.connection_cap()) + " connections" +
                               (st.policy.faulty ? " (FAULTS INJECTED)" : ""));
    return {};
}

unsigned short Server::port() const { return impl_->endpoint.port(); }

std::string Server::address() const { return impl_->endpoint.address().to_string(); }

bool Server::tls() const { return impl_->st.ssl.has_value(); }

void Server::stop() { impl_->stop(); }

void Server::wait() {
    std::unique_lock lock(impl_->stop_mutex);
    impl_->stopped_cv.wait(lock, [&] { return !impl_->running; });
}

Metrics Server::metrics() const { return impl_->st.metrics(); }

const ServerOptions& Server::options() const { return impl_->st.opts; }

} // namespace nowtime
