// The async driver: C++20 coroutines on N io_contexts, one thread each (the calling thread
// runs the first). The sessions and their timers live on the first io_context (the engine
// thread): the engine is called from that thread only. Connections are spread round-robin
// over all io_contexts; a connection on another thread hands its events (stamped on its own
// thread when they happened) to the engine through its thread's Mailbox, and the engine's
// commands are posted to the connection's io_context. With one thread everything is called
// directly, as before.
//
// Per connection: a read loop coroutine that always has a read pending (messages are
// timestamped when they complete, pings are answered by Beast at once; on a plain connection
// the frame filter in Guarded takes whole data frames straight from the socket's bytes, so a
// push costs one read and no Beast operation) and a command queue
// drained by one coroutine at a time (so at most one write is in flight and commands run
// in order). Deadlines: one "op" timer per connection bounds connect, writes and closes;
// an "end" timer bounds Beast's teardown after a close frame or a protocol error.
#include "pushcheck/drivers/driver.hpp"

#include "events.hpp"
#include "pushcheck/net/tls.hpp"
#include "ws_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace pushcheck::drivers {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using engine::Command;
using engine::Event;
using engine::EventKind;
using engine::SteadyTime;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using detail::Ending;
using detail::Stage;

const auto tuple_awaitable = net::as_tuple(net::use_awaitable);

/// What a session runner needs from a connection, whatever its stream type.
class Conn {
public:
    virtual ~Conn() = default;
    virtual void push(Command c) = 0;
    /// Session over: close politely if open (bounded by release_timeout), no events.
    virtual void finish() = 0;
    /// Replaced or out of time: close the socket now, no events.
    virtual void drop_now() = 0;
    /// Beast started its teardown (close frame or failed connection): bound it.
    virtual void on_teardown() = 0;
    /// A whole data frame the frame filter took (see Guarded), completed by a read at `t`.
    virtual void frame_message(bool binary, const char* data, std::size_t size, SteadyTime t, std::int64_t wall_us) = 0;
    /// The session gave up on this connection: never call back into it again (any thread).
    virtual void detach() = 0;
    /// Runs on another thread than the engine: called through its io_context only.
    virtual bool remote() const = 0;
    virtual net::any_io_executor home() = 0;
    /// Unique within its Run (pointers may be reused while a remote one's events are on their way).
    virtual std::uint64_t serial() const = 0;
};

class Run;

/// The events of one I/O thread's connections on their way to the engine thread, in order:
/// one post per batch, not one per event, and the batch vectors keep their capacity.
class Mailbox {
public:
    explicit Mailbox(net::any_io_executor engine) : engine_(std::move(engine)) {}

    /// An event of connection `serial` of `run`, which happened at `t`.
    void put(Run* run, std::uint64_t serial, Event e, SteadyTime t) { add({run, serial, false, std::move(e), t}); }
    /// Connection `serial` of `run` is destroyed.
    void gone(Run* run, std::uint64_t serial) { add({run, serial, true, {}, {}}); }

private:
    struct Item {
        Run* run;
        std::uint64_t serial;
        bool gone;
        Event event;
        SteadyTime t;
    };
    void add(Item item) {
        bool post = false;
        {
            std::lock_guard lock(mu_);
            items_.push_back(std::move(item));
            post = !posted_;
            posted_ = true;
        }
        if (post) net::post(engine_, [this] { flush(); });
    }
    void flush();  // on the engine thread

    net::any_io_executor engine_;
    std::mutex mu_;
    std::vector<Item> items_;  // guarded by mu_
    bool posted_ = false;      // guarded by mu_: a flush is on its way
    std::vector<Item> batch_;  // engine thread only
};

/// Where the frame filter of a plain connection stands (see Guarded).
enum class Gate : std::uint8_t {
    off,        // reads pass straight to the socket (TLS, or a handshake Beast read past its header)
    handshake,  // the upgrade: Beast gets the response up to the end of its header, not a byte more
    frames,     // open: whole unfragmented data frames are taken here, the rest goes to Beast
};

/// Beast's next layer. It tells the connection when Beast starts tearing the transport down, so
/// that a server that never closes cannot stall it, parks reads while paused, and keeps the first
/// bytes of the upgrade for the failure text.
///
/// On a plain connection it is also the frame filter of the receive path. It reads the socket
/// itself (into a buffer of its own that follows the reads' sizes) and takes every whole,
/// unfragmented, unmasked text or binary frame within the size limit, with valid UTF-8 for text,
/// straight to the connection (Conn::frame_message), stamped when the read that completed it
/// returned. Beast sees only the other frames (control frames, fragments, anything it would reject)
/// and only up to the end of the frame it is reading, so its own buffer is empty whenever it
/// returns a message and Beast's state never depends on a frame it did not see. Frames are taken
/// only while Beast has a read pending here, in stream order: after a frame is handed to Beast
/// nothing more is taken until Beast asks again, so a pong or a close is reported before the
/// pushes behind it. During the upgrade Beast gets the response only up to the end of its header,
/// so that the first frames stay here.
template <class Next>
class Guarded {
    static constexpr bool kFilter = std::is_same_v<Next, tcp::socket>;

public:
    using executor_type = typename Next::executor_type;

    template <class... Args>
    explicit Guarded(Conn* owner, Args&&... args) : next_(std::forward<Args>(args)...), owner_(owner) {}

