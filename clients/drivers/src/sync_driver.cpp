// The sync driver: Beast's blocking API, one thread per client, every blocking call
// bounded by a deadline.
//
// Design. Each client thread owns its stream and loops: read whatever the socket has
// without waiting, hand every complete message to Beast, run queued commands, then
// poll(2) on {socket, the client's eventfd} until either has something. Two layers sit
// under Beast:
//  - PollSocket: a non-blocking TCP socket with blocking read_some/write_some that wait
//    with ppoll() until the current deadline (or the session's hard deadline) and then
//    fail with beast::error::timeout; a read can also be made non-waiting.
//  - FrameGate: the plaintext next layer (above ssl::stream for wss). It buffers what the
//    socket delivers and hands Beast at most the bytes up to the end of the current frame
//    (see FrameScanner), answers pings and reports pongs itself. So Beast is only asked to
//    read a message that is already complete in the gate's buffer: ws.read() never waits
//    for the network, a stalled half frame never blocks the thread, and after ws.read()
//    returns Beast's own buffer is empty, so "more pending" is exactly "the gate holds
//    bytes, or the socket is readable". For wss, reading until the transport would block
//    drains OpenSSL too, so poll() on the socket stays exact.
// A coordinator (the caller's thread) owns the sessions: it waits on one queue of events
// with condition_variable::wait_until(earliest deadline), feeds the sessions and sends
// commands to the client threads.
#include "pushcheck/drivers/driver.hpp"

#include "events.hpp"
#include "frame_scanner.hpp"
#include "pushcheck/net/tls.hpp"
#include "ws_common.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace pushcheck::drivers {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using engine::Command;
using engine::Event;
using engine::EventKind;
using engine::SteadyTime;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using detail::Ending;
using detail::FrameScanner;
using detail::Stage;

error_code errno_code(int e) { return error_code(e, boost::system::system_category()); }

/// A client thread's wake-up channel (an eventfd) and the session's hard deadline, after
/// which every wait of that thread gives up at once.
class Waker {
public:
    Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~Waker() {
        if (fd_ >= 0) ::close(fd_);
    }
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;

    int fd() const { return fd_; }
    void signal() {
        std::uint64_t one = 1;
        if (fd_ >= 0) {
            ssize_t r = ::write(fd_, &one, sizeof one);
            (void)r;  // a full counter still wakes the thread
        }
    }
    void clear() {
        std::uint64_t v;
        if (fd_ >= 0) {
            ssize_t r = ::read(fd_, &v, sizeof v);
            (void)r;  // nothing to read is fine
        }
    }
    void set_hard(SteadyTime t) {
        hard_.store(t.time_since_epoch().count());
        signal();
    }
    SteadyTime hard() const { return SteadyTime(SteadyTime::duration(hard_.load())); }

private:
    int fd_;
    std::atomic<SteadyTime::rep> hard_{SteadyTime::max().time_since_epoch().count()};
};

/// Waits until `fd` has `events`, the deadline (or the hard deadline) passes, or a wake-up
/// arrives (which re-evaluates the hard deadline). An empty code: ready.
error_code wait_fd(int fd, short events, SteadyTime deadline, Waker& waker) {
    for (;;) {
        SteadyTime limit = std::min(deadline, waker.hard());
        SteadyTime now = Clock::now();
        if (now >= limit) return beast::error::timeout;
        auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(limit - now);
        if (left > std::chrono::hours(24)) left = std::chrono::hours(24);
        timespec ts{static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)};
        pollfd p[2] = {{fd, events, 0}, {waker.fd(), POLLIN, 0}};
        int r = ::ppoll(p, 2, &ts, nullptr);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errno_code(errno);
        }
        if (p[1].revents) waker.clear();
        if (p[0].revents) return {};
    }
}

/// The lowest layer of a sync connection: a non-blocking TCP socket whose read_some and
/// write_some wait with ppoll() up to a deadline (then beast::error::timeout).
class PollSocket {
public:
    using executor_type = net::io_context::executor_type;
    using lowest_layer_type = PollSocket;
    struct Init {
        executor_type ex;
        Waker* waker;
    };

