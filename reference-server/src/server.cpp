// The server's only Beast translation unit: listener, session (HTTP then WebSocket),
// one ticker per room, and the Server facade. Shape of Beast's CppCon2018 chat server.
#include "nowtime/server.hpp"

#include "flex_stream.hpp"
#include "nowtime/messages.hpp"
#include "nowtime/room.hpp"
#include "pushcheck/net/tls.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace nowtime {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using detail::FlexStream;

class Session;
class Ticker;
using RoomT = Room<Session>;

// Writes "nowtime-server: level: message" lines to stderr, one at a time.
class Logger {
public:
    explicit Logger(LogLevel level) : level_(level) {}
    bool on(LogLevel l) const { return l != LogLevel::off && l <= level_; }
    void operator()(LogLevel l, const std::string& msg) const {
        if (!on(l)) return;
        std::lock_guard lock(mutex_);
        std::cerr << "nowtime-server: " << to_string(l) << ": " << msg << std::endl;
    }

private:
    LogLevel level_;
    mutable std::mutex mutex_;
};

// The push interval after the interval faults.
std::chrono::milliseconds effective_interval(const ServerOptions& o) {
    auto ms = o.interval.count();
    if (o.faults.interval_long) ms = ms * 14 / 10;
    if (o.faults.interval_short) ms = ms * 6 / 10;
    return std::chrono::milliseconds(std::max<long long>(ms, 1));
}

// One configured room and its ticker.
struct RoomEntry {
    std::unique_ptr<RoomT> room;
    std::shared_ptr<Ticker> ticker;
};

// What every session, ticker and the listener share. Outlives all of them.
struct State {
    explicit State(ServerOptions o)
        : opts(std::move(o)), faults(opts.faults), log(opts.log_level), interval(effective_interval(opts)) {}

    const ServerOptions opts;
    const Faults faults;
    Logger log;
    std::chrono::milliseconds interval;
    std::optional<net::ssl::context> ssl;
    std::vector<RoomEntry> rooms;

    std::atomic<std::size_t> open_ws{0};
    std::atomic<std::uint64_t> accepted{0}, pushes{0}, bytes{0}, cutoffs{0}, hs_failures{0}, rejected{0};

    // Every live session, so that stop() can close them all.
    std::mutex registry_mutex;
    std::condition_variable registry_empty;
    std::unordered_map<const Session*, std::weak_ptr<Session>> registry;
    bool stopping = false;  // guarded by registry_mutex

    RoomEntry* find_room(std::string_view path) {
        for (auto& e : rooms)
            if (e.room->name() == path) return &e;
        return nullptr;
    }
    // Registers a session; false when the server is already stopping.
    bool enter(const std::shared_ptr<Session>& s) {
        std::lock_guard lock(registry_mutex);
        if (stopping) return false;
        registry.emplace(s.get(), s);
        return true;
    }
    void leave(const Session* s) {
        std::lock_guard lock(registry_mutex);
        registry.erase(s);
        if (registry.empty()) registry_empty.notify_all();
    }
};

// How long a close may wait behind a stuck write before the socket is dropped.
constexpr std::chrono::milliseconds kGrace{1000};

bool is_benign(const error_code& ec) {
    return ec == net::error::operation_aborted || ec == websocket::error::closed;
}

//------------------------------------------------------------------------------

// Pushes the time to its room every interval: one payload per tick, shared by all members.
class Ticker : public std::enable_shared_from_this<Ticker> {
public:
    Ticker(net::io_context& ioc, State& st, RoomT& room)
        : st_(st), room_(room), timer_(net::make_strand(ioc)) {}

    void start() {
        net::dispatch(timer_.get_executor(), [self = shared_from_this()] {
            self->next_ = Clock::now() + self->st_.interval;
            self->arm();
        });
    }
    void stop() {
        net::post(timer_.get_executor(), [self = shared_from_this()] {
            self->stopped_ = true;
            self->timer_.cancel();
        });
    }

private:
    void arm() {
        timer_.expires_at(next_);
        timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_tick(ec); });
    }
    void on_tick(error_code ec) {
        if (ec || stopped_) return;
        auto payload = std::make_shared<const std::string>(
            push_message(std::chrono::system_clock::now(), st_.faults));
        room_.broadcast(payload);
        if (st_.faults.push_twice) room_.broadcast(payload);
        // Keep the cadence: the next tick is one interval after this one was due, not after now.
        next_ += st_.interval;
        auto now = Clock::now();
        while (next_ <= now) next_ += st_.interval;
        arm();
    }

    State& st_;
    RoomT& room_;
    net::steady_timer timer_;
    Clock::time_point next_{};
    bool stopped_ = false;
};