    executor_type get_executor() noexcept { return next_.get_executor(); }
    Next& next_layer() noexcept { return next_; }
    const Next& next_layer() const noexcept { return next_; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token) {
        return net::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& bufs) {
                if constexpr (kFilter) {
                    if (gate_ != Gate::off || !pending().empty()) {
                        pump(std::make_unique<Request<decltype(handler), MutableBuffers>>(std::move(handler), bufs,
                                                                                          next_.get_executor()));
                        return;
                    }
                }
                if (paused_) {
                    parked_ = std::make_unique<Parked<decltype(handler), MutableBuffers>>(std::move(handler), bufs);
                    return;
                }
                if (prelude_.recording) {
                    read_recorded(bufs, std::move(handler));
                    return;
                }
                next_.async_read_some(bufs, std::move(handler));
            },
            token, b);
    }
    bool paused() const { return paused_; }
    void pause() { paused_ = true; }
    void resume() {
        paused_ = false;
        if (auto p = std::move(parked_)) p->start(next_);
        if constexpr (kFilter) {
            drained_ = false;  // readiness while paused went unreported
            if (auto r = std::move(parked_request_)) pump(std::move(r));
        }
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token) {
        return next_.async_write_some(b, std::forward<Token>(token));
    }

    template <class Handler>
    friend void async_teardown(beast::role_type role, Guarded& s, Handler&& handler) {
        s.owner_->on_teardown();
        using beast::websocket::async_teardown;
        async_teardown(role, s.next_, std::forward<Handler>(handler));
    }

    detail::Prelude& prelude() noexcept { return prelude_; }

    /// Before the upgrade request: Beast will get the response only up to the end of its header.
    void begin_handshake() {
        prelude_.recording = true;
        if constexpr (kFilter) gate_ = Gate::handshake;
    }
    /// The upgrade is over (`ok`: the connection is open): from here on whole frames are taken
    /// here, unless Beast read past the response's header.
    void end_handshake(bool ok) {
        prelude_.recording = false;
        if constexpr (kFilter) {
            gate_ = ok && header_exact_ ? Gate::frames : Gate::off;
            restamp_ = true;  // frames read with the response count as arriving once the connection is open
        }
    }