    explicit PollSocket(const Init& init) : ex_(init.ex), waker_(init.waker) {}
    ~PollSocket() { close(); }
    PollSocket(const PollSocket&) = delete;
    PollSocket& operator=(const PollSocket&) = delete;

    executor_type get_executor() noexcept { return ex_; }
    PollSocket& lowest_layer() noexcept { return *this; }
    const PollSocket& lowest_layer() const noexcept { return *this; }

    void assign(int fd) { fd_ = fd; }
    int fd() const { return fd_; }
    void set_deadline(SteadyTime t) { deadline_ = t; }
    /// A read that finds nothing fails with would_block instead of waiting.
    void set_nonblocking_reads(bool on) { nonblocking_reads_ = on; }
    /// When the last successful read returned.
    FrameScanner::Arrival last_read() const { return last_read_; }
    Waker& waker() { return *waker_; }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    /// SO_LINGER 0, then close: the kernel sends a TCP reset, no FIN.
    void reset_close() {
        if (fd_ < 0) return;
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close();
    }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        iovec iov[16];
        int n = to_iov(buffers, iov);
        if (n == 0) {
            ec = {};
            return 0;
        }
        for (;;) {
            if (fd_ < 0) {
                ec = net::error::bad_descriptor;
                return 0;
            }
            ssize_t r = ::readv(fd_, iov, n);
            if (r > 0) {
                last_read_ = {Clock::now(), detail::wall_us_now()};
                ec = {};
                return static_cast<std::size_t>(r);
            }
            if (r == 0) {
                ec = net::error::eof;
                return 0;
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec = errno_code(errno);
                return 0;
            }
            if (nonblocking_reads_) {
                ec = net::error::would_block;
                return 0;
            }
            if ((ec = wait_fd(fd_, POLLIN, deadline_, *waker_))) return 0;
        }
    }

    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
        iovec iov[16];
        int n = to_iov(buffers, iov);
        if (n == 0) {
            ec = {};
            return 0;
        }
        for (;;) {
            if (fd_ < 0) {
                ec = net::error::bad_descriptor;
                return 0;
            }
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = static_cast<std::size_t>(n);
            ssize_t r = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (r >= 0) {
                ec = {};
                return static_cast<std::size_t>(r);
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ec = errno_code(errno);
                return 0;
            }
            if ((ec = wait_fd(fd_, POLLOUT, deadline_, *waker_))) return 0;
        }
    }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        error_code ec;
        std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers) {
        error_code ec;
        std::size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

private:
    template <class Buffers>
    static int to_iov(const Buffers& buffers, iovec (&iov)[16]) {
        int n = 0;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && n < 16; ++it) {
            auto b = *it;
            if (b.size() == 0) continue;
            iov[n].iov_base = const_cast<void*>(static_cast<const void*>(b.data()));
            iov[n].iov_len = b.size();
            ++n;
        }
        return n;
    }

    executor_type ex_;
    Waker* waker_;
    int fd_ = -1;
    SteadyTime deadline_ = SteadyTime::max();
    bool nonblocking_reads_ = false;
    FrameScanner::Arrival last_read_{};
};

/// Beast's next layer on the plaintext side: hands Beast only bytes up to the end of the
/// current frame, from a buffer that fill_available() fills without waiting.
template <class Next>
class FrameGate {
public:
    using executor_type = typename Next::executor_type;
    static constexpr bool tls = !std::is_same_v<Next, PollSocket>;

    template <class... Args>
    explicit FrameGate(std::size_t max_message_bytes, Args&&... args)
        : next_(std::forward<Args>(args)...), scanner_(max_message_bytes) {}

