// A TCP stream that speaks TLS or not, chosen at run time, so that the WebSocket and
// HTTP code is compiled once instead of once per stream type (build time).
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <optional>
#include <utility>

namespace nowtime::detail {

/// Plain TCP or TLS over TCP behind one AsyncStream interface.
class FlexStream {
public:
    using tcp_stream = boost::beast::tcp_stream;
    using tls_stream = boost::beast::ssl_stream<tcp_stream>;
    using executor_type = tcp_stream::executor_type;

    /// Wraps an accepted or fresh socket; TLS when `ctx` is not null.
    FlexStream(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context* ctx) {
        if (ctx)
            tls_.emplace(std::move(socket), *ctx);
        else
            plain_.emplace(std::move(socket));
    }
    /// A not yet connected stream (client side); TLS when `ctx` is not null.
    FlexStream(const executor_type& ex, boost::asio::ssl::context* ctx) {
        if (ctx)
            tls_.emplace(ex, *ctx);
        else
            plain_.emplace(ex);
    }

    executor_type get_executor() noexcept { return tcp().get_executor(); }
    bool is_tls() const { return tls_.has_value(); }
    tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
    tls_stream* tls() { return tls_ ? &*tls_ : nullptr; }

    template <class MutableBufferSequence, class ReadHandler>
    void async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
        if (tls_)
            tls_->async_read_some(buffers, std::forward<ReadHandler>(handler));
        else
            plain_->async_read_some(buffers, std::forward<ReadHandler>(handler));
    }

    template <class ConstBufferSequence, class WriteHandler>
    void async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
        if (tls_)
            tls_->async_write_some(buffers, std::forward<WriteHandler>(handler));
        else
            plain_->async_write_some(buffers, std::forward<WriteHandler>(handler));
    }

    /// Used by Beast's timeouts and dirty shutdowns (found by argument-dependent lookup).
    friend void beast_close_socket(FlexStream& s) {
        boost::system::error_code ec;
        s.tcp().socket().close(ec);
    }

    /// The end of a WebSocket close handshake: TLS close_notify (when TLS), then TCP close.
    template <class TeardownHandler>
    friend void async_teardown(boost::beast::role_type role, FlexStream& s, TeardownHandler&& handler) {
        using boost::beast::websocket::async_teardown;
        if (s.tls_)
            async_teardown(role, *s.tls_, std::forward<TeardownHandler>(handler));
        else
            async_teardown(role, *s.plain_, std::forward<TeardownHandler>(handler));
    }

private:
    std::optional<tcp_stream> plain_;
    std::optional<tls_stream> tls_;
};

} // namespace nowtime::detail
