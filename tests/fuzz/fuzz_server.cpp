// libFuzzer target: the reference server's connection handling over an in-memory stream (a
// socketpair). With NOWTIME_FUZZ_FRAMES the input follows a valid upgrade request, so it
// reaches the WebSocket session as client frames and messages; without, it is the HTTP
// request itself. Every run must end (timeouts are short) and nothing may crash or leak.
#include "http_session.hpp"
#include "state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace net = boost::asio;
using namespace nowtime;

namespace {

const std::string kUpgrade =
    "GET /nowtime HTTP/1.1\r\nHost: fuzz\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

ServerOptions fuzz_options() {
    ServerOptions o;
    o.log_level = LogLevel::off;
    o.handshake_timeout = std::chrono::milliseconds(50);
    o.max_message_bytes = 4096;
    o.max_unfinished_bytes = 8192;
    return o;
}

// Reads and discards what the server writes until it closes.
struct Sink {
    net::local::stream_protocol::socket& s;
    std::array<char, 4096> buf{};
    void next() {
        s.async_read_some(net::buffer(buf), [this](boost::system::error_code ec, std::size_t) {
            if (!ec) next();
        });
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    detail::State st(fuzz_options());
    detail::RoomEntry room;
    room.room = std::make_unique<detail::RoomT>("/nowtime");
    st.rooms.push_back(std::move(room));
    st.limit_connections(1 << 20);
    net::io_context ioc(1);
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 0;
    net::ip::tcp::socket server(ioc);
    server.assign(net::ip::tcp::v4(), fds[0]);  // a stream is a stream: Asio does not look at the family
    net::local::stream_protocol::socket client(ioc);
    client.assign(net::local::stream_protocol(), fds[1]);

    std::string input;
#ifdef NOWTIME_FUZZ_FRAMES
    input = kUpgrade;
#endif
    input.append(reinterpret_cast<const char*>(data), size);
    std::make_shared<detail::HttpSession>(st, std::move(server), detail::Slot(&st, {}, false))->run();
    net::async_write(client, net::buffer(input), [&](boost::system::error_code, std::size_t) {
        boost::system::error_code ignored;
        client.shutdown(net::socket_base::shutdown_send, ignored);
    });
    Sink sink{client};
    sink.next();
    ioc.run_for(std::chrono::seconds(2));
    return 0;
}
