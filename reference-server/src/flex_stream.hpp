// A TCP stream that speaks TLS or not, chosen at run time. The WebSocket and HTTP code is
// compiled once for it, and every handler is type-erased at this boundary, so the TCP and
// TLS read/write machinery is compiled once (in flex_stream.cpp) instead of once per
// Beast operation (build time).
#pragma once
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

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

    executor_type get_executor() noexcept { return tcp().get_executor(); }
    bool is_tls() const { return tls_.has_value(); }
    tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
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

    /// How long the end of a plain TCP close may take (draining the peer's last bytes).
    void teardown_timeout(std::chrono::milliseconds t) { teardown_timeout_ = t; }

private:
    void read_some(const MutableBuffers& b, IoHandler handler);
    void write_some(const ConstBuffers& b, IoHandler handler);
    void teardown(boost::beast::role_type role, DoneHandler handler);

    std::optional<tcp_stream> plain_;
    std::optional<tls_stream> tls_;
    std::chrono::milliseconds teardown_timeout_{5000};
    std::string unread_;
};

} // namespace nowtime::detail