private:
    // During the opening handshake (TLS): keep the first bytes for the failure text.
    template <class MutableBuffers, class Handler>
    void read_recorded(const MutableBuffers& b, Handler&& handler) {
        net::async_compose<Handler, void(error_code, std::size_t)>(
            [this, b, started = false](auto& self, error_code ec = {}, std::size_t n = 0) mutable {
                if (!started) {
                    started = true;
                    next_.async_read_some(b, std::move(self));
                    return;
                }
                std::size_t left = n;
                for (auto it = net::buffer_sequence_begin(b); left > 0 && it != net::buffer_sequence_end(b); ++it) {
                    net::mutable_buffer mb = *it;
                    std::size_t k = std::min(left, mb.size());
                    prelude_.add(static_cast<const char*>(mb.data()), k);
                    left -= k;
                }
                self.complete(ec, n);
            },
            handler, next_);
    }

    struct ParkedRead {
        virtual ~ParkedRead() = default;
        virtual void start(Next& next) = 0;
    };
    template <class Handler, class Buffers>
    struct Parked final : ParkedRead {
        Parked(Handler h, const Buffers& b) : handler(std::move(h)), buffers(b) {}
        void start(Next& next) override { next.async_read_some(buffers, std::move(handler)); }
        Handler handler;
        Buffers buffers;
    };

    // ---- the frame filter (plain connections) ----

    /// One read of Beast's, waiting here for bytes.
    struct ReadRequest {
        virtual ~ReadRequest() = default;
        virtual std::size_t room() const = 0;
        virtual std::size_t fill(const char* p, std::size_t n) = 0;
        /// Completes the read through the handler's executor, never from inside this call.
        virtual void complete(error_code ec, std::size_t n) = 0;
    };
    template <class Handler, class Buffers>
    struct Request final : ReadRequest {
        Request(Handler h, const Buffers& b, executor_type ex) : handler(std::move(h)), buffers(b), io(std::move(ex)) {}
        std::size_t room() const override { return net::buffer_size(buffers); }
        std::size_t fill(const char* p, std::size_t n) override { return net::buffer_copy(buffers, net::buffer(p, n)); }
        void complete(error_code ec, std::size_t n) override {
            auto ex = net::get_associated_executor(handler, io);
            net::post(ex, beast::bind_front_handler(std::move(handler), ec, n));
        }
        Handler handler;
        Buffers buffers;
        executor_type io;
    };
    using RequestPtr = std::unique_ptr<ReadRequest>;

    /// The bytes read and not yet taken or handed to Beast: in raw_, or (within one pump()) still
    /// in the read buffer.
    std::string_view pending() const {
        return view_n_ ? std::string_view(view_p_, view_n_) : std::string_view(raw_).substr(head_);
    }
    void consume(std::size_t n) {
        if (view_n_) {
            view_p_ += n;
            view_n_ -= n;
            return;
        }
        head_ += n;
        if (head_ >= raw_.size()) {
            raw_.clear();
            head_ = 0;
            if (raw_.capacity() > 4096) std::string().swap(raw_);
        }
    }
    /// Moves what is left in the read buffer into raw_: before pump() returns or reads again, since
    /// the next read overwrites that buffer.
    void stash() {
        if (!view_n_) return;
        if (head_ > 0) {
            raw_.erase(0, head_);
            head_ = 0;
        }
        raw_.append(view_p_, view_n_);
        view_n_ = 0;
    }

    /// The pending bytes Beast may take now.
    std::size_t beast_share() {
        const std::string_view in = pending();
        switch (gate_) {
        case Gate::off: return in.size();
        case Gate::handshake: {
            if (header_seen_) {  // Beast reads on past the header: a body, so not a successful upgrade
                header_exact_ = false;
                return in.size();
            }
            // Up to the blank line that ends the header (it may start in bytes already handed over).
            const std::string_view head = in.substr(0, 64 * 1024);
            const std::string joined = tail_ + std::string(head);
            const auto end = joined.find("\r\n\r\n");
            if (end == std::string::npos) return head.size();
            return end + 4 - tail_.size();
        }
        case Gate::frames:
            if (read_error_) return in.size();  // the end of the stream: Beast reports it as it would
            return std::min(beast_left_, in.size());
        }
        return 0;
    }

    void handed_to_beast(std::size_t n) {
        const std::string_view given = pending().substr(0, n);
        if (gate_ == Gate::handshake) {
            prelude_.add(given.data(), given.size());
            if (!header_seen_) {
                tail_.append(given);
                if (tail_.find("\r\n\r\n") != std::string::npos) {
                    header_seen_ = true;
                    header_exact_ = tail_.compare(tail_.size() - 4, 4, "\r\n\r\n") == 0;
                }
                if (tail_.size() > 3) tail_.erase(0, tail_.size() - 3);
            }
        }
        if (gate_ == Gate::frames) beast_left_ -= std::min(beast_left_, n);
        consume(n);
    }

    /// Takes the whole simple frames at the front of the pending bytes; stops at a frame for Beast
    /// (setting beast_left_) or at an incomplete frame.
    void take_frames() {
        while (beast_left_ == 0) {
            const std::string_view in = pending();
            const auto* p = reinterpret_cast<const unsigned char*>(in.data());
            const std::size_t have = in.size();
            if (have < 2) return;
            const bool fin = p[0] & 0x80, rsv = p[0] & 0x70, masked = p[1] & 0x80;
            const unsigned op = p[0] & 0x0f, len7 = p[1] & 0x7f;
            const std::size_t header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            if (have < header) return;
            std::uint64_t len = len7;
            bool minimal = true;  // Beast rejects a length in more bytes than it needs
            if (len7 == 126) {
                len = (std::uint64_t{p[2]} << 8) | p[3];
                minimal = len >= 126;
            } else if (len7 == 127) {
                len = 0;
                for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
                minimal = len >= 65536 && !(len >> 63);
            }
            const std::uint64_t total64 = len > UINT64_MAX - header ? UINT64_MAX : len + header;
            const std::size_t total = total64 > SIZE_MAX ? SIZE_MAX : static_cast<std::size_t>(total64);
            const bool data = op == 1 || op == 2;
            bool simple = !fragmented_ && fin && !rsv && !masked && data && minimal &&
                          (max_message_ == 0 || len <= max_message_);
            if (simple && have < total) return;  // the rest is on its way
            if (simple && op == 1 && !beast::websocket::detail::check_utf8(in.data() + header, len)) simple = false;
            if (!simple) {  // Beast's, whole; a fragmented message is Beast's until its last frame
                if (data && !fin) fragmented_ = true;
                if (op == 0 && fin) fragmented_ = false;
                beast_left_ = total;
                return;
            }
            owner_->frame_message(op == 2, in.data() + header, len, arrived_, arrived_wall_);
            consume(total);
        }
    }

    /// Serves Beast's read `r`: hands it its bytes, takes the frames that are not its, and reads
    /// the socket when neither has enough.
    void pump(RequestPtr r) {
        if constexpr (kFilter) {
            int reads = 0;
            for (;;) {
                if (paused_) {
                    stash();
                    parked_request_ = std::move(r);
                    return;
                }
                if (r->room() == 0) {
                    stash();
                    r->complete({}, 0);
                    return;
                }
                if (gate_ == Gate::frames && !read_error_) {
                    if (restamp_) {
                        restamp_ = false;
                        arrived_ = Clock::now();
                        arrived_wall_ = detail::wall_us_now();
                    }
                    take_frames();
                }
                if (const std::size_t k = beast_share(); k > 0) {
                    const std::size_t n = r->fill(pending().data(), k);
                    handed_to_beast(n);
                    stash();
                    // Until Beast asks again nothing reads the socket: the next request reads at once.
                    drained_ = false;
                    r->complete({}, n);
                    return;
                }
                if (read_error_) {
                    stash();
                    r->complete(*read_error_, 0);
                    return;
                }
                stash();
                if (drained_) {  // the last read emptied the socket: wait for more
                    wait(std::move(r));
                    return;
                }
                if (reads == kReadsPerTurn) {  // a server that never stops sending must not starve the others
                    net::post(next_.get_executor(), [this, r = std::move(r)]() mutable { pump(std::move(r)); });
                    return;
                }
                read_once();
                ++reads;
            }
        } else {
            (void)r;
        }
    }

    /// Reads into the read buffer once the socket has bytes. (A wait for readiness would do without
    /// the buffer, but Asio re-arms the descriptor with epoll_ctl(2) for every wait: a system call
    /// per push.)
    void wait(RequestPtr r) {
        size_buffer();
        next_.async_read_some(net::buffer(buf_.get(), buf_size_), [this, r = std::move(r)](error_code ec, std::size_t n) mutable {
            if (ec)
                read_error_ = ec;
            else
                arrived(n);
            pump(std::move(r));
        });
    }

    /// One recv(2) at once, when the socket may hold bytes nobody waited for. Sets drained_ when the
    /// socket had none, read_error_ at the end of the stream or on an error.
    void read_once() {
        stash();
        size_buffer();
        const ssize_t n = ::recv(next_.native_handle(), buf_.get(), buf_size_, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                drained_ = true;
            else if (errno != EINTR)
                read_error_ = error_code(errno, boost::system::system_category());
            return;
        }
        if (n == 0) {
            read_error_ = error_code(net::error::eof);
            return;
        }
        arrived(static_cast<std::size_t>(n));
    }

    /// The read buffer at the size the last reads asked for: 512 bytes to start with, doubled after
    /// a read that filled it (up to 64 KiB), halved after one that used less than a quarter.
    /// Called only when nothing pending points into it.
    void size_buffer() {
        if (buf_ && buf_size_ == buf_want_) return;
        buf_size_ = buf_want_;
        buf_.reset(new char[buf_size_]);
    }

    /// `n` bytes were read into the read buffer just now.
    void arrived(std::size_t n) {
        arrived_ = Clock::now();
        arrived_wall_ = detail::wall_us_now();
        drained_ = n < buf_size_;
        if (n == buf_size_)
            buf_want_ = std::min(buf_size_ * 2, kBufMax);
        else if (n < buf_size_ / 4)
            buf_want_ = std::max(buf_size_ / 2, kBufMin);
        if (head_ < raw_.size()) {  // after bytes already waiting
            raw_.append(buf_.get(), n);
        } else {
            view_p_ = buf_.get();  // pending() reads them in place; stash() keeps what is left
            view_n_ = n;
        }
    }

    static constexpr int kReadsPerTurn = 16;
    static constexpr std::size_t kBufMin = 512, kBufMax = 64 * 1024;

    Next next_;
    Conn* owner_;
    detail::Prelude prelude_;
    bool paused_ = false;
    std::unique_ptr<ParkedRead> parked_;
    // the frame filter
    Gate gate_ = Gate::off;
    std::string raw_;               // read from the socket, not yet taken or handed to Beast (from head_ on)
    std::size_t head_ = 0;
    const char* view_p_ = nullptr;  // within pump(): pending bytes still in the read buffer
    std::size_t view_n_ = 0;
    std::size_t beast_left_ = 0;    // bytes of the frame Beast is reading that it has not had yet
    bool fragmented_ = false;       // Beast is inside a fragmented message: every frame is its
    std::optional<error_code> read_error_;  // the socket's end, handed to Beast once raw_ is empty
    bool drained_ = false;          // the last read left the socket empty, and nobody stopped reading since
    SteadyTime arrived_{};          // when the last recv(2) returned bytes
    bool restamp_ = false;          // raw_ holds frames read before the connection was open
    std::int64_t arrived_wall_ = 0;
    std::size_t max_message_ = 0;   // Beast's read_message_max (0: none)
    std::string tail_;              // handshake: the last bytes handed to Beast, for a header end across reads
    bool header_seen_ = false;      // handshake: the header's end was handed to Beast
    bool header_exact_ = false;     // ... and not a byte more
    std::unique_ptr<ReadRequest> parked_request_;
    std::unique_ptr<char[]> buf_;   // the read buffer (size_buffer())
    std::size_t buf_size_ = 0, buf_want_ = kBufMin;

