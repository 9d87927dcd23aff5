// The test client's Beast code (the one Beast translation unit of the integration tests).
#include "ws_client.hpp"

#include "flex_stream.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace test_client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nowtime::detail::FlexStream;

bool is_closed(const error_code& ec) { return ec == websocket::error::closed; }
bool is_timeout(const error_code& ec) { return ec == beast::error::timeout; }
error_code timeout_error() { return beast::error::timeout; }

namespace {

// One completion handler type for every operation, so each Beast operation is compiled once.
struct Done {
    std::optional<error_code>* result;
    std::size_t* transferred;
    void operator()(error_code ec, std::size_t n = 0) const {
        *result = ec;
        if (transferred) *transferred = n;
    }
};

std::optional<ssl::context> make_tls(const Tls& tls) {
    std::optional<ssl::context> ctx(std::in_place, ssl::context::tls_client);
    error_code ec;
    ctx->load_verify_file(tls.ca_file, ec);
    ctx->set_verify_mode(ssl::verify_peer, ec);
    ctx->set_verify_callback(ssl::host_name_verification(tls.host_name), ec);
    return ctx;
}

} // namespace

struct Client::Impl {
    explicit Impl(const Tls* tls)
        : tls_ctx(tls ? make_tls(*tls) : std::nullopt), ws(ioc.get_executor(), tls_ctx ? &*tls_ctx : nullptr) {}

    beast::tcp_stream& tcp() { return ws.next_layer().tcp(); }

    // Starts one operation and runs until it is done or the deadline passes; a late
    // operation is cancelled by closing the socket.
    template <class Start>
    error_code run(ms timeout, Start start, std::size_t* transferred = nullptr) {
        std::optional<error_code> result;
        start(Done{&result, transferred});
        ioc.restart();
        auto deadline = Clock::now() + timeout;
        while (!result && Clock::now() < deadline) ioc.run_one_until(deadline);
        if (result) return *result;
        error_code ignored;
        tcp().socket().close(ignored);
        ioc.restart();
        while (!result && ioc.run_one_for(ms(1000)) != 0) {
        }
        return beast::error::timeout;
    }

    error_code write(const std::string& data, ms timeout) {
        return run(timeout, [&](Done d) { ws.async_write(net::buffer(data), d); });
    }

    std::optional<ssl::context> tls_ctx;  // must outlive `ws`
    net::io_context ioc;
    websocket::stream<FlexStream> ws;
    beast::flat_buffer buffer;
};


Client::Client() : impl_(std::make_unique<Impl>(nullptr)) {}

Client::Client(const Tls& tls) : impl_(std::make_unique<Impl>(&tls)) {}

Client::~Client() = default;

void Client::receive_buffer(int bytes) {
    error_code ec;
    impl_->tcp().socket().open(tcp::v4(), ec);
    impl_->tcp().socket().set_option(net::socket_base::receive_buffer_size(bytes), ec);
}

error_code Client::connect_tcp(unsigned short port, ms timeout) {
    tcp::endpoint ep(net::ip::make_address_v4("127.0.0.1"), port);
    auto& im = *impl_;
    auto ec = im.run(timeout, [&](Done d) { im.tcp().socket().async_connect(ep, d); });
    if (ec || !im.ws.next_layer().is_tls()) return ec;
    return im.run(timeout, [&](Done d) { im.ws.next_layer().async_tls_handshake(ssl::stream_base::client, d); });
}

error_code Client::connect(unsigned short port, const std::string& path, int* http_status, ms timeout) {
    if (auto ec = connect_tcp(port, timeout)) return ec;
    auto& im = *impl_;
    websocket::response_type res;
    auto ec = im.run(timeout, [&](Done d) {
        im.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), path, d);
    });
    if (http_status) *http_status = static_cast<int>(res.result_int());
    return ec;
}

Received Client::read(ms timeout) {
    auto& im = *impl_;
    Received r;
    im.buffer.clear();
    r.ec = im.run(timeout, [&](Done d) { im.ws.async_read(im.buffer, d); });
    r.at = Clock::now();
    if (!r.ec) {
        r.text = beast::buffers_to_string(im.buffer.data());
        r.binary = im.ws.got_binary();
    }
    return r;
}

Received Client::read_raw(ms timeout) {
    auto& im = *impl_;
    Received r;
    char buf[512];
    std::size_t n = 0;
    r.ec = im.run(timeout, [&](Done d) { im.ws.next_layer().async_read_some(net::buffer(buf), d); }, &n);
    r.at = Clock::now();
    r.text.assign(buf, n);
    return r;
}

error_code Client::send_raw(const std::string& bytes, ms timeout) {
    auto& im = *impl_;
    return im.run(timeout, [&](Done d) { net::async_write(im.ws.next_layer(), net::buffer(bytes), d); });
}

error_code Client::send_text(const std::string& text, ms timeout) {
    impl_->ws.text(true);
    return impl_->write(text, timeout);
}

error_code Client::send_binary(const std::string& data, ms timeout) {
    impl_->ws.binary(true);
    return impl_->write(data, timeout);
}

error_code Client::close(ms timeout) {
    auto& im = *impl_;
    return im.run(timeout, [&](Done d) { im.ws.async_close(websocket::close_code::normal, d); });
}

void Client::reset() {
    error_code ec;
    impl_->tcp().socket().set_option(net::socket_base::linger(true, 0), ec);
    impl_->tcp().socket().close(ec);
}

int Client::close_code() const { return impl_->ws.reason().code; }

Received Client::read_past_pushes(int& pushes, ms timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<ms>(deadline - Clock::now());
        if (left <= ms(0)) {
            Received late;
            late.ec = beast::error::timeout;
            late.at = Clock::now();
            return late;
        }
        Received r = read(left);
        if (r.ec || r.text.find("\"event\":\"nowtime\"") == std::string::npos) return r;
        ++pushes;
    }
}

std::optional<HttpResponse> http_get(unsigned short port, const std::string& target, ms timeout) {
    net::io_context ioc;
    FlexStream stream(ioc.get_executor(), nullptr);
    stream.tcp().expires_after(timeout);  // bounds every step below
    std::optional<error_code> result;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    stream.tcp().async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port), [&](error_code ec) {
        if (ec) return void(result = ec);
        http::async_write(stream, req, [&](error_code ec, std::size_t) {
            if (ec) return void(result = ec);
            http::async_read(stream, buffer, res, [&](error_code ec, std::size_t) { result = ec; });
        });
    });
    ioc.run();
    if (!result || *result) return std::nullopt;
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = res.body();
    return out;
}

} // namespace test_client