//------------------------------------------------------------------------------

// One connection: TLS handshake (wss), one HTTP request, then either an HTTP response or
// a WebSocket session in one room. Lives as long as it has an operation pending.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(State& st, tcp::socket&& socket)
        : st_(st),
          ws_(std::move(socket), st.ssl ? &*st.ssl : nullptr),
          budget_(st.opts.max_queued_bytes),
          guard_(ws_.get_executor()),
          push_timer_(ws_.get_executor()) {}

    ~Session() {
        leave_room();
        if (counted_ws_) st_.open_ws.fetch_sub(1);
        st_.leave(this);
    }

    void run() {
        net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
            if (!self->st_.enter(self)) return self->drop();
            self->start();
        });
    }

    // Called by the room (any thread): queue a push unless the budget is spent.
    SendResult send(Payload p) {
        if (!budget_.reserve(p->size())) return SendResult::dropped;
        net::post(ws_.get_executor(),
                  [self = shared_from_this(), p = std::move(p)]() mutable { self->deliver_push(std::move(p)); });
        return SendResult::queued;
    }

    // Called by the room after it removed this member for passing max_queued_bytes.
    void cut_off() {
        net::post(ws_.get_executor(), [self = shared_from_this()] {
            self->in_room_ = false;
            if (self->closed_ || self->closing_) return;
            self->st_.cutoffs.fetch_add(1);
            self->st_.log(LogLevel::info, "cut off a slow consumer in " + self->room_->room->name() +
                                              " (" + std::to_string(self->budget_.queued()) + " bytes unsent)");
            self->close_with_deadline({websocket::close_code::policy_error, "slow consumer"}, kGrace);
        });
    }

    // The server is stopping: close with 1001 (going away).
    void go_away() {
        net::post(ws_.get_executor(), [self = shared_from_this()] {
            if (self->closed_) return;
            if (!self->ws_open_) return self->drop();
            self->close_with_deadline({websocket::close_code::going_away, "server stopping"}, kGrace);
        });
    }