public:
    void set_max_message(std::size_t n) { max_message_ = n; }
};

class AsyncDriverImpl;

/// One running session: feeds it events and the time, dispatches its commands. Lives on
/// the engine thread: every member function runs there.
class Run {
public:
    Run(AsyncDriverImpl& driver, engine::Session& session, net::any_io_executor ex)
        : driver_(driver), session_(session), ex_(ex), timer_(ex), hard_timer_(ex) {}

    void start();
    /// An event of one of this session's connections, `t` = when it happened.
    void deliver(Event e, SteadyTime t);
    /// The same from connection `serial` on another thread: dropped if it was replaced meanwhile.
    void deliver_from(std::uint64_t serial, Event e, SteadyTime t) {
        if (!replaced_.empty() && replaced_.count(serial)) return;
        deliver(std::move(e), t);
    }
    std::uint64_t conn_born() {
        ++live_;
        return ++serials_;
    }
    void conn_gone(std::uint64_t serial) {
        replaced_.erase(serial);
        --live_;
        maybe_complete();
    }
    engine::Session& session() { return session_; }
    const TargetOptions& target() const;
    /// Detaches every connection still alive (they may outlive this Run, parked in Beast).
    void detach_all() {
        for (auto& w : every_)
            if (auto c = w.lock()) c->detach();
        every_.clear();
    }

private:
    // Calls f(conn) on the connection's thread: at once on the engine thread, else posted.
    template <class F>
    static void on_conn(std::shared_ptr<Conn> c, F f) {
        if (!c->remote()) return f(*c);
        net::any_io_executor ex = c->home();
        net::post(ex, [c = std::move(c), f = std::move(f)]() mutable { f(*c); });
    }
    void drop(const std::shared_ptr<Conn>& c) {
        on_conn(c, [](Conn& x) { x.drop_now(); });
    }
    void perform(std::vector<Command> commands);
    void drain();
    void settle();
    void rearm();
    void on_timer();
    void finish();
    void maybe_complete();

    AsyncDriverImpl& driver_;
    engine::Session& session_;
    net::any_io_executor ex_;
    net::steady_timer timer_;       // next_deadline()
    net::steady_timer hard_timer_;  // after the end: kills what release could not close
    std::unordered_map<std::string, std::shared_ptr<Conn>> conns_;  // latest connection per client
    std::vector<std::weak_ptr<Conn>> every_;                         // all of them, for the hard kill
    std::unordered_set<std::uint64_t> replaced_;  // remote connections dropped whose events may still come
    std::uint64_t serials_ = 0;
    std::deque<std::pair<Event, SteadyTime>> inbox_;
    bool busy_ = false;  // inside a session call: events wait in inbox_
    bool finished_ = false;
    bool completed_ = false;
    int live_ = 0;
    unsigned gen_ = 0;
    std::optional<SteadyTime> armed_;
};

/// Runs the sessions: owns the io_contexts and their threads, the TLS context and the job
/// scheduling.
class AsyncDriverImpl final : public Driver {
public:
    AsyncDriverImpl(TargetOptions target, int threads) : target_(std::move(target)), threads_(threads < 1 ? 1 : threads) {}
    const char* name() const override { return "async"; }

    void run(const std::vector<engine::Session*>& sessions, int jobs, const SessionDone& done) override {
        sessions_ = &sessions;
        jobs_ = jobs < 1 ? 1 : jobs;
        done_ = &done;
        next_ = 0;
        running_ = 0;
        next_home_ = 0;
        ssl::context ctx(ssl::context::tls_client);
        tls_error_ = target_.url.tls ? pushcheck::net::make_client_context(ctx, target_.ca_file, target_.insecure)
                                     : error_code{};
        ctx_ = &ctx;
        for (int i = 0; i < threads_; ++i) iocs_.push_back(std::make_unique<net::io_context>(1));
        const net::any_io_executor engine = iocs_[0]->get_executor();
        mailboxes_.emplace_back();  // the engine's own connections deliver directly
        for (int i = 1; i < threads_; ++i) mailboxes_.push_back(std::make_unique<Mailbox>(engine));
        {
            // With several threads an io_context may be idle for a while; stop() ends them all.
            std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
            if (threads_ > 1)
                for (auto& ioc : iocs_) guards.push_back(net::make_work_guard(*ioc));
            std::vector<std::thread> workers;
            for (int i = 1; i < threads_; ++i) workers.emplace_back([&ioc = *iocs_[i]] { ioc.run(); });
            net::post(*iocs_[0], [this] { start_more(); });
            iocs_[0]->run();  // returns once every session is complete (stop_all)
            stop_all();
            for (auto& w : workers) w.join();
        }
        // Every thread is joined. Runs go before the io_contexts (their timers belong to the
        // first); detached connections go with their io_context, whose shutdown destroys what
        // Beast left parked. A connection only ever has handlers in its own io_context.
        for (auto& r : runs_) r->detach_all();
        runs_.clear();
        while (!iocs_.empty()) iocs_.pop_back();  // the engine's io_context last
        mailboxes_.clear();
        ctx_ = nullptr;
    }

