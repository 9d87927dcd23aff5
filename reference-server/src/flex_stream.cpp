// The one place where TCP and TLS reads, writes and teardowns are instantiated.
#include "flex_stream.hpp"

#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <boost/asio/post.hpp>

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
    else
        plain_->async_read_some(b, std::move(call));
}

void FlexStream::write_some(const ConstBuffers& b, IoHandler handler) {
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
struct Drain : std::enable_shared_from_this<Drain> {
    Drain(FlexStream::tcp_stream& s, boost::beast::role_type r, DoneCall c) : stream(s), role(r), call(std::move(c)) {}

    void next() {
        stream.async_read_some(boost::asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec,
                                                                                    std::size_t) {
            if (!ec) return self->next();
            if (ec == boost::asio::error::eof) ec = {};
            boost::system::error_code ignored;
            if (self->role == boost::beast::role_type::client)
                self->stream.socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
            self->stream.socket().close(ignored);
            std::move(self->call)(ec);
        });
    }

    FlexStream::tcp_stream& stream;
    boost::beast::role_type role;
    DoneCall call;
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
    boost::system::error_code ignored;
    if (role == boost::beast::role_type::server) plain_->socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
    plain_->expires_after(teardown_timeout_);
    std::make_shared<Drain>(*plain_, role, std::move(call))->next();
}

void FlexStream::close() {
    boost::system::error_code ec;
    tcp().socket().close(ec);
}

} // namespace nowtime::detail
