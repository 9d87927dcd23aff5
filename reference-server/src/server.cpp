// The Server facade: validates the options, wires the state, listener, tickers and thread
// pool, and owns the one shutdown path. Shape of Beast's CppCon2018 chat server: the
// listener, the HTTP and WebSocket sessions and the ticker each have their own file.
#include "nowtime/server.hpp"

#include "listener.hpp"
#include "pushcheck/net/tls.hpp"
#include "state.hpp"
#include "ticker.hpp"
#include "websocket_session.hpp"

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
        // I/O objects outside handlers go before the io_context; sessions still owned by
        // pending handlers are destroyed with it, while `st` is still alive.
        for (auto& e : st.rooms) e.ticker.reset();
        listener.reset();
    }

    void stop() {
        std::unique_lock stop_lock(stop_mutex);
        if (!running) return;
        listener->stop();
        st.shut_down(std::chrono::milliseconds(1500));
        ioc.stop();
        for (auto& t : threads) t.join();
        threads.clear();
        running = false;
        stopped = true;
        stopped_cv.notify_all();
        st.log(LogLevel::info, "stopped");
    }

    State st;
    net::io_context ioc;
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

    error_code ec;
    tcp::resolver resolver(im.ioc);
    auto results =
        resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) return fail(ec ? ec : net::error::host_not_found, "resolve host " + o.host);
    im.listener = std::make_shared<Listener>(im.ioc, st);
    if ((ec = im.listener->listen(results.begin()->endpoint(), here))) return fail(ec, here);
    im.endpoint = im.listener->local_endpoint();

    for (auto& name : o.rooms) {
        if (st.find_room(name)) continue;  // a room named twice is one room
        RoomEntry e;
        e.room = std::make_unique<RoomT>(name, st.policy.room_capacity);
        if (!st.policy.ticker_per_member) e.ticker = std::make_shared<Ticker>(im.ioc, st, *e.room);
        st.rooms.push_back(std::move(e));
    }
    for (auto& e : st.rooms)
        if (e.ticker) e.ticker->start();
    im.listener->start();

    int n = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < n; ++i) im.threads.emplace_back([&im] { im.ioc.run(); });
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
