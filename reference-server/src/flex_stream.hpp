// A TCP stream that speaks TLS or not, chosen at run time. The WebSocket and HTTP code is
// compiled once for it, and every handler is type-erased at this boundary, so the TCP and
// TLS read/write machinery is compiled once (in flex_stream.cpp) instead of once per
// Beast operation (build time). On plain TCP after the upgrade it is also the arbiter of
// the write side: Beast's writes and the shared pre-built frames go out through one
// ordered queue of whole frames (see flex_stream.cpp).
#pragma once
#include "nowtime/room.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nowtime::detail {

/// Plain TCP or TLS over TCP behind one AsyncStream interface.
class FlexStream {
public:
    using tcp_stream = boost::beast::tcp_stream;
    using tls_stream = boost::beast::ssl_stream<tcp_stream>;
    using executor_type = tcp_stream::executor_type;
    using error_code = boost::system::error_code;
    using IoHandler = boost::asio::any_completion_handler<void(error_code, std::size_t)>;
    using DoneHandler = boost::asio::any_completion_handler<void(error_code)>;
    // A read or write "some" may use fewer buffers than offered.
    using MutableBuffers = std::array<boost::asio::mutable_buffer, 16>;
    using ConstBuffers = std::array<boost::asio::const_buffer, 16>;

    /// Wraps an accepted or fresh socket; TLS when `ctx` is not null.
    FlexStream(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context* ctx);
    /// A not yet connected stream (client side); TLS when `ctx` is not null.
    FlexStream(const executor_type& ex, boost::asio::ssl::context* ctx);
    FlexStream(FlexStream&&) = default;
    ~FlexStream();

    /// Bytes already read from the peer (behind an HTTP request) that the next reads return first.
    void unread(std::string bytes) { unread_ = std::move(bytes); }

    executor_type get_executor() noexcept { return socket().get_executor(); }
    bool is_tls() const { return tls_.has_value(); }
    /// Before the upgrade (and on TLS): the TCP stream with Beast's timeouts.
    tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
    /// The TCP socket, before and after the upgrade.
    boost::asio::ip::tcp::socket& socket() { return bare_ ? *bare_ : tcp().socket(); }
    tls_stream* tls() { return tls_ ? &*tls_ : nullptr; }