    executor_type get_executor() noexcept { return next_.get_executor(); }
    Next& next_layer() noexcept { return next_; }
    PollSocket& socket() noexcept { return next_.lowest_layer(); }
    FrameScanner& scanner() noexcept { return scanner_; }
    detail::Prelude& prelude() noexcept { return prelude_; }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        if (net::buffer_size(buffers) == 0) {
            ec = {};
            return 0;
        }
        // Beast wants bytes past what is buffered (handshake, close, teardown): wait for them.
        while (scanner_.readable() == 0) {
            read_once(ec);
            if (ec) return 0;
        }
        std::size_t total = 0;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
            net::mutable_buffer b = *it;
            std::size_t k = scanner_.take(static_cast<char*>(b.data()), b.size());
            prelude_.add(static_cast<const char*>(b.data()), k);
            total += k;
            if (k < b.size()) break;
        }
        ec = {};
        return total;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
        return next_.write_some(buffers, ec);
    }
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        error_code ec;
        std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers) {
        error_code ec;
        std::size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    /// Reads what the transport has without waiting. Returns the error that ended the
    /// stream (eof, reset, ...) if any; `more` is set when it stopped early with data left.
    error_code fill_available(bool& more) {
        constexpr std::size_t budget = 256 * 1024;
        more = false;
        socket().set_nonblocking_reads(true);
        error_code result;
        std::size_t total = 0;
        for (;;) {
            error_code ec;
            total += read_once(ec);
            if (ec) {
                if (ec != net::error::would_block) result = ec;
                break;
            }
            if (total >= budget && scanner_.has_message()) {
                more = true;
                break;
            }
        }
        socket().set_nonblocking_reads(false);
        return result;
    }

    // Beast's teardown, through the deadline-bound transport: TLS close_notify, then read
    // the TCP stream until EOF, then close.
    friend void teardown(beast::role_type, FrameGate& g, error_code& ec) {
        error_code ec2;
        if constexpr (tls) g.next_.shutdown(ec);
        error_code& tcp_ec = ec ? ec2 : ec;
        PollSocket& s = g.socket();
        for (;;) {
            char buf[2048];
            s.read_some(net::buffer(buf), tcp_ec);
            if (tcp_ec) {
                if (tcp_ec == net::error::eof) tcp_ec = {};
                break;
            }
        }
        if (s.fd() >= 0) ::shutdown(s.fd(), SHUT_WR);
        s.close();
    }

private:
    std::size_t read_once(error_code& ec) {
        constexpr std::size_t chunk = 16 * 1024;
        char* p = scanner_.prepare(chunk);
        std::size_t n = next_.read_some(net::buffer(p, chunk), ec);
        if (n > 0) scanner_.commit(n, socket().last_read());
        return n;
    }

    Next next_;
    FrameScanner scanner_;
    detail::Prelude prelude_;
};

class Worker;

/// What a client thread needs from its current connection.
class SyncConn {
public:
    virtual ~SyncConn() = default;
    virtual void connect(Command& c) = 0;
    virtual void send(Command& c) = 0;
    virtual void ping(Command& c) = 0;
    virtual void close(Command& c) = 0;
    virtual void abort(Command& c) = 0;
    virtual void flood(Command& c) = 0;
    /// Polite close bounded by release_timeout; no events.
    virtual void release() = 0;
    /// Close the socket now; no events.
    virtual void drop_now() = 0;
    /// Reads what arrived and reports it; true when data is left for another round.
    virtual bool service() = 0;
    virtual bool open() const = 0;
    virtual int fd() = 0;
    /// pause_reading: the thread stops reading the socket until resumed.
    bool paused = false;
};

/// The shared part of every client thread: the coordinator's queue of events.
struct Inbox {
    struct Msg {
        std::size_t session = 0;
        bool exited = false;  // a client thread of `session` finished
        Event event;
        SteadyTime t{};
    };
    std::mutex m;
    std::condition_variable cv;
    std::deque<Msg> q;

    void post(Msg msg) {
        {
            std::lock_guard lk(m);
            q.push_back(std::move(msg));
        }
        cv.notify_one();
    }
};

/// Everything a client thread shares with the others of the run.
struct Shared {
    const TargetOptions& target;
    net::io_context::executor_type ex;  // never run: Beast and Asio streams want one
    ssl::context& ctx;
    error_code tls_error;
    Inbox& inbox;
};

/// One client: a thread that owns its connections and performs its commands in order.
class Worker {
public:
    Worker(Shared& shared, std::size_t session, std::string client)
        : shared_(shared), session_(session), client_(std::move(client)) {}
    ~Worker() { join(); }

