// A room member: the WebSocket accept, the welcome, pushes through a byte-budgeted write
// queue, the client's messages, and every way of closing. Lives as long as it has an
// operation pending; its lifecycle is one Phase, not a set of flags. Everything it does
// runs on the one thread (io_context) that owns it, the room's shard for that thread
// included. On plain TCP its messages are pre-built frames written through FlexStream's
// write arbiter; on TLS they go through Beast's writes and the queue here.
#pragma once
#include "flex_stream.hpp"
#include "state.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace nowtime::detail {

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
public:
    WebSocketSession(State& st, FlexStream&& stream, Slot slot, std::size_t shard);
    ~WebSocketSession();

    /// Completes the upgrade for `req` and joins the room its path names.
    void run(boost::beast::http::request<boost::beast::http::string_body> req);

    /// Called by the room on this session's thread: writes or queues a push unless the
    /// budget is spent.
    SendResult send(const Payload& p);
    /// Called by the room (this session's thread) after it removed this member for passing the budget.
    void cut_off();
    /// Called by the room a few members ahead of send(): loads what send() reads first.
    void prefetch() const { __builtin_prefetch(&phase_); }

    /// The server is stopping: close with 1001 (going away).
    void go_away();

private:
    using error_code = boost::system::error_code;
    using close_reason = boost::beast::websocket::close_reason;

    enum class Phase : std::uint8_t {
        accepting,  // the upgrade response is being written
        joined,     // a room member: pushes are delivered
        leaving,    // out of the room; queued messages (bye, notice) go out, then maybe a close
        closing,    // our close frame is on its way; nothing else is written
        closed,     // the socket is done
    };

    // One message queued for Beast's writes (TLS); `close_after` (a close code, 0: none)
    // closes once it is written.
    struct Outgoing {
        Payload payload;
        std::uint16_t close_after = 0;
    };
    // What one queued message costs, counted against the slow-consumer budget.
    static std::size_t cost(const Payload& p) { return p->payload().size() + sizeof(Outgoing); }
    bool raw() const { return raw_ != nullptr; }

    void on_accept(error_code ec, const std::string& path);
    void own_tick(std::chrono::steady_clock::time_point due);
    void do_read();
    void read_on();
    void on_read(error_code ec);
    void on_message();
    void hold_unfinished();
    void release_unfinished();
    void on_control(boost::beast::websocket::frame_type kind);
    void on_close_request();
    void reply(const Payload& p, std::uint16_t close_after = 0);
    void enqueue(const Payload& p, std::uint16_t close_after = 0);
    void do_write();
    void on_write(error_code ec);
    void discard_queue();
    void close_with_deadline(close_reason reason, std::optional<std::chrono::milliseconds> grace = std::nullopt,
                             bool keep_queue = false);
    void set_phase(Phase p);
    boost::asio::steady_timer& guard();
    void cancel_guard();
    void end(error_code ec, const char* what);
    void drop();

    // What a push touches comes first: phase_, write_now_ and fd_ share one cache line.
    FlexStream* raw_ = nullptr;  // plain TCP: the stream's write arbiter; TLS: null
    Phase phase_ = Phase::accepting;
    bool write_now_ = false;     // kept by raw_: a whole frame may be sent at once on fd_
    int fd_ = -1;                // raw_'s descriptor
    SendBudget budget_;
    State& st_;
    boost::beast::websocket::stream<FlexStream> ws_;
    std::unique_ptr<boost::beast::http::request<boost::beast::http::string_body>> req_;  // until accepted
    boost::beast::flat_buffer buffer_;
    // An unfinished message's deadline, then the close's grace; made when first needed.
    std::unique_ptr<boost::asio::steady_timer> guard_;
    std::unique_ptr<boost::asio::steady_timer> own_timer_;  // per_connection_timer fault only
    std::vector<Outgoing> queue_;  // TLS only: from qhead_ on, unallocated when empty
    std::size_t qhead_ = 0;
    Slot slot_;
    std::size_t shard_;  // this thread's shard of the room
    RoomEntry* room_ = nullptr;
    bool writing_ = false;  // TLS: one write in flight (orthogonal to the phase)
    std::size_t unfinished_ = 0;  // bytes of an incomplete message counted in the state
    // Bound to every read, write and close: drop() emits on them, because Beast 1.81 can
    // leave a read and a close each waiting for the other's lock with no I/O pending
    // (a peer sending a bad frame while our close is under way), and closing the socket
    // alone would then never complete them.
    boost::asio::cancellation_signal read_cancel_, write_cancel_, close_cancel_;
};

} // namespace nowtime::detail
