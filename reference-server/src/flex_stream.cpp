// The one place where TCP and TLS reads, writes and teardowns are instantiated.
#include "flex_stream.hpp"

#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace nowtime::detail {

namespace {

// Gives an erased handler the stream's executor as its associated executor: Asio 1.81's
// any_completion_executor cannot be posted to with blocking.never, which Beast needs.
template <class Handler, class... Args>
struct OnExecutor {
    using executor_type = FlexStream::executor_type;
    Handler handler;
    executor_type ex;
    executor_type get_executor() const noexcept { return ex; }
    void operator()(Args... args) { std::move(handler)(args...); }
};

using IoCall = OnExecutor<FlexStream::IoHandler, boost::system::error_code, std::size_t>;
using DoneCall = OnExecutor<FlexStream::DoneHandler, boost::system::error_code>;

} // namespace

FlexStream::FlexStream(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context* ctx) {
    if (ctx)
        tls_.emplace(std::move(socket), *ctx);
    else
        plain_.emplace(std::move(socket));
}

FlexStream::FlexStream(const executor_type& ex, boost::asio::ssl::context* ctx) {
    if (ctx)
        tls_.emplace(ex, *ctx);
    else
        plain_.emplace(ex);
}

FlexStream::~FlexStream() = default;

void FlexStream::read_some(const MutableBuffers& b, IoHandler handler) {
    IoCall call{std::move(handler), get_executor()};
    if (!unread_.empty()) {
        std::size_t n = boost::asio::buffer_copy(b, boost::asio::buffer(unread_));
        unread_.erase(0, n);
        boost::asio::post(get_executor(), [call = std::move(call), n]() mutable {
            std::move(call)(boost::system::error_code{}, n);
        });
        return;
    }
    if (tls_)
        tls_->async_read_some(b, std::move(call));
    else if (bare_)
        bare_->async_read_some(b, std::move(call));
    else
        plain_->async_read_some(b, std::move(call));
}

void FlexStream::write_some(const ConstBuffers& b, IoHandler handler) {
    if (arbiter_) {
        auto w = std::make_unique<BeastWrite>(std::move(handler));
        w->buffers = b;
        for (auto& x : b) {
            if (x.size() == 0) break;
            w->total += x.size();
            ++w->count;
        }
        beast_ = std::move(w);
        if (broken_ || beast_->total == 0) return complete_beast(broken_);
        out_.push_back({});
        if (head_ + 1 == out_.size() && !waiting_) flush();
        publish();
        return;
    }
    IoCall call{std::move(handler), get_executor()};
    if (tls_)
        tls_->async_write_some(b, std::move(call));
    else
        plain_->async_write_some(b, std::move(call));
}

void FlexStream::async_tls_handshake(boost::asio::ssl::stream_base::handshake_type type, DoneHandler handler) {
    tls_->async_handshake(type, DoneCall{std::move(handler), get_executor()});
}

namespace {

// Reads and discards until the peer's FIN (or an error, or the stream's deadline), so
// that closing never meets unread bytes, which would turn the close into a TCP reset.
// (Beast 1.81's TCP teardown stops after one wait and can leave the peer's close frame
// unread when the server fails a connection, e.g. for a message that is too big.)
// Its own deadline closes the socket: past it the teardown reports a timeout.
struct Drain : std::enable_shared_from_this<Drain> {
    Drain(boost::asio::ip::tcp::socket& s, boost::beast::role_type r, DoneCall c)
        : socket(s), role(r), call(std::move(c)), deadline(s.get_executor()) {}

    void start(std::chrono::milliseconds limit) {
        deadline.expires_after(limit);
        deadline.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;
            self->timed_out = true;
            boost::system::error_code ignored;
            self->socket.close(ignored);
        });
        next();
    }

    void next() {
        socket.async_read_some(boost::asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec,
                                                                                    std::size_t) {
            if (!ec) return self->next();
            if (ec == boost::asio::error::eof) ec = {};
            if (self->timed_out) ec = boost::beast::error::timeout;
            self->deadline.cancel();
            boost::system::error_code ignored;
            if (self->role == boost::beast::role_type::client)
                self->socket.shutdown(boost::asio::socket_base::shutdown_send, ignored);
            self->socket.close(ignored);
            std::move(self->call)(ec);
        });
    }

    boost::asio::ip::tcp::socket& socket;
    boost::beast::role_type role;
    DoneCall call;
    boost::asio::steady_timer deadline;
    bool timed_out = false;
    std::array<char, 2048> buf;
};

} // namespace

void FlexStream::teardown(boost::beast::role_type role, DoneHandler handler) {
    DoneCall call{std::move(handler), get_executor()};
    if (tls_) {
        using boost::beast::websocket::async_teardown;
        async_teardown(role, *tls_, std::move(call));
        return;
    }
    broken_flag_ = true;  // the close frame went out: nothing more is written
    if (!broken_) broken_ = boost::asio::error::shut_down;
    fd_ = -1;
    publish();
    boost::system::error_code ignored;
    if (role == boost::beast::role_type::server) socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
    std::make_shared<Drain>(socket(), role, std::move(call))->start(teardown_timeout_);
}