    void start() { thread_ = std::thread([this] { main(); }); }
    void push(Command c) {
        {
            std::lock_guard lk(m_);
            queue_.push_back(std::move(c));
        }
        waker_.signal();
    }
    /// Finish the queued commands, release the connection, exit; nothing waits past `hard`.
    void stop(SteadyTime hard) {
        {
            std::lock_guard lk(m_);
            stopping_ = true;
        }
        waker_.set_hard(hard);
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    void emit(Event e, SteadyTime t) { shared_.inbox.post({session_, false, std::move(e), t}); }

    Shared& shared() { return shared_; }
    Waker& waker() { return waker_; }
    const std::string& client() const { return client_; }

private:
    void main();
    void perform(Command& c);

    Shared& shared_;
    std::size_t session_;
    std::string client_;
    Waker waker_;
    std::mutex m_;
    std::deque<Command> queue_;
    bool stopping_ = false;
    std::unique_ptr<SyncConn> conn_;
    std::thread thread_;
};

// getaddrinfo's codes as the error codes Asio's resolver reports, so both drivers agree.
error_code gai_code(int rc) {
    switch (rc) {
    case EAI_AGAIN: return net::error::host_not_found_try_again;
    case EAI_FAIL: return net::error::no_recovery;
    case EAI_FAMILY: return net::error::address_family_not_supported;
    case EAI_MEMORY: return net::error::no_memory;
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
        return net::error::host_not_found;
    case EAI_SERVICE: return net::error::service_not_found;
    case EAI_SOCKTYPE: return net::error::socket_type_not_supported;
    case EAI_SYSTEM: return errno_code(errno);
    default: return net::error::host_not_found;
    }
}

/// Resolves host:port; getaddrinfo runs on a helper thread so that the wait has a deadline.
error_code resolve(const std::string& host, const std::string& port, SteadyTime deadline, Waker& waker,
                   std::vector<sockaddr_storage>& out) {
    struct Lookup {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        int rc = 0;
        int err = 0;
        std::vector<sockaddr_storage> addrs;
    };
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread([lookup, host, port] {
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            addrinfo* res = nullptr;
            int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
            int err = errno;
            std::vector<sockaddr_storage> addrs;
            for (addrinfo* a = res; a; a = a->ai_next) {
                sockaddr_storage ss{};
                std::memcpy(&ss, a->ai_addr, std::min<std::size_t>(a->ai_addrlen, sizeof ss));
                addrs.push_back(ss);
            }
            if (res) ::freeaddrinfo(res);
            std::lock_guard lk(lookup->m);
            lookup->rc = rc;
            lookup->err = err;
            lookup->addrs = std::move(addrs);
            lookup->done = true;
            lookup->cv.notify_all();
        }).detach();
    } catch (const std::system_error& e) {
        return e.code();
    }
    std::unique_lock lk(lookup->m);
    // Short slices so that a new hard deadline is noticed.
    while (!lookup->done) {
        SteadyTime limit = std::min({deadline, waker.hard(), Clock::now() + std::chrono::milliseconds(50)});
        lookup->cv.wait_until(lk, limit);
        if (!lookup->done && Clock::now() >= std::min(deadline, waker.hard())) return beast::error::timeout;
    }
    if (lookup->rc != 0) {
        errno = lookup->err;
        return gai_code(lookup->rc);
    }
    out = std::move(lookup->addrs);
    return {};
}

/// Connects a non-blocking TCP socket to one of `addrs` before the deadline.
int tcp_connect(const std::vector<sockaddr_storage>& addrs, SteadyTime deadline, Waker& waker, int recv_buffer,
                error_code& ec) {
    ec = net::error::host_not_found;
    for (const auto& a : addrs) {
        socklen_t len = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        int fd = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            ec = errno_code(errno);
            continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // SO_RCVBUF before connect, so that the window offered in the handshake is already small.
        if (recv_buffer > 0 && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recv_buffer, sizeof recv_buffer) < 0) {
            ec = errno_code(errno);
            ::close(fd);
            continue;
        }
        int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), len);
        if (r < 0 && errno != EINPROGRESS) {
            ec = errno_code(errno);
            ::close(fd);
            continue;
        }
        if (r < 0) {
            if ((ec = wait_fd(fd, POLLOUT, deadline, waker))) {
                ::close(fd);
                if (ec == beast::error::timeout) return -1;
                continue;
            }
            int err = 0;
            socklen_t elen = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
            if (err != 0) {
                ec = errno_code(err);
                ::close(fd);
                continue;
            }
        }
        ec = {};
        return fd;
    }
    return -1;
}