    void session_done(Run& run) {
        --running_;
        if (done_ && *done_) (*done_)(run.session());
        start_more();
    }

    const TargetOptions& target() const { return target_; }
    ssl::context& tls_context() { return *ctx_; }
    const error_code& tls_error() const { return tls_error_; }
    net::any_io_executor engine_executor() { return iocs_[0]->get_executor(); }

    /// Where the next connection lives: round-robin over the io_contexts.
    struct Home {
        net::any_io_executor ex;
        Mailbox* mailbox;  // null: the engine's own io_context
    };
    Home next_home() {
        std::size_t i = next_home_++ % iocs_.size();
        return {iocs_[i]->get_executor(), mailboxes_[i].get()};
    }

private:
    void start_more() {
        while (running_ < jobs_ && next_ < sessions_->size()) {
            engine::Session* s = (*sessions_)[next_++];
            if (!s) continue;
            runs_.push_back(std::make_unique<Run>(*this, *s, engine_executor()));
            ++running_;
            runs_.back()->start();
        }
        // Every session is complete: stop even if detached connections still hold work.
        if (running_ == 0 && next_ >= sessions_->size()) stop_all();
    }

    void stop_all() {
        for (auto& ioc : iocs_) ioc->stop();
    }

    TargetOptions target_;
    int threads_;
    const std::vector<engine::Session*>* sessions_ = nullptr;
    const SessionDone* done_ = nullptr;
    int jobs_ = 1;
    std::size_t next_ = 0;
    int running_ = 0;
    std::size_t next_home_ = 0;
    std::vector<std::unique_ptr<net::io_context>> iocs_;  // [0]: the engine's
    std::vector<std::unique_ptr<Mailbox>> mailboxes_;     // per io_context; [0] is null
    ssl::context* ctx_ = nullptr;
    error_code tls_error_;
    std::vector<std::unique_ptr<Run>> runs_;
};

void Mailbox::flush() {
    {
        std::lock_guard lock(mu_);
        batch_.swap(items_);
        posted_ = false;
    }
    for (auto& item : batch_) {
        if (item.gone)
            item.run->conn_gone(item.serial);
        else
            item.run->deliver_from(item.serial, std::move(item.event), item.t);
    }
    batch_.clear();
}

const TargetOptions& Run::target() const { return driver_.target(); }

/// One WebSocket connection of one client, plain (Tls = false) or TLS.
template <bool Tls>
class ConnImpl final : public Conn, private detail::Reporter, public std::enable_shared_from_this<ConnImpl<Tls>> {
    // A plain socket below: Beast's tcp_stream would add a timer and an operation wrapper to every
    // read; the connection's own timers bound its waits.
    using Transport = std::conditional_t<Tls, ssl::stream<tcp::socket>, tcp::socket>;
    using Ws = websocket::stream<Guarded<Transport>>;

public:
    // Constructed on the engine thread; afterwards used only on `ex`'s thread.
    ConnImpl(Run& run, net::any_io_executor ex, Mailbox* mailbox, ssl::context& ctx, const error_code& tls_error,
             std::string client, int connection, std::uint32_t client_id)
        : Reporter(std::move(client), connection, client_id), run_(&run), mailbox_(mailbox), serial_(run.conn_born()),
          t_(run.target()), ws_(make_ws(this, ex, ctx)), tls_error_(tls_error), op_timer_(ex), end_timer_(ex) {}
    ~ConnImpl() override {
        Run* run = run_.load(std::memory_order_acquire);
        if (!run) return;
        if (mailbox_)
            mailbox_->gone(run, serial_);
        else
            run->conn_gone(serial_);
    }

    void detach() override { run_.store(nullptr, std::memory_order_release); }
    bool remote() const override { return mailbox_ != nullptr; }
    net::any_io_executor home() override { return ws_.get_executor(); }
    std::uint64_t serial() const override { return serial_; }

    void push(Command c) override {
        queue_.push_back(std::move(c));
        if (draining_) return;
        draining_ = true;
        net::co_spawn(ws_.get_executor(), drain(this->shared_from_this()), net::detached);
    }

    void finish() override {
        quiet_ = true;
        if (state_ == State::idle || state_ == State::connecting) {
            drop_now();
            return;
        }
        Command release;
        release.kind = Command::Kind::release;
        push(std::move(release));
    }

    void drop_now() override {
        quiet_ = true;
        queue_.clear();
        queue_head_ = 0;
        state_ = State::closed;
        kill_socket();
    }

    void frame_message(bool binary, const char* data, std::size_t size, SteadyTime t, std::int64_t wall_us) override {
        if (!quiet_ && state_ == State::open) report_received(binary, size, std::string(data, size), t, wall_us);
    }

    void on_teardown() override {
        if (end_armed_ || state_ == State::closed) return;
        end_armed_ = true;
        end_timer_.expires_after(t_.close_timeout);
        end_timer_.async_wait([w = this->weak_from_this()](error_code ec) {
            if (auto c = w.lock(); c && !ec) c->force_close();
        });
    }

private:
    static Ws make_ws(Conn* self, net::any_io_executor ex, ssl::context& ctx) {
        if constexpr (Tls)
            return Ws(self, ex, ctx);
        else
            return Ws(self, ex);
    }

    // Hands an event that happened at `t` to the session, on the engine thread.
    void deliver(Event e, SteadyTime t) override {
        Run* run = run_.load(std::memory_order_acquire);
        if (!run) return;
        if (mailbox_)
            mailbox_->put(run, serial_, std::move(e), t);
        else
            run->deliver(std::move(e), t);
    }

    void close_socket() override { kill_socket(); }

    // Closes the socket; pending operations complete with an error.
    void force_close() {
        error_code ignored;
        beast::get_lowest_layer(ws_).close(ignored);
        ws_.next_layer().resume();  // a parked read now fails on the closed socket and the read loop ends
        if (waiter_) {
            waiter_->close(ignored);  // the duplicate descriptor would keep the TCP connection alive
        }
        if (resolver_) resolver_->cancel();
    }

    void kill_socket() {
        force_close();
        ++op_gen_;
        op_timer_.cancel();
        end_timer_.cancel();
    }