private:
    // One queued message; `close_after` closes the WebSocket once it is written.
    struct Outgoing {
        Payload payload;
        bool push = false;
        std::optional<websocket::close_reason> close_after;
    };

    //--- HTTP phase -----------------------------------------------------------

    void start() {
        ws_.next_layer().tcp().expires_after(st_.opts.handshake_timeout);
        if (ws_.next_layer().is_tls()) {
            ws_.next_layer().async_tls_handshake(net::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
                if (ec) return self->handshake_failed("TLS handshake", ec);
                self->read_request();
            });
        } else {
            read_request();
        }
    }

    void read_request() {
        parser_.emplace();
        parser_->header_limit(8 * 1024);
        parser_->body_limit(16 * 1024);
        http::async_read(ws_.next_layer(), buffer_, *parser_,
                         [self = shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
    }

    void handshake_failed(const char* what, error_code ec) {
        // A peer that connects and leaves without a byte (a port probe) is not a failure.
        bool silent = ec == http::error::end_of_stream && parser_ && !parser_->got_some();
        if (!silent && !closed_) {
            st_.hs_failures.fetch_add(1);
            st_.log(LogLevel::debug, std::string(what) + " failed: " + ec.message());
        }
        drop();
    }

    void on_request(error_code ec) {
        if (ec) return handshake_failed("HTTP request", ec);
        auto& req = parser_->get();
        std::string_view target = req.target();
        std::string_view path = room_of_target(target);
        if (websocket::is_upgrade(req)) return upgrade();
        if (req.method() != http::verb::get) return respond(http::status::method_not_allowed, "method not allowed\n");
        if (path == "/healthz") return respond(http::status::ok, "ok");
        if (path == "/metrics") {
            return respond(http::status::ok, to_prometheus(server_metrics()),
                           "text/plain; version=0.0.4; charset=utf-8");
        }
        if (st_.find_room(path)) return respond(http::status::upgrade_required, "WebSocket upgrade required\n");
        respond(http::status::not_found, "not found\n");
    }

    Metrics server_metrics() const;

    void respond(http::status status, std::string body, const char* type = "text/plain; charset=utf-8") {
        res_ = {};
        res_.result(status);
        res_.version(parser_->get().version());
        res_.set(http::field::server, "nowtime-server");
        res_.set(http::field::content_type, type);
        res_.keep_alive(false);
        res_.body() = std::move(body);
        res_.prepare_payload();
        ws_.next_layer().tcp().expires_after(st_.opts.handshake_timeout);
        http::async_write(ws_.next_layer(), res_, [self = shared_from_this()](error_code, std::size_t) {
            error_code ignored;
            self->ws_.next_layer().tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->drop();
        });
    }

    void upgrade() {
        if (st_.open_ws.fetch_add(1) >= st_.opts.max_connections) {
            st_.open_ws.fetch_sub(1);
            st_.rejected.fetch_add(1);
            st_.log(LogLevel::warn, "refused a connection: " + std::to_string(st_.opts.max_connections) +
                                         " connections open (--max-connections)");
            return respond(http::status::service_unavailable, "too many connections\n");
        }
        counted_ws_ = true;
        ws_.next_layer().tcp().expires_never();  // the WebSocket's own timeouts take over
        ws_.next_layer().teardown_timeout(st_.opts.handshake_timeout);
        websocket::stream_base::timeout t{};
        t.handshake_timeout = st_.opts.handshake_timeout;
        t.idle_timeout = st_.opts.ping_interval * 2;  // ping after half of it, drop after all of it
        t.keep_alive_pings = true;
        ws_.set_option(t);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "nowtime-server"); }));
        ws_.read_message_max(st_.opts.max_message_bytes);
        ws_.text(true);
        ws_.async_accept(parser_->get(), [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
    }

    //--- WebSocket phase ------------------------------------------------------

    void on_accept(error_code ec) {
        if (ec) return handshake_failed("WebSocket upgrade", ec);
        ws_open_ = true;
        std::string path(room_of_target(parser_->get().target()));
        parser_.reset();
        room_ = st_.find_room(path);
        if (!room_ && st_.faults.unknown_room_accepted && !st_.rooms.empty()) room_ = &st_.rooms.front();
        if (!room_) {
            st_.log(LogLevel::debug, "unknown room " + path);
            auto notice = std::make_shared<const std::string>(unknown_url_message());
            budget_.add(notice->size());
            enqueue({notice, false,
                     websocket::close_reason(websocket::close_code::policy_error, "unknown url")});
            return;
        }
        // Joined first so that a full room refuses before any welcome; the welcome still
        // goes first because a push can only reach this strand after this handler.
        if (!room_->room->join(shared_from_this())) {
            st_.log(LogLevel::debug, "room " + path + " refused a member");
            return close_with_deadline({websocket::close_code::try_again_later, "room full"});
        }
        in_room_ = true;
        st_.log(LogLevel::debug, "joined " + path);
        if (!st_.faults.no_welcome) {
            auto welcome = std::make_shared<const std::string>(welcome_message(st_.faults));
            budget_.add(welcome->size());
            enqueue({welcome, false, std::nullopt});
        }
        if (st_.faults.per_connection_timer) own_tick(Clock::now());
        do_read();
    }

    // The per_connection_timer fault: this connection's own timer, first push at once.
    void own_tick(Clock::time_point due) {
        if (!in_room_) return;
        if (send(std::make_shared<const std::string>(push_message(std::chrono::system_clock::now(), st_.faults))) ==
            SendResult::dropped) {
            if (room_->room->leave(this)) cut_off();
            return;
        }
        push_timer_.expires_at(due + st_.interval);
        push_timer_.async_wait([self = shared_from_this(), next = due + st_.interval](error_code ec) {
            if (!ec) self->own_tick(next);
        });
    }

    void do_read() {
        ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(error_code ec) {
        if (ec) {
            bool abrupt = !is_benign(ec) && !closing_ && ec != websocket::error::message_too_big &&
                          ec != beast::error::timeout;
            if (abrupt && in_room_ && st_.faults.abrupt_disconnect_breaks_ticker && room_->ticker)
                room_->ticker->stop();
            if (!is_benign(ec)) st_.log(LogLevel::debug, "read: " + ec.message());
            closed_ = true;
            leave_room();
            discard_queue();
            push_timer_.cancel();
            guard_.cancel();
            return;
        }
        bool text = ws_.got_text();
        std::string_view msg(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        // Binary frames and anything that is not the close request are ignored.
        ClientMessage kind = text ? classify_client_message(msg) : ClientMessage::other_json;
        buffer_.consume(buffer_.size());
        if (kind == ClientMessage::close_request && !st_.faults.ignore_close_request) {
            on_close_request();
        } else if (kind == ClientMessage::not_json && st_.faults.garbage_kills_connection) {
            close_with_deadline({websocket::close_code::unknown_data, "not JSON"});
        }
        do_read();  // keeps the peer's close frame and pings processed until the end
    }

    void on_close_request() {
        if (close_requested_ || closing_) return;
        close_requested_ = true;
        leave_room();
        push_timer_.cancel();
        discard_queue();
        websocket::close_reason normal(websocket::close_code::normal);
        if (st_.faults.close_code_1011) normal = websocket::close_reason(websocket::close_code::internal_error);
        if (st_.faults.no_bye) return close_with_deadline(normal);
        auto bye = std::make_shared<const std::string>(bye_message());
        budget_.add(bye->size());
        if (st_.faults.bye_no_close) return enqueue({bye, false, std::nullopt});
        if (st_.faults.push_after_bye) {
            enqueue({bye, false, std::nullopt});
            auto push = std::make_shared<const std::string>(push_message(std::chrono::system_clock::now(), st_.faults));
            budget_.add(push->size());
            return enqueue({push, true, normal});
        }
        enqueue({bye, false, normal});
    }

    void deliver_push(Payload p) {
        if (!in_room_ || closed_ || closing_) {
            budget_.release(p->size());
            return;
        }
        enqueue({std::move(p), true, std::nullopt});
    }

    // Bytes of `o` must already be reserved in the budget.
    void enqueue(Outgoing o) {
        if (closed_ || closing_) {
            budget_.release(o.payload->size());
            return;
        }
        queue_.push_back(std::move(o));
        if (!writing_) do_write();
    }

    void do_write() {
        writing_ = true;
        ws_.async_write(net::buffer(*queue_.front().payload),
                        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_write(ec, n); });
    }

    void on_write(error_code ec, std::size_t n) {
        writing_ = false;
        Outgoing done = std::move(queue_.front());
        queue_.pop_front();
        budget_.release(done.payload->size());
        if (ec) {
            if (!is_benign(ec)) st_.log(LogLevel::debug, "write: " + ec.message());
            closed_ = true;
            leave_room();
            discard_queue();
            return;
        }
        st_.bytes.fetch_add(n);
        if (done.push) st_.pushes.fetch_add(1);
        if (done.close_after) return close_with_deadline(*done.close_after);
        if (!queue_.empty() && !closing_ && !closed_) do_write();
    }

    void discard_queue() {
        // The message in flight (front, while writing) is released by its handler.
        std::size_t keep = writing_ ? 1 : 0;
        while (queue_.size() > keep) {
            budget_.release(queue_.back().payload->size());
            queue_.pop_back();
        }
    }

    // Starts the close handshake; when it cannot finish within `grace` (a peer that stopped
    // reading blocks our close frame), the socket is dropped. Beast's own close timeout
    // (handshake_timeout) covers a peer that never answers the close frame.
    void close_with_deadline(websocket::close_reason reason,
                             std::optional<std::chrono::milliseconds> grace = std::nullopt) {
        if (closing_ || closed_) return;
        closing_ = true;
        leave_room();
        push_timer_.cancel();
        discard_queue();
        ws_.async_close(reason, [self = shared_from_this()](error_code ec) {
            if (ec && !is_benign(ec)) self->st_.log(LogLevel::debug, "close: " + ec.message());
            self->closed_ = true;
            self->guard_.cancel();
        });
        if (!grace) return;
        guard_.expires_after(*grace);
        guard_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->closed_) self->drop();
        });
    }

    void leave_room() {
        if (in_room_ && room_) room_->room->leave(this);
        in_room_ = false;
    }

    // Closes the socket at once; pending operations end with errors.
    void drop() {
        closed_ = true;
        leave_room();
        error_code ignored;
        ws_.next_layer().tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        ws_.next_layer().tcp().socket().close(ignored);
    }

    State& st_;
    websocket::stream<FlexStream> ws_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
    SendBudget budget_;
    net::steady_timer guard_;
    net::steady_timer push_timer_;
    std::deque<Outgoing> queue_;
    RoomEntry* room_ = nullptr;
    bool counted_ws_ = false;   // counted in open_ws
    bool ws_open_ = false;      // the WebSocket handshake has completed
    bool in_room_ = false;
    bool writing_ = false;
    bool close_requested_ = false;
    bool closing_ = false;      // our close handshake has begun
    bool closed_ = false;       // nothing more is written
};