/// One WebSocket connection of a client thread, plain (Tls = false) or TLS.
template <bool Tls>
class SyncConnImpl final : public SyncConn, private detail::Reporter {
    using Next = std::conditional_t<Tls, ssl::stream<PollSocket>, PollSocket>;
    using Gate = FrameGate<Next>;
    using Ws = websocket::stream<Gate>;

public:
    SyncConnImpl(Worker& w, int connection)
        : Reporter(w.client(), connection), w_(w), t_(w.shared().target), ws_(make_ws(w)) {}

    bool open() const override { return state_ == State::open; }
    int fd() override { return sock().fd(); }

    void connect(Command& c) override {
        unsigned short port = 0;
        if (auto failure = detail::connect_precheck(t_, c, w_.shared().tls_error, port))
            return fail_connect(std::move(*failure));
        state_ = State::connecting;
        SteadyTime deadline = Clock::now() + c.timeout;

        std::vector<sockaddr_storage> addrs;
        error_code aec;
        auto address = net::ip::make_address(t_.url.host, aec);
        if (!aec) {
            sockaddr_storage ss{};
            if (address.is_v4()) {
                auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                auto bytes = address.to_v4().to_bytes();
                std::memcpy(&sin->sin_addr, bytes.data(), bytes.size());
            } else {
                auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(port);
                auto bytes = address.to_v6().to_bytes();
                std::memcpy(&sin6->sin6_addr, bytes.data(), bytes.size());
                sin6->sin6_scope_id = address.to_v6().scope_id();
            }
            addrs.push_back(ss);
        } else if (error_code ec = resolve(t_.url.host, t_.url.port, deadline, w_.waker(), addrs)) {
            return fail_stage(Stage::dns, ec, c);
        }

        error_code ec;
        int fd = tcp_connect(addrs, deadline, w_.waker(), c.recv_buffer, ec);
        if (fd < 0) return fail_stage(Stage::tcp, ec, c);
        sock().assign(fd);
        sock().set_deadline(deadline);

        if constexpr (Tls) {
            auto& tls = ws_.next_layer().next_layer();
            detail::prepare_tls(tls.native_handle(), t_.url.host, t_.insecure);
            tls.handshake(ssl::stream_base::client, ec);
            if (ec) return fail_stage(Stage::tls, ec, c);
        }

        detail::prepare_upgrade(ws_, t_, c);
        websocket::response_type res;
        ws_.next_layer().prelude().recording = true;
        ws_.handshake(res, detail::host_field(t_.url), detail::request_target(t_.url, c.path), ec);
        ws_.next_layer().prelude().recording = false;
        if (ec) return fail_stage(Stage::upgrade, ec, c, &res);
        state_ = State::open;
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::close) got_close_frame_ = true;
        });
        emit(detail::connected_event(t_, c.path, res, client_, connection_));
    }

    void send(Command& c) override {
        if (!require_open(c)) return;
        bool text = c.kind == Command::Kind::send_text;
        ws_.text(text);
        sock().set_deadline(Clock::now() + t_.io_timeout);
        error_code ec;
        ws_.write(net::buffer(c.data), ec);
        if (ec) return end_with(detail::write_ending(ec, ec == beast::error::timeout, t_.io_timeout,
                                                     t_.max_message_bytes));
        report_sent(!text, std::move(c.data));
    }

    void ping(Command& c) override {
        if (!require_open(c) || ping_too_long(c.data)) return;
        sock().set_deadline(Clock::now() + t_.io_timeout);
        error_code ec;
        ws_.ping(websocket::ping_data(c.data.data(), c.data.size()), ec);
        if (ec) end_with(detail::write_ending(ec, ec == beast::error::timeout, t_.io_timeout, t_.max_message_bytes));
    }

    void close(Command& c) override {
        if (!require_open(c) || reason_too_long(c.reason)) return;
        state_ = State::closing;
        report_close_sent(c.code, c.reason);
        sock().set_deadline(Clock::now() + t_.close_timeout);
        error_code ec;
        ws_.close(websocket::close_reason(static_cast<websocket::close_code>(c.code), c.reason), ec);
        end_with(detail::close_ending(ec, {}, ws_.reason(), ec == beast::error::timeout, t_.close_timeout));
    }

    void abort(Command& c) override {
        if (!require_open(c)) return;
        sock().reset_close();
        end_with(detail::abort_ending());
    }

    // Writes up to c.count frames, each once the socket has room for it, until c.timeout; never reads.
    void flood(Command& c) override {
        if (!require_open(c) || (!c.flood_text && ping_too_long(c.data))) return;
        if (!c.flood_text) {
            flood_payload_ = c.data;  // its pongs are not reported one by one
            flood_pongs_hidden_ = true;
        }
        ws_.text(true);
        detail::Flood f(c);
        error_code wec;
        while (f.more()) {
            if (wait_fd(sock().fd(), POLLOUT, f.limit, w_.waker())) {
                f.time_limit();
                break;
            }
            sock().set_deadline(Clock::now() + t_.io_timeout);
            if (c.flood_text)
                ws_.write(net::buffer(c.data), wec);
            else
                ws_.ping(websocket::ping_data(c.data.data(), c.data.size()), wec);
            if (wec) {
                f.stopped = "write failed: " + detail::error_text(wec, t_.max_message_bytes);
                break;
            }
            f.wrote();
        }
        emit(f.event(client_, connection_));
        if (wec)
            end_with(detail::write_ending(wec, wec == beast::error::timeout, t_.io_timeout, t_.max_message_bytes));
    }

    void release() override {
        quiet_ = true;
        if (state_ == State::open) {
            sock().set_deadline(Clock::now() + t_.release_timeout);
            error_code ec;
            ws_.close(websocket::close_code::normal, ec);
        }
        drop_now();
    }

    void drop_now() override {
        quiet_ = true;
        state_ = State::closed;
        sock().close();
    }

    bool service() override {
        if (state_ != State::open) return false;
        sock().set_deadline(Clock::now() + t_.io_timeout);  // for pong replies
        bool more = false;
        error_code end = gate().fill_available(more);
        FrameScanner& sc = gate().scanner();
        while (state_ == State::open && sc.has_message()) {
            controls(sc.front_end());
            if (state_ != State::open) return false;
            FrameScanner::Arrival at = sc.front_arrival();
            std::string data;
            auto buffer = net::dynamic_buffer(data);
            sock().set_deadline(Clock::now() + t_.io_timeout);
            error_code ec;
            std::size_t n = ws_.read(buffer, ec);
            if (ec) {
                end_with(detail::read_ending(ec, ws_.reason(), got_close_frame_, t_.max_message_bytes));
                return false;
            }
            report_received(ws_.got_binary(), n, std::move(data), at.t, at.wall_us);
        }
        controls(UINT64_MAX);
        if (state_ == State::open && end) {
            end_with(detail::read_ending(end, ws_.reason(), got_close_frame_, t_.max_message_bytes));
            return false;
        }
        return more && state_ == State::open;
    }