    void arm_op(std::chrono::milliseconds ms) {
        op_fired_ = false;
        unsigned g = ++op_gen_;
        op_timer_.expires_after(ms);
        op_timer_.async_wait([w = this->weak_from_this(), g](error_code ec) {
            auto c = w.lock();
            if (ec || !c || c->op_gen_ != g) return;
            c->op_fired_ = true;
            c->force_close();
        });
    }

    bool disarm_op() {
        ++op_gen_;
        op_timer_.cancel();
        return op_fired_;
    }

    // `self` keeps the connection alive while the coroutine runs.
    net::awaitable<void> drain(std::shared_ptr<ConnImpl> /*self*/) {
        while (queue_head_ < queue_.size()) {
            Command c = std::move(queue_[queue_head_++]);
            if (queue_head_ == queue_.size()) {
                queue_.clear();
                queue_head_ = 0;
            }
            switch (c.kind) {
            case Command::Kind::connect: co_await do_connect(c); break;
            case Command::Kind::send_text:
            case Command::Kind::send_binary: co_await do_send(c); break;
            case Command::Kind::ping: co_await do_ping(c); break;
            case Command::Kind::close: co_await do_close(c); break;
            case Command::Kind::abort: do_abort(c); break;
            case Command::Kind::release: co_await do_release(); break;
            case Command::Kind::flood: co_await do_flood(c); break;
            case Command::Kind::pause_reading:
            case Command::Kind::resume_reading: set_reading(c); break;
            }
        }
        draining_ = false;
    }

    void fail_stage(Stage stage, const error_code& ec, const Command& c,
                    const websocket::response_type* res = nullptr) {
        fail_connect(detail::stream_failure<Tls>(ws_, stage, ec, op_fired_, t_, c, res));
    }

