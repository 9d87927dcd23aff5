// A connection before its upgrade: the TLS handshake (wss), one HTTP request, and either an
// HTTP answer (/healthz, /metrics, 4xx/5xx) or the hand-over to a WebSocket session.
#pragma once
#include "flex_stream.hpp"
#include "state.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>

namespace nowtime::detail {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    /// `shard`: the I/O thread that owns `socket` (its index among the server's threads).
    HttpSession(State& st, boost::asio::ip::tcp::socket&& socket, Slot slot, std::size_t shard = 0);
    ~HttpSession();
    void run();
    /// Drops the connection (descriptors short, or the server stopping); any thread.
    void evict();

private:
    using error_code = boost::system::error_code;
    void start();
    void read_request();
    void on_request(error_code ec);
    void bad_request(error_code ec);
    void respond(boost::beast::http::status status, std::string body,
                 const char* type = "text/plain; charset=utf-8");
    void upgrade();
    void failed(const char* what, error_code ec);
    void drop();

    State& st_;
    FlexStream::executor_type ex_;
    FlexStream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> res_;
    Slot slot_;
    std::size_t shard_;
    std::uint64_t key_ = 0;  // in the state's handshake list
    bool done_ = false;      // dropped or handed over: the stream is no longer ours
};

} // namespace nowtime::detail