private:
    static Ws make_ws(Worker& w) {
        PollSocket::Init init{w.shared().ex, &w.waker()};
        if constexpr (Tls)
            return Ws(w.shared().target.max_message_bytes, init, w.shared().ctx);
        else
            return Ws(w.shared().target.max_message_bytes, init);
    }

    Gate& gate() { return ws_.next_layer(); }
    PollSocket& sock() { return gate().socket(); }

    void deliver(Event e, SteadyTime t) override { w_.emit(std::move(e), t); }
    void close_socket() override { sock().close(); }

    // Answers pings and reports pongs that came before stream position `before`.
    void controls(std::uint64_t before) {
        for (auto& c : gate().scanner().take_controls(before)) {
            if (state_ != State::open) continue;
            if (c.ping) {
                sock().set_deadline(Clock::now() + t_.io_timeout);
                error_code ec;
                ws_.pong(websocket::ping_data(c.payload.data(), c.payload.size()), ec);
                if (ec)
                    end_with(detail::write_ending(ec, ec == beast::error::timeout, t_.io_timeout,
                                                  t_.max_message_bytes));
            } else if (!(flood_pongs_hidden_ && c.payload == flood_payload_)) {
                report_pong(std::move(c.payload), c.at.t, c.at.wall_us);
            }
        }
    }

    void fail_stage(Stage stage, const error_code& ec, const Command& c,
                    const websocket::response_type* res = nullptr) {
        fail_connect(detail::stream_failure<Tls>(ws_, stage, ec, ec == beast::error::timeout, t_, c, res));
    }

    Worker& w_;
    const TargetOptions& t_;
    Ws ws_;
    bool got_close_frame_ = false;
    std::string flood_payload_;
    bool flood_pongs_hidden_ = false;
};