    net::awaitable<void> do_connect(Command& c) {
        unsigned short port = 0;
        if (auto failure = detail::connect_precheck(t_, c, tls_error_, port)) {
            fail_connect(std::move(*failure));
            co_return;
        }
        state_ = State::connecting;
        arm_op(c.timeout);

        std::vector<tcp::endpoint> endpoints;
        error_code aec;
        auto address = net::ip::make_address(t_.url.host, aec);
        if (!aec) {
            endpoints.emplace_back(address, port);
        } else {
            resolver_.emplace(ws_.get_executor());
            auto [ec, results] = co_await resolver_->async_resolve(t_.url.host, t_.url.port, tuple_awaitable);
            resolver_.reset();
            if (state_ == State::closed) co_return;
            if (ec) {
                fail_stage(Stage::dns, ec, c);
                co_return;
            }
            for (const auto& r : results) endpoints.push_back(r.endpoint());
        }

        auto& lowest = beast::get_lowest_layer(ws_);
        error_code cec;
        std::optional<tcp::endpoint> local;
        if (t_.sources) local.emplace(net::ip::make_address(t_.sources->take(), cec), 0);  // checked by the caller
        if (c.recv_buffer > 0 || local) {
            // SO_RCVBUF before connect, so that the window offered in the handshake is already small;
            // the source address bound before connect, its port chosen by connect (IP_BIND_ADDRESS_NO_PORT).
            cec = net::error::host_not_found;
            for (const auto& to : endpoints) {
                lowest.close(cec);
                lowest.open(to.protocol(), cec);
                if (!cec && c.recv_buffer > 0)
                    lowest.set_option(net::socket_base::receive_buffer_size(c.recv_buffer), cec);
                if (!cec && local) {
                    if (local->protocol() != to.protocol()) {
                        cec = net::error::address_family_not_supported;
                        continue;
                    }
                    detail::bind_no_port(lowest.native_handle());
                    lowest.bind(*local, cec);
                }
                if (cec) continue;
                std::tie(cec) = co_await lowest.async_connect(to, tuple_awaitable);
                if (!cec || state_ == State::closed) break;
            }
        } else {
            std::tie(cec, std::ignore) = co_await net::async_connect(lowest, endpoints, tuple_awaitable);
        }
        if (state_ == State::closed) co_return;
        if (cec) {
            fail_stage(Stage::tcp, cec, c);
            co_return;
        }
        error_code ignored;
        lowest.set_option(tcp::no_delay(true), ignored);

        if constexpr (Tls) {
            auto& tls = ws_.next_layer().next_layer();
            detail::prepare_tls(tls.native_handle(), t_.url.host, t_.insecure);
            auto [tec] = co_await tls.async_handshake(ssl::stream_base::client, tuple_awaitable);
            if (state_ == State::closed) co_return;
            if (tec) {
                fail_stage(Stage::tls, tec, c);
                co_return;
            }
        }

        detail::prepare_upgrade(ws_, t_, c);
        websocket::response_type res;
        ws_.next_layer().set_max_message(t_.max_message_bytes);
        ws_.next_layer().begin_handshake();
        auto [hec] = co_await ws_.async_handshake(res, detail::host_field(t_.url),
                                                  detail::request_target(t_.url, c.path), tuple_awaitable);
        ws_.next_layer().end_handshake(!hec && state_ != State::closed);
        if (state_ == State::closed) co_return;
        if (hec) {
            fail_stage(Stage::upgrade, hec, c, &res);
            co_return;
        }
        disarm_op();
        state_ = State::open;
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            if (kind == websocket::frame_type::close) {
                got_close_frame_ = true;
            } else if (kind == websocket::frame_type::pong && state_ == State::open &&
                       !(hidden_pong_ && payload == *hidden_pong_)) {
                report_pong(std::string(payload), Clock::now(), detail::wall_us_now());
            }
        });
        emit(detail::connected_event(t_, c.path, res, client_, connection_));
        net::co_spawn(ws_.get_executor(), read_loop(this->shared_from_this()), net::detached);
    }

    // One read buffer for the connection's life: a message costs one allocation, its event's
    // copy. Beast itself reads up to 1536 bytes per read_some, several small frames at once.
    net::awaitable<void> read_loop(std::shared_ptr<ConnImpl> /*self*/) {
        for (;;) {
            auto [ec, n] = co_await ws_.async_read(read_buf_, tuple_awaitable);
            SteadyTime now = Clock::now();
            if (ec) {
                on_read_end(ec);
                co_return;
            }
            if (!quiet_ && state_ == State::open) {
                auto bytes = read_buf_.cdata();
                report_received(ws_.got_binary(), n, std::string(static_cast<const char*>(bytes.data()), bytes.size()), now,
                                detail::wall_us_now());
            }
            read_buf_.consume(read_buf_.size());
            if (read_buf_.capacity() > kKeptReadBuffer) read_buf_.shrink_to_fit();
        }
    }

    void on_read_end(const error_code& ec) {
        read_end_ = ec;
        if (quiet_ || state_ == State::closed) return;
        if (state_ == State::closing) {
            if (close_end_) finish_close();
            return;
        }
        if (op_fired_) return;  // a timed-out write closed the socket; it reports
        end_with(detail::read_ending(ec, ws_.reason(), got_close_frame_, t_.max_message_bytes));
    }

    // Both halves of our closing handshake are over.
    void finish_close() {
        end_with(detail::close_ending(close_end_->ec, *read_end_, ws_.reason(), close_end_->timed_out,
                                      t_.close_timeout));
    }

    void on_write_error(const error_code& ec, bool timed_out) {
        if (quiet_ || state_ == State::closed) return;
        end_with(detail::write_ending(ec, timed_out, t_.io_timeout, t_.max_message_bytes));
    }

    net::awaitable<void> do_send(Command& c) {
        if (!require_open(c)) co_return;
        bool text = c.kind == Command::Kind::send_text;
        ws_.text(text);
        arm_op(t_.io_timeout);
        auto [ec, n] = co_await ws_.async_write(net::buffer(c.data), tuple_awaitable);
        bool timed_out = disarm_op();
        if (ec) {
            on_write_error(ec, timed_out);
            co_return;
        }
        if (state_ == State::closed) co_return;
        report_sent(!text, std::move(c.data));
    }

    net::awaitable<void> do_ping(Command& c) {
        if (!require_open(c) || ping_too_long(c.data)) co_return;
        arm_op(t_.io_timeout);
        auto [ec] = co_await ws_.async_ping(websocket::ping_data(c.data.data(), c.data.size()), tuple_awaitable);
        bool timed_out = disarm_op();
        if (ec) on_write_error(ec, timed_out);
    }

    net::awaitable<void> do_close(Command& c) {
        if (!require_open(c) || reason_too_long(c.reason)) co_return;
        state_ = State::closing;
        report_close_sent(c.code, c.reason);
        arm_op(t_.close_timeout);
        websocket::close_reason cr(static_cast<websocket::close_code>(c.code), c.reason);
        auto [ec] = co_await ws_.async_close(cr, tuple_awaitable);
        bool timed_out = disarm_op();
        close_end_ = CloseEnd{ec, timed_out};
        if (read_end_)
            finish_close();
        else if (ec)
            force_close();  // the read loop ends and reports
    }

    void set_reading(const Command& c) {
        if (state_ != State::open && state_ != State::closing) {
            not_connected(c);
            return;
        }
        if (c.kind == Command::Kind::pause_reading)
            ws_.next_layer().pause();
        else
            ws_.next_layer().resume();
    }

    // True once the socket can take more bytes; false at `limit` or when the connection ends.
    net::awaitable<bool> writable(SteadyTime limit) {
        const int fd = beast::get_lowest_layer(ws_).native_handle();
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, 0) > 0 && p.revents) co_return true;  // POLLERR/POLLHUP too: the write reports it
        if (!waiter_) {
            // A duplicate descriptor: cancelling its wait at the limit leaves the socket's own reads alone.
            int d = ::dup(fd);
            if (d < 0) co_return false;
            waiter_.emplace(ws_.get_executor(), d);
        }
        auto fired = std::make_shared<bool>(false);
        net::steady_timer timer(ws_.get_executor());
        timer.expires_at(limit);
        timer.async_wait([w = this->weak_from_this(), fired](error_code ec) {
            auto c = w.lock();
            if (ec || !c) return;
            *fired = true;
            if (c->waiter_) c->waiter_->cancel();
        });
        auto [ec] = co_await waiter_->async_wait(net::posix::descriptor_base::wait_write, tuple_awaitable);
        timer.cancel();
        co_return !ec && !*fired && state_ == State::open;
    }

    // Writes up to c.count frames, each once the socket has room for it, until c.timeout; never reads.
    net::awaitable<void> do_flood(Command& c) {
        if (!require_open(c) || (!c.flood_text && ping_too_long(c.data))) co_return;
        auto& gate = ws_.next_layer();
        const bool was_paused = gate.paused();
        gate.pause();
        if (!c.flood_text) hidden_pong_ = c.data;  // its pongs are not reported one by one
        ws_.text(true);
        detail::Flood f(c);
        error_code wec;
        bool timed_out = false;
        while (f.more()) {
            if (!(co_await writable(f.limit))) {
                f.time_limit();
                break;
            }
            arm_op(t_.io_timeout);
            if (c.flood_text)
                std::tie(wec, std::ignore) = co_await ws_.async_write(net::buffer(c.data), tuple_awaitable);
            else
                std::tie(wec) = co_await ws_.async_ping(websocket::ping_data(c.data.data(), c.data.size()), tuple_awaitable);
            timed_out = disarm_op();
            if (wec) {
                f.stopped = "write failed: " + detail::error_text(wec, t_.max_message_bytes);
                break;
            }
            f.wrote();
        }
        if (state_ != State::closed) emit(f.event(client_, connection_));
        if (wec) {
            on_write_error(wec, timed_out);
            co_return;
        }
        if (!was_paused && state_ == State::open) gate.resume();
    }

    void do_abort(const Command& c) {
        if (state_ != State::open && state_ != State::closing) {
            not_connected(c);
            return;
        }
        // SO_LINGER 0: close() sends a TCP reset instead of a FIN.
        error_code ignored;
        beast::get_lowest_layer(ws_).set_option(net::socket_base::linger(true, 0), ignored);
        end_with(detail::abort_ending());
    }

    net::awaitable<void> do_release() {
        quiet_ = true;
        ws_.next_layer().resume();  // the polite close must read the server's close frame
        if (state_ == State::open) {
            arm_op(t_.release_timeout);
            co_await ws_.async_close(websocket::close_code::normal, tuple_awaitable);
            disarm_op();
        }
        state_ = State::closed;
        kill_socket();
    }

    struct CloseEnd {
        error_code ec;
        bool timed_out = false;
    };
    static constexpr std::size_t kKeptReadBuffer = 64 * 1024;  // a bigger one is freed after its message

    std::atomic<Run*> run_;  // null once detached (from any thread): the session completed without waiting for it
    Mailbox* const mailbox_;  // null: on the engine thread, events are delivered directly
    const std::uint64_t serial_;
    const TargetOptions& t_;
    Ws ws_;
    error_code tls_error_;
    net::steady_timer op_timer_;   // connect / write / close deadline
    net::steady_timer end_timer_;  // Beast's teardown deadline
    std::optional<tcp::resolver> resolver_;
    std::optional<net::posix::stream_descriptor> waiter_;  // flood: waits until the socket takes more
    std::optional<std::string> hidden_pong_;  // a flood's ping payload: its pongs are not reported
    beast::flat_buffer read_buf_;
    std::vector<Command> queue_;  // commands from queue_head_ on are to do (not a deque: 600 B empty)
    std::size_t queue_head_ = 0;
    bool draining_ = false;  // a drain() coroutine runs the queue
    bool got_close_frame_ = false;  // Beast saw the server's close frame
    unsigned op_gen_ = 0;
    bool op_fired_ = false;    // the op timer closed the socket
    bool end_armed_ = false;   // the teardown timer runs
    std::optional<error_code> read_end_;  // the read loop ended, with this
    std::optional<CloseEnd> close_end_;   // our async_close finished
};