Metrics collect(State& st) {
    Metrics m;
    m.open_connections = st.open_ws.load();
    for (auto& e : st.rooms) m.rooms.push_back({e.room->name(), e.room->size()});
    m.accepted_connections = st.accepted.load();
    m.pushes_sent = st.pushes.load();
    m.bytes_sent = st.bytes.load();
    m.slow_consumer_cutoffs = st.cutoffs.load();
    m.handshake_failures = st.hs_failures.load();
    m.rejected_connections = st.rejected.load();
    return m;
}

Metrics Session::server_metrics() const { return collect(st_); }

//------------------------------------------------------------------------------

// Accepts connections and starts a session for each.
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(net::io_context& ioc, State& st)
        : ioc_(ioc), st_(st), acceptor_(net::make_strand(ioc)), backoff_(acceptor_.get_executor()) {}

    error_code listen(const tcp::endpoint& ep, std::string& where) {
        error_code ec;
        where = "open socket";
        acceptor_.open(ep.protocol(), ec);
        if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (ec) return ec;
        where = "bind " + endpoint_text(ep);
        acceptor_.bind(ep, ec);
        if (ec) return ec;
        where = "listen on " + endpoint_text(ep);
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec) return ec;
        where.clear();
        return ec;
    }

    tcp::endpoint local_endpoint() const {
        error_code ec;
        return acceptor_.local_endpoint(ec);
    }

    void start() { do_accept(); }

    void stop() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            error_code ignored;
            self->acceptor_.close(ignored);
            self->backoff_.cancel();
        });
    }

    static std::string endpoint_text(const tcp::endpoint& ep) {
        auto a = ep.address();
        return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
    }

