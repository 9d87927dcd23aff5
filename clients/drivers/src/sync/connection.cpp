// The sync driver's connection layer (see connection.hpp): the only translation unit of the
// sync driver that instantiates Beast's WebSocket stream.
#include "sync/connection.hpp"

#include "events.hpp"
#include "sync/frame_gate.hpp"
#include "sync/socket.hpp"
#include "ws_common.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace pushcheck::drivers::sync {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using engine::Command;
using engine::Event;
using Clock = std::chrono::steady_clock;
using detail::Stage;

/// One WebSocket connection of a client thread, plain (Tls = false) or TLS.
template <bool Tls>
class SyncConnImpl final : public SyncConn, private detail::Reporter {
    using Next = std::conditional_t<Tls, ssl::stream<PollSocket>, PollSocket>;
    using Gate = FrameGate<Next>;
    using Ws = websocket::stream<Gate>;

public:
    SyncConnImpl(ClientThread& w, int connection)
        : Reporter(w.client(), connection), w_(w), t_(w.setup().target), ws_(make_ws(w)) {}

    bool open() const override { return state_ == State::open; }
    int fd() override { return sock().fd(); }

    void connect(Command& c) override {
        unsigned short port = 0;
        if (auto failure = detail::connect_precheck(t_, c, w_.setup().tls_error, port))
            return fail_connect(std::move(*failure));
        state_ = State::connecting;
        SteadyTime deadline = Clock::now() + c.timeout;

        std::vector<sockaddr_storage> addrs;
        if (error_code ec = addresses(t_.url.host, t_.url.port, port, deadline, w_.waker(), addrs))
            return fail_stage(Stage::dns, ec, c);

        error_code ec;
        int fd = tcp_connect(addrs, deadline, w_.waker(), c.recv_buffer, t_.sources ? t_.sources->take() : std::string(), ec);
        if (fd < 0) return fail_stage(Stage::tcp, ec, c);
        sock().assign(fd);
        sock().set_deadline(deadline);

        if constexpr (Tls) {
            auto& tls = ws_.next_layer().next_layer();
            detail::prepare_tls(tls.native_handle(), t_.url.host, t_.insecure);
            tls.handshake(ssl::stream_base::client, ec);
            if (ec) return fail_stage(Stage::tls, ec, c);
        }

        detail::prepare_upgrade(ws_, t_, c);
        websocket::response_type res;
        ws_.next_layer().prelude().recording = true;
        ws_.handshake(res, detail::host_field(t_.url), detail::request_target(t_.url, c.path), ec);
        ws_.next_layer().prelude().recording = false;
        if (ec) return fail_stage(Stage::upgrade, ec, c, &res);
        state_ = State::open;
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::close) got_close_frame_ = true;
        });
        emit(detail::connected_event(t_, c.path, res, client_, connection_));
    }

    void send(Command& c) override {
        if (!require_open(c)) return;
        bool text = c.kind == Command::Kind::send_text;
        ws_.text(text);
        sock().set_deadline(Clock::now() + t_.io_timeout);
        error_code ec;
        ws_.write(net::buffer(c.data), ec);
        if (ec) return end_with(detail::write_ending(ec, ec == beast::error::timeout, t_.io_timeout,
                                                     t_.max_message_bytes));
        report_sent(!text, std::move(c.data));
    }

    void ping(Command& c) override {
        if (!require_open(c) || ping_too_long(c.data)) return;
        sock().set_deadline(Clock::now() + t_.io_timeout);
        error_code ec;
        ws_.ping(websocket::ping_data(c.data.data(), c.data.size()), ec);
        if (ec) end_with(detail::write_ending(ec, ec == beast::error::timeout, t_.io_timeout, t_.max_message_bytes));
    }

    void close(Command& c) override {
        if (!require_open(c) || reason_too_long(c.reason)) return;
        state_ = State::closing;
        report_close_sent(c.code, c.reason);
        sock().set_deadline(Clock::now() + t_.close_timeout);
        error_code ec;
        ws_.close(websocket::close_reason(static_cast<websocket::close_code>(c.code), c.reason), ec);
        end_with(detail::close_ending(ec, {}, ws_.reason(), ec == beast::error::timeout, t_.close_timeout));
    }

    void abort(Command& c) override {
        if (!require_open(c)) return;
        sock().reset_close();
        end_with(detail::abort_ending());
    }

    // Writes up to c.count frames, each once the socket has room for it, until c.timeout; never reads.
    void flood(Command& c) override {
        if (!require_open(c) || (!c.flood_text && ping_too_long(c.data))) return;
        if (!c.flood_text) {
            flood_payload_ = c.data;  // its pongs are not reported one by one
            flood_pongs_hidden_ = true;
        }
        ws_.text(true);
        detail::Flood f(c);
        error_code wec;
        while (f.more()) {
            if (wait_fd(sock().fd(), POLLOUT, f.limit, w_.waker())) {
                f.time_limit();
                break;
            }
            sock().set_deadline(Clock::now() + t_.io_timeout);
            if (c.flood_text)
                ws_.write(net::buffer(c.data), wec);
            else
                ws_.ping(websocket::ping_data(c.data.data(), c.data.size()), wec);
            if (wec) {
                f.stopped = "write failed: " + detail::error_text(wec, t_.max_message_bytes);
                break;
            }
            f.wrote();
        }
        emit(f.event(client_, connection_));
        if (wec)
            end_with(detail::write_ending(wec, wec == beast::error::timeout, t_.io_timeout, t_.max_message_bytes));
    }

    void release() override {
        quiet_ = true;
        if (state_ == State::open) {
            sock().set_deadline(Clock::now() + t_.release_timeout);
            error_code ec;
            ws_.close(websocket::close_code::normal, ec);
        }
        drop_now();
    }

    void drop_now() override {
        quiet_ = true;
        state_ = State::closed;
        sock().close();
    }

    bool service() override {
        if (state_ != State::open) return false;
        sock().set_deadline(Clock::now() + t_.io_timeout);  // for pong replies
        bool more = false;
        error_code end = gate().fill_available(more);
        FrameScanner& sc = gate().scanner();
        while (state_ == State::open && sc.has_message()) {
            controls(sc.front_end());
            if (state_ != State::open) return false;
            FrameScanner::Arrival at = sc.front_arrival();
            std::string data;
            auto buffer = net::dynamic_buffer(data);
            sock().set_deadline(Clock::now() + t_.io_timeout);
            error_code ec;
            std::size_t n = ws_.read(buffer, ec);
            if (ec) {
                end_with(detail::read_ending(ec, ws_.reason(), got_close_frame_, t_.max_message_bytes));
                return false;
            }
            report_received(ws_.got_binary(), n, std::move(data), at.t, at.wall_us);
        }
        controls(UINT64_MAX);
        if (state_ == State::open && end) {
            end_with(detail::read_ending(end, ws_.reason(), got_close_frame_, t_.max_message_bytes));
            return false;
        }
        return more && state_ == State::open;
    }

