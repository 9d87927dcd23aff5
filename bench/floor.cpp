// bench/floor: the minimal broadcaster that measures this machine's floor for one push.
// Beast does the WebSocket handshake; after that every tick writes one pre-built frame to
// each member with one non-blocking send(2), on one thread, without allocating. What
// this costs in CPU per delivered push is what the kernel's send path costs: no push
// server can go below it. Usage: floor [--port P] [--interval-ms MS]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

namespace {

// One text frame, header and payload in one buffer, rebuilt in place each tick.
struct Frame {
    char bytes[128];
    std::size_t size = 0;
    void set(std::chrono::system_clock::time_point t) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
        std::time_t secs = us / 1000000;
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char payload[100];
        int n = std::snprintf(payload, sizeof payload,
                              "{\"status\":200,\"event\":\"nowtime\",\"data\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ\"}",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                              static_cast<long long>(us % 1000000));
        bytes[0] = static_cast<char>(0x81);
        bytes[1] = static_cast<char>(n);
        std::memcpy(bytes + 2, payload, n);
        size = n + 2;
    }
};

} // namespace

int main(int argc, char** argv) {
    unsigned short port = 0;
    int interval_ms = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--port") port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
        else if (a == "--interval-ms") interval_ms = std::stoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "floor: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    net::io_context ioc(1);
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port));
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);

    std::vector<websocket::stream<tcp::socket>> members;
    members.reserve(20000);
    std::vector<int> fds;
    fds.reserve(20000);
    std::function<void()> accept_one = [&] {
        acceptor.async_accept([&](boost::system::error_code ec, tcp::socket s) {
            if (!ec) {
                websocket::stream<tcp::socket> ws(std::move(s));
                ws.accept(ec);  // the client sends its request at once
                if (!ec) {
                    static const std::string welcome = R"({"status":200,"event":"notification","data":"Welcome"})";
                    ws.write(net::buffer(welcome), ec);
                    ws.next_layer().non_blocking(true, ec);
                    fds.push_back(ws.next_layer().native_handle());
                    members.push_back(std::move(ws));
                }
            }
            accept_one();
        });
    };
    accept_one();

    net::steady_timer timer(ioc);
    Frame frame;
    auto next = std::chrono::steady_clock::now();
    std::function<void()> tick = [&] {
        next += std::chrono::milliseconds(interval_ms);
        timer.expires_at(next);
        timer.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            frame.set(std::chrono::system_clock::now());
            for (int& fd : fds)
                if (fd >= 0 && ::send(fd, frame.bytes, frame.size, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
                    fd = -1;  // gone: skipped from now on
            tick();
        });
    };
    tick();

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    ioc.run();
    return 0;
}