void Worker::main() {
    for (;;) {
        const bool reading = conn_ && conn_->open() && !conn_->paused;
        bool more = reading && conn_->service();
        std::optional<Command> cmd;
        bool stop = false;
        {
            std::lock_guard lk(m_);
            if (!queue_.empty()) {
                cmd = std::move(queue_.front());
                queue_.pop_front();
            } else {
                stop = stopping_;
            }
        }
        if (cmd) {
            perform(*cmd);
            continue;
        }
        if (stop) break;
        if (more) continue;
        pollfd p[2] = {{waker_.fd(), POLLIN, 0}, {reading && conn_->open() ? conn_->fd() : -1, POLLIN, 0}};
        // Without an eventfd (fd exhaustion) fall back to a short poll.
        int r = ::poll(p, 2, waker_.fd() < 0 ? 20 : -1);
        if (r > 0 && p[0].revents) waker_.clear();
    }
    if (conn_) {
        if (conn_->open()) conn_->release();
        conn_->drop_now();
        conn_.reset();
    }
    shared_.inbox.post({session_, true, {}, {}});
}

void Worker::perform(Command& c) {
    if (c.kind == Command::Kind::connect) {
        // A reconnect drops the old connection at the TCP level, quietly.
        if (conn_) conn_->drop_now();
        if (shared_.target.url.tls)
            conn_ = std::make_unique<SyncConnImpl<true>>(*this, c.connection);
        else
            conn_ = std::make_unique<SyncConnImpl<false>>(*this, c.connection);
        conn_->connect(c);
        return;
    }
    if (!conn_) {
        if (c.kind != Command::Kind::release) emit(detail::error_event("not connected", client_, c.connection), Clock::now());
        return;
    }
    switch (c.kind) {
    case Command::Kind::send_text:
    case Command::Kind::send_binary: conn_->send(c); break;
    case Command::Kind::ping: conn_->ping(c); break;
    case Command::Kind::close: conn_->close(c); break;
    case Command::Kind::abort: conn_->abort(c); break;
    case Command::Kind::release: conn_->release(); break;
    case Command::Kind::flood: conn_->flood(c); break;
    case Command::Kind::pause_reading:
    case Command::Kind::resume_reading:
        if (!conn_->open())
            emit(detail::error_event("not connected", client_, c.connection), Clock::now());
        else
            conn_->paused = c.kind == Command::Kind::pause_reading;
        break;
    case Command::Kind::connect: break;
    }
}

/// A running session of the sync driver and its client threads.
struct SyncRun {
    std::size_t id;
    engine::Session* session;
    std::map<std::string, std::unique_ptr<Worker>> workers;
    std::size_t exited = 0;
    bool finished = false;
};

class SyncDriverImpl final : public Driver {
public:
    explicit SyncDriverImpl(TargetOptions target) : target_(std::move(target)) {}
    const char* name() const override { return "sync"; }

