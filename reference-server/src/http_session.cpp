#include "http_session.hpp"

#include "nowtime/messages.hpp"
#include "websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace nowtime::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpSession::HttpSession(State& st, tcp::socket&& socket, Slot slot, std::size_t shard)
    : st_(st), ex_(socket.get_executor()), stream_(std::move(socket), st.ssl ? &*st.ssl : nullptr),
      slot_(std::move(slot)), shard_(shard) {}

HttpSession::~HttpSession() {
    if (key_) st_.leave_handshake(key_);
}

void HttpSession::run() {
    net::dispatch(ex_, [self = shared_from_this()] {
        self->key_ = self->st_.enter_handshake(self);
        if (!self->key_) return self->drop();
        self->start();
    });
}

void HttpSession::evict() {
    net::post(ex_, [self = shared_from_this()] { self->drop(); });
}

void HttpSession::start() {
    stream_.tcp().expires_after(st_.opts.handshake_timeout);
    if (stream_.is_tls()) {
        stream_.async_tls_handshake(net::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
            if (ec) return self->failed("TLS handshake", ec);
            self->read_request();
        });
    } else {
        read_request();
    }
}

void HttpSession::read_request() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(16 * 1024);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
}

void HttpSession::failed(const char* what, error_code ec) {
    // A peer that connects and leaves without a byte (a port probe) is not a failure.
    bool silent = ec == http::error::end_of_stream && parser_ && !parser_->got_some();
    if (!silent && !done_) {
        st_.hs_failures.fetch_add(1);
        st_.log(LogLevel::debug, std::string(what) + " failed: " + ec.message());
    }
    drop();
}

void HttpSession::on_request(error_code ec) {
    if (done_) return;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || !parser_ || !parser_->got_some())
        return failed("HTTP request", ec);
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) return bad_request(ec);
    if (ec) return failed("HTTP request", ec);
    auto& req = parser_->get();
    std::string_view path = room_of_target(req.target());
    if (beast::websocket::is_upgrade(req)) return upgrade();
    if (req.method() != http::verb::get) return respond(http::status::method_not_allowed, "method not allowed\n");
    if (path == "/healthz") return respond(http::status::ok, "ok");
    if (path == "/metrics")
        return respond(http::status::ok, to_prometheus(st_.metrics()), "text/plain; version=0.0.4; charset=utf-8");
    if (st_.find_room(path)) return respond(http::status::upgrade_required, "WebSocket upgrade required\n");
    respond(http::status::not_found, "not found\n");
}

// A request that is not HTTP gets a 4xx answer, not a bare close (RFC 9112 section 2.2).
void HttpSession::bad_request(error_code ec) {
    st_.hs_failures.fetch_add(1);
    st_.log(LogLevel::debug, "bad HTTP request: " + ec.message());
    if (ec == http::error::header_limit)
        return respond(http::status::request_header_fields_too_large, "request header too large\n");
    if (ec == http::error::body_limit) return respond(http::status::payload_too_large, "request body too large\n");
    respond(http::status::bad_request, "bad request: " + ec.message() + "\n");
}

void HttpSession::respond(http::status status, std::string body, const char* type) {
    res_ = {};
    res_.result(status);
    unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    res_.version(version == 10 ? 10 : 11);
    res_.set(http::field::server, "nowtime-server");
    res_.set(http::field::content_type, type);
    res_.keep_alive(false);
    res_.body() = std::move(body);
    res_.prepare_payload();
    stream_.tcp().expires_after(st_.opts.handshake_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](error_code, std::size_t) {
        if (self->done_) return;
        error_code ignored;
        self->stream_.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
        self->drop();
    });
}

void HttpSession::upgrade() {
    auto& req = parser_->get();
    if (slot_.reserve()) {
        st_.rejected.fetch_add(1);
        st_.refusal_log("refused an upgrade with 503: " + std::to_string(st_.connection_cap()) +
                        " connections open (--max-connections)");
        return respond(http::status::service_unavailable, "too many connections\n");
    }
    // RFC 6455 4.2.1: exactly one key; Beast would take the first of several.
    if (req.count(http::field::sec_websocket_key) != 1) {
        st_.hs_failures.fetch_add(1);
        return respond(http::status::bad_request, "one Sec-WebSocket-Key is required\n");
    }
    done_ = true;
    st_.leave_handshake(key_);
    key_ = 0;
    stream_.tcp().expires_never();  // the WebSocket's own timeouts take over
    // Bytes that came behind the request belong to the WebSocket.
    std::string early(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    stream_.unread(std::move(early));
    auto ws = std::make_shared<WebSocketSession>(st_, std::move(stream_), std::move(slot_), shard_);
    ws->run(parser_->release());
}

void HttpSession::drop() {
    if (done_) return;
    done_ = true;
    error_code ignored;
    stream_.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.tcp().socket().close(ignored);
}

} // namespace nowtime::detail