    template <class MutableBufferSequence, class ReadHandler>
    void async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
        MutableBuffers b{};
        std::size_t i = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && i < b.size(); ++it)
            b[i++] = *it;
        read_some(b, IoHandler(std::forward<ReadHandler>(handler)));
    }

    template <class ConstBufferSequence, class WriteHandler>
    void async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
        ConstBuffers b{};
        std::size_t i = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && i < b.size(); ++it)
            b[i++] = *it;
        write_some(b, IoHandler(std::forward<WriteHandler>(handler)));
    }

    /// TLS only: the handshake, in the given role.
    void async_tls_handshake(boost::asio::ssl::stream_base::handshake_type type, DoneHandler handler);

    /// Used by Beast's timeouts and dirty shutdowns (found by argument-dependent lookup).
    friend void beast_close_socket(FlexStream& s) { s.close(); }

    /// The end of a WebSocket close handshake: TLS close_notify (when TLS), then TCP close.
    template <class TeardownHandler>
    friend void async_teardown(boost::beast::role_type role, FlexStream& s, TeardownHandler&& handler) {
        s.teardown(role, DoneHandler(std::forward<TeardownHandler>(handler)));
    }

    void close();

    /// Plain TCP only, after the upgrade: from now on every write, Beast's and
    /// write_frame()'s, goes through one ordered queue of whole frames. `owner` is kept
    /// alive while a wait for the socket to drain is pending. The socket leaves Beast's
    /// tcp_stream (its timers, ~0.5 KiB a connection): the WebSocket has its own timeouts.
    /// `*idle` is kept true exactly while a whole frame may be sent at once (nothing queued
    /// or awaited, not broken), so the owner's push path can test it without touching
    /// this object: then it sends itself, and hands any rest to sent_part().
    void arbitrate_writes(std::weak_ptr<void> owner, bool* idle) {
        owner_ = std::move(owner);
        bare_.emplace(plain_->release_socket());
        plain_.reset();
        fd_ = bare_->native_handle();
        arbiter_ = true;
        idle_ = idle;
        publish();
    }
    int native_handle() const { return fd_; }
    bool arbitrated() const { return arbiter_; }

    /// What write_frame() did with a frame.
    enum class Sent { now, queued, failed };
    /// Arbitrated streams only: writes one whole frame after everything queued before it,
    /// with one non-blocking send(2) when nothing is queued; the rest waits for the socket.
    /// `failed`: the connection is broken (the frame is dropped).
    Sent write_frame(const Payload& frame);
    /// After the owner's own send(2) of `frame` while idle returned `n` (errno `err` when
    /// negative): queues what was not sent, or fails the stream.
    Sent sent_part(const Payload& frame, ssize_t n, int err);
    /// Unsent bytes held for this stream: frames not yet written (the rest of a frame
    /// begun) plus their queue entries; the slow-consumer budget counts it.
    std::size_t queued_bytes() const { return queued_bytes_; }
    /// Whether nothing is queued or being written.
    bool write_idle() const { return head_ == out_.size(); }
    /// Drops queued frames that have not begun (a frame begun is finished, so the stream
    /// stays well-formed; Beast's write is kept).
    void discard_unstarted();
    /// Bytes of one queue entry, for the budget.
    static constexpr std::size_t kEntryBytes = sizeof(Payload) + sizeof(std::size_t);

    /// How long the end of a plain TCP close may take (draining the peer's last bytes).
    void teardown_timeout(std::chrono::milliseconds t) { teardown_timeout_ = t; }

private:
    void read_some(const MutableBuffers& b, IoHandler handler);
    void write_some(const ConstBuffers& b, IoHandler handler);
    void teardown(boost::beast::role_type role, DoneHandler handler);

    // One queued write: a shared frame from `offset` on, or (frame null) Beast's write.
    struct Out {
        Payload frame;
        std::size_t offset = 0;
    };
    // Beast's write in flight (its write lock allows one at a time): its buffers, how much
    // of them is written, and its handler, completed once all of them are written.
    struct BeastWrite {
        // Move-constructed: Asio 1.81's any_completion_handler move assignment recurses.
        explicit BeastWrite(IoHandler h) : handler(std::move(h)) {}
        ConstBuffers buffers{};
        std::size_t count = 0, total = 0, done = 0;
        IoHandler handler;
    };
    void flush();
    void publish() {
        if (idle_) *idle_ = write_idle() && !waiting_ && !broken_flag_;
    }
    void advance(std::size_t n);
    void wait_writable();
    void fail_writes(error_code ec);
    void complete_beast(error_code ec);
    std::size_t unsent(const Out& o) const;

    // The write arbiter (plain TCP after the upgrade), first: a push touches only this line.
    int fd_ = -1;            // the socket's descriptor, cached for the push path
    bool arbiter_ = false;
    bool waiting_ = false;   // a wait for the socket to become writable is pending
    bool broken_flag_ = false;
    std::size_t head_ = 0;
    std::vector<Out> out_;   // queue from head_ on; empty and unallocated when idle
    std::size_t queued_bytes_ = 0;
    std::unique_ptr<BeastWrite> beast_;  // only while Beast writes (the 101, pongs, pings, close)
    error_code broken_;      // the first write error: every later write fails with it
    std::weak_ptr<void> owner_;
    bool* idle_ = nullptr;   // the owner's copy of "a frame may go out at once"

    std::optional<tcp_stream> plain_;
    std::optional<boost::asio::ip::tcp::socket> bare_;  // plain TCP after the upgrade
    std::optional<tls_stream> tls_;
    std::chrono::milliseconds teardown_timeout_{5000};
    std::string unread_;
};

} // namespace nowtime::detail