private:
    void do_accept() {
        acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](error_code ec, tcp::socket s) {
            self->on_accept(ec, std::move(s));
        });
    }

    void on_accept(error_code ec, tcp::socket socket) {
        if (!acceptor_.is_open()) return;
        if (ec) {
            // E.g. out of file descriptors: retry a little later instead of spinning.
            st_.log(LogLevel::warn, "accept: " + ec.message());
            backoff_.expires_after(std::chrono::milliseconds(100));
            backoff_.async_wait([self = shared_from_this()](error_code e) {
                if (!e) self->do_accept();
            });
            return;
        }
        st_.accepted.fetch_add(1);
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (st_.opts.socket_send_buffer != 0)
            socket.set_option(net::socket_base::send_buffer_size(static_cast<int>(st_.opts.socket_send_buffer)),
                              ignored);
        std::make_shared<Session>(st_, std::move(socket))->run();
        do_accept();
    }

    net::io_context& ioc_;
    State& st_;
    tcp::acceptor acceptor_;
    net::steady_timer backoff_;
};

} // namespace

//------------------------------------------------------------------------------

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
        {
            std::lock_guard lock(st.registry_mutex);
            st.stopping = true;
        }
        listener->stop();
        for (auto& e : st.rooms)
            if (e.ticker) e.ticker->stop();
        std::vector<std::shared_ptr<Session>> sessions;
        {
            std::lock_guard lock(st.registry_mutex);
            for (auto& [ptr, weak] : st.registry)
                if (auto s = weak.lock()) sessions.push_back(std::move(s));
        }
        for (auto& s : sessions) s->go_away();
        sessions.clear();
        {
            std::unique_lock lock(st.registry_mutex);
            st.registry_empty.wait_for(lock, std::chrono::milliseconds(1500), [&] { return st.registry.empty(); });
        }
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
    if (o.tls_cert.empty() != o.tls_key.empty())
        return fail(invalid, "TLS needs both a certificate and a key");

    if (!o.tls_cert.empty()) {
        st.ssl.emplace(net::ssl::context::tls_server);
        if (auto ec = pushcheck::net::make_server_context(*st.ssl, o.tls_cert, o.tls_key))
            return fail(ec, "load TLS certificate " + o.tls_cert + " and key " + o.tls_key);
    }

    error_code ec;
    tcp::resolver resolver(im.ioc);
    auto results = resolver.resolve(o.host, std::to_string(o.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) return fail(ec ? ec : net::error::host_not_found, "resolve host " + o.host);
    im.listener = std::make_shared<Listener>(im.ioc, st);
    if ((ec = im.listener->listen(results.begin()->endpoint(), here))) return fail(ec, here);
    im.endpoint = im.listener->local_endpoint();

    for (auto& name : o.rooms) {
        if (st.find_room(name)) continue;  // a room named twice is one room
        RoomEntry e;
        e.room = std::make_unique<RoomT>(name, st.faults.second_member_refused ? 1 : 0);
        if (!st.faults.per_connection_timer) e.ticker = std::make_shared<Ticker>(im.ioc, st, *e.room);
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
                               " ms, " + std::to_string(n) + " threads" +
                               (st.faults.any() ? " (FAULTS INJECTED)" : ""));
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

Metrics Server::metrics() const { return collect(impl_->st); }

const ServerOptions& Server::options() const { return impl_->st.opts; }

} // namespace nowtime