private:
    static Ws make_ws(ClientThread& w) {
        PollSocket::Init init{w.setup().ioc.get_executor(), &w.waker()};
        if constexpr (Tls)
            return Ws(w.setup().target.max_message_bytes, init, w.setup().tls);
        else
            return Ws(w.setup().target.max_message_bytes, init);
    }

    Gate& gate() { return ws_.next_layer(); }
    PollSocket& sock() { return gate().socket(); }

    void deliver(Event e, SteadyTime t) override { w_.emit(std::move(e), t); }
    void close_socket() override { sock().close(); }

    // Answers pings and reports pongs that came before stream position `before`.
    void controls(std::uint64_t before) {
        for (auto& c : gate().scanner().take_controls(before)) {
            if (state_ != State::open) continue;
            if (c.ping) {
                sock().set_deadline(Clock::now() + t_.io_timeout);
                error_code ec;
                ws_.pong(websocket::ping_data(c.payload.data(), c.payload.size()), ec);
                if (ec)
                    end_with(detail::write_ending(ec, ec == beast::error::timeout, t_.io_timeout,
                                                  t_.max_message_bytes));
            } else if (!(flood_pongs_hidden_ && c.payload == flood_payload_)) {
                report_pong(std::move(c.payload), c.at.t, c.at.wall_us);
            }
        }
    }

    void fail_stage(Stage stage, const error_code& ec, const Command& c,
                    const websocket::response_type* res = nullptr) {
        fail_connect(detail::stream_failure<Tls>(ws_, stage, ec, ec == beast::error::timeout, t_, c, res));
    }

    ClientThread& w_;
    const TargetOptions& t_;
    Ws ws_;
    bool got_close_frame_ = false;
    std::string flood_payload_;
    bool flood_pongs_hidden_ = false;
};

} // namespace

std::unique_ptr<SyncConn> make_connection(ClientThread& thread, int connection) {
    if (thread.setup().target.url.tls) return std::make_unique<SyncConnImpl<true>>(thread, connection);
    return std::make_unique<SyncConnImpl<false>>(thread, connection);
}

} // namespace pushcheck::drivers::sync