//--- The write arbiter ----------------------------------------------------------------------
//
// After the upgrade on plain TCP, two writers share the socket: Beast (the 101 response,
// pongs it sends from inside its read, pings, close frames) and the session's pre-built
// frames (welcome, pushes, bye). Both go through one FIFO of whole frames, drained with
// non-blocking sendmsg(2): an entry is written completely before the next one begins, and
// Beast's write_some() completes only when all its buffers are written (so each of its
// calls, a whole frame since auto-fragmenting is off, is atomic on the wire). Hence no
// frame is ever interleaved inside another, whatever the order of the calls. With nothing
// queued a frame costs one send(2) and no allocation (the session makes that call itself
// while the flag published here says so, and hands any rest to sent_part()); what the kernel does not take waits
// in the queue (the frame shared, not copied) for one async wait on writability, and the
// next drain writes everything queued in one gathered sendmsg(2). TLS keeps Beast's writes.

std::size_t FlexStream::unsent(const Out& o) const {
    return o.frame ? o.frame->size() - o.offset : beast_->total - beast_->done;
}

FlexStream::Sent FlexStream::write_frame(const Payload& frame) {
    if (broken_flag_) return Sent::failed;
    if (write_idle() && !waiting_) {
        ssize_t n = ::send(fd_, frame->bytes.data(), frame->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        return sent_part(frame, n, n < 0 ? errno : 0);
    }
    out_.push_back({frame, 0});
    queued_bytes_ += kEntryBytes + frame->size();
    publish();
    return Sent::queued;
}

FlexStream::Sent FlexStream::sent_part(const Payload& frame, ssize_t n, int err) {
    if (n == static_cast<ssize_t>(frame->size())) return Sent::now;
    if (n < 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        fail_writes(error_code(err, boost::system::system_category()));
        return Sent::failed;
    }
    out_.push_back({frame, n > 0 ? static_cast<std::size_t>(n) : 0});
    queued_bytes_ += kEntryBytes + unsent(out_.back());
    wait_writable();
    publish();
    return Sent::queued;
}

void FlexStream::flush() {
    constexpr std::size_t kIov = 64;
    while (!write_idle()) {
        iovec iov[kIov];
        std::size_t n = 0;
        for (std::size_t i = head_; i < out_.size() && n < kIov; ++i) {
            const Out& o = out_[i];
            if (o.frame) {
                iov[n++] = {const_cast<char*>(o.frame->bytes.data()) + o.offset, o.frame->size() - o.offset};
                continue;
            }
            std::size_t skip = beast_->done;
            for (std::size_t k = 0; k < beast_->count && n < kIov; ++k) {
                const auto& b = beast_->buffers[k];
                if (skip >= b.size()) {
                    skip -= b.size();
                    continue;
                }
                iov[n++] = {const_cast<char*>(static_cast<const char*>(b.data())) + skip, b.size() - skip};
                skip = 0;
            }
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = n;
        ssize_t w = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable();
            return fail_writes(error_code(errno, boost::system::system_category()));
        }
        advance(static_cast<std::size_t>(w));
    }
}

// `n` bytes left from the head of the queue: finished entries are popped (Beast's is completed).
void FlexStream::advance(std::size_t n) {
    while (n > 0 && !write_idle()) {
        Out& o = out_[head_];
        std::size_t left = unsent(o);
        std::size_t take = std::min(n, left);
        n -= take;
        if (o.frame) {
            o.offset += take;
            queued_bytes_ -= take;
        } else {
            beast_->done += take;
        }
        if (take < left) break;
        if (o.frame) queued_bytes_ -= kEntryBytes;
        bool beast = !o.frame;
        o.frame.reset();
        ++head_;
        if (beast) complete_beast({});
    }
    if (write_idle()) {
        head_ = 0;
        std::vector<Out>().swap(out_);  // an idle member holds no queue
    }
}

void FlexStream::wait_writable() {
    if (waiting_) return;
    waiting_ = true;
    socket().async_wait(boost::asio::socket_base::wait_write, [this, keep = owner_.lock()](error_code ec) {
        waiting_ = false;
        if (ec) return fail_writes(ec);
        flush();
        publish();
    });
}

// The connection is broken: nothing more is written, and Beast's write (if any) fails.
void FlexStream::fail_writes(error_code ec) {
    if (!broken_) broken_ = ec;
    broken_flag_ = true;
    bool beast = false;
    for (std::size_t i = head_; i < out_.size(); ++i) beast = beast || !out_[i].frame;
    out_.clear();
    head_ = 0;
    queued_bytes_ = 0;
    publish();
    if (beast) complete_beast(broken_);
}

// Beast's handler runs later, never inside its own initiating call (Asio's rule).
void FlexStream::complete_beast(error_code ec) {
    auto w = std::move(beast_);
    std::size_t n = ec ? w->done : w->total;
    boost::asio::post(get_executor(), [call = IoCall{std::move(w->handler), get_executor()}, ec, n]() mutable {
        std::move(call)(ec, n);
    });
}

void FlexStream::discard_unstarted() {
    std::size_t w = 0;
    for (std::size_t i = head_; i < out_.size(); ++i) {
        Out& o = out_[i];
        if (o.frame && o.offset == 0) {  // not begun: dropped
            queued_bytes_ -= kEntryBytes + o.frame->size();
            continue;
        }
        if (w != i) out_[w] = std::move(o);  // begun, or Beast's: kept in order
        ++w;
    }
    out_.resize(w);
    head_ = 0;
    if (w == 0) std::vector<Out>().swap(out_);
    publish();
}

// Once closed, the cached descriptor is never written again (its number may be reused).
void FlexStream::close() {
    broken_flag_ = true;
    if (!broken_) broken_ = boost::asio::error::bad_descriptor;
    fd_ = -1;
    publish();
    boost::system::error_code ec;
    socket().close(ec);
}

} // namespace nowtime::detail