std::shared_ptr<Conn> make_conn(Run& run, AsyncDriverImpl& driver, const Command& c) {
    auto home = driver.next_home();
    if (driver.target().url.tls)
        return std::make_shared<ConnImpl<true>>(run, home.ex, home.mailbox, driver.tls_context(), driver.tls_error(),
                                                c.client, c.connection, c.client_id);
    return std::make_shared<ConnImpl<false>>(run, home.ex, home.mailbox, driver.tls_context(), driver.tls_error(),
                                             c.client, c.connection, c.client_id);
}

void Run::start() {
    busy_ = true;
    perform(session_.start(Clock::now()));
    if (session_.done()) finish();
    drain();
    busy_ = false;
    settle();
}

void Run::deliver(Event e, SteadyTime t) {
    if (finished_) return;
    inbox_.emplace_back(std::move(e), t);
    if (busy_) return;
    busy_ = true;
    drain();
    busy_ = false;
    settle();
}

void Run::drain() {
    while (!inbox_.empty() && !finished_) {
        auto [e, t] = std::move(inbox_.front());
        inbox_.pop_front();
        perform(session_.on_event(std::move(e), t));
        if (session_.done()) finish();
    }
}

void Run::perform(std::vector<Command> commands) {
    for (auto& c : commands) {
        auto it = conns_.find(c.client);
        if (c.kind == Command::Kind::connect) {
            if (it != conns_.end() && it->second) {
                // A remote connection's events already on their way are dropped on arrival.
                if (it->second->remote()) replaced_.insert(it->second->serial());
                drop(it->second);
            }
            auto conn = make_conn(*this, driver_, c);
            conns_[c.client] = conn;
            every_.push_back(conn);
            on_conn(conn, [c = std::move(c)](Conn& x) mutable { x.push(std::move(c)); });
        } else if (it != conns_.end() && it->second) {
            on_conn(it->second, [c = std::move(c)](Conn& x) mutable { x.push(std::move(c)); });
        } else if (c.kind != Command::Kind::release && !finished_) {
            inbox_.emplace_back(detail::error_event("not connected", c.client, c.connection), Clock::now());
        }
    }
}

void Run::settle() {
    if (finished_) return;
    if (session_.done()) return finish();
    rearm();
}

void Run::rearm() {
    auto d = session_.next_deadline();
    if (d == armed_) return;
    armed_ = d;
    unsigned g = ++gen_;
    if (!d) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(*d);
    timer_.async_wait([this, g](error_code ec) {
        if (ec || g != gen_ || finished_) return;
        on_timer();
    });
}

void Run::on_timer() {
    armed_.reset();
    SteadyTime now = Clock::now();
    auto d = session_.next_deadline();
    if (d && *d <= now) {
        busy_ = true;
        perform(session_.on_time(now));
        if (session_.done()) finish();
        drain();
        busy_ = false;
    }
    settle();
}

void Run::finish() {
    if (finished_) return;
    finished_ = true;
    ++gen_;
    timer_.cancel();
    inbox_.clear();
    // Armed first: maybe_complete() cancels it once the last connection is gone.
    hard_timer_.expires_after(driver_.target().release_timeout + std::chrono::seconds(1));
    hard_timer_.async_wait([this](error_code ec) {
        if (ec) return;
        for (auto& w : every_)
            if (auto c = w.lock()) drop(c);
        // Beast can leave a read and a close parked on each other with the socket gone; such
        // connections never end on their own. Give the others a moment, then complete
        // without them: the driver stops the io_context, whose shutdown frees them.
        hard_timer_.expires_after(std::chrono::milliseconds(250));
        hard_timer_.async_wait([this](error_code ec2) {
            if (ec2 || completed_) return;
            detach_all();
            live_ = 0;
            maybe_complete();
        });
    });
    auto conns = std::move(conns_);
    conns_.clear();
    for (auto& [name, c] : conns)
        if (c) on_conn(c, [](Conn& x) { x.finish(); });
    conns.clear();
    maybe_complete();
}

void Run::maybe_complete() {
    if (!finished_ || live_ != 0 || completed_) return;
    completed_ = true;
    hard_timer_.cancel();
    every_.clear();
    net::post(ex_, [this] { driver_.session_done(*this); });
}

} // namespace

std::unique_ptr<Driver> make_async_driver(const TargetOptions& target, int threads) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::make_unique<AsyncDriverImpl>(target, threads);
}

} // namespace pushcheck::drivers