    void run(const std::vector<engine::Session*>& sessions, int jobs, const SessionDone& done) override {
        net::io_context ioc;
        ssl::context ctx(ssl::context::tls_client);
        error_code tls_error =
            target_.url.tls ? pushcheck::net::make_client_context(ctx, target_.ca_file, target_.insecure) : error_code{};
        Inbox inbox;
        Shared shared{target_, ioc.get_executor(), ctx, tls_error, inbox};
        std::vector<std::unique_ptr<SyncRun>> running;
        std::size_t next = 0;
        std::size_t max_jobs = jobs < 1 ? 1 : static_cast<std::size_t>(jobs);

        for (;;) {
            while (running.size() < max_jobs && next < sessions.size()) {
                engine::Session* s = sessions[next];
                std::size_t id = next++;
                if (!s) continue;
                running.push_back(std::make_unique<SyncRun>(SyncRun{id, s, {}, 0, false}));
                SyncRun& r = *running.back();
                dispatch(shared, r, s->start(Clock::now()));
                if (s->done()) finish(r);
            }
            if (running.empty()) break;

            std::optional<SteadyTime> earliest;
            for (auto& r : running)
                if (!r->finished)
                    if (auto d = r->session->next_deadline(); d && (!earliest || *d < *earliest)) earliest = d;
            std::deque<Inbox::Msg> batch;
            {
                std::unique_lock lk(inbox.m);
                auto ready = [&] { return !inbox.q.empty(); };
                if (earliest)
                    inbox.cv.wait_until(lk, *earliest, ready);
                else
                    inbox.cv.wait(lk, ready);
                batch.swap(inbox.q);
            }
            for (auto& msg : batch) {
                SyncRun* r = find(running, msg.session);
                if (!r) continue;
                if (msg.exited) {
                    ++r->exited;
                } else if (!r->finished) {
                    dispatch(shared, *r, r->session->on_event(std::move(msg.event), msg.t));
                    if (r->session->done()) finish(*r);
                }
            }
            SteadyTime now = Clock::now();
            for (auto& r : running) {
                if (r->finished) continue;
                if (auto d = r->session->next_deadline(); d && *d <= now) {
                    dispatch(shared, *r, r->session->on_time(now));
                    if (r->session->done()) finish(*r);
                }
            }
            for (auto it = running.begin(); it != running.end();) {
                SyncRun& r = **it;
                if (r.finished && r.exited == r.workers.size()) {
                    for (auto& [name, w] : r.workers) w->join();
                    if (done) done(*r.session);
                    it = running.erase(it);
                } else {
                    ++it;
                }
            }
        }
    }

private:
    static SyncRun* find(std::vector<std::unique_ptr<SyncRun>>& running, std::size_t id) {
        for (auto& r : running)
            if (r->id == id) return r.get();
        return nullptr;
    }

    void dispatch(Shared& shared, SyncRun& r, std::vector<Command> commands) {
        for (auto& c : commands) {
            auto it = r.workers.find(c.client);
            if (it == r.workers.end()) {
                auto w = std::make_unique<Worker>(shared, r.id, c.client);
                try {
                    w->start();
                } catch (const std::system_error& e) {
                    // No thread: the client cannot run; say so and count it as exited.
                    shared.inbox.post({r.id, false,
                                       detail::error_event(std::string("cannot start a client thread: ") + e.what(),
                                                           c.client, c.connection),
                                       Clock::now()});
                    shared.inbox.post({r.id, true, {}, {}});
                }
                it = r.workers.emplace(c.client, std::move(w)).first;
            }
            it->second->push(std::move(c));
        }
    }

    void finish(SyncRun& r) {
        r.finished = true;
        SteadyTime hard = Clock::now() + target_.release_timeout + std::chrono::seconds(1);
        for (auto& [name, w] : r.workers) w->stop(hard);
    }

    TargetOptions target_;
};

} // namespace

std::unique_ptr<Driver> make_sync_driver(const TargetOptions& target) {
    return std::make_unique<SyncDriverImpl>(target);
}

} // namespace pushcheck::drivers
