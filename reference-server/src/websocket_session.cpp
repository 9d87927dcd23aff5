#include "websocket_session.hpp"

#include "nowtime/messages.hpp"
#include "ticker.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

namespace nowtime::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// How long a close may wait behind a stuck write before the socket is dropped.
constexpr std::chrono::milliseconds kGrace{1000};
// A read appends at most this much, so an unfinished message holds only what arrived.
constexpr std::size_t kReadChunk = 1024;
// The first read of a message prepares only this much: an idle member (a read always
// pending) holds this, not kReadChunk. The protocol's client messages are smaller.
constexpr std::size_t kFirstReadChunk = 64;
// A read buffer bigger than this is given back after its message.
constexpr std::size_t kKeepBuffer = kFirstReadChunk;

bool is_benign(const boost::system::error_code& ec) {
    return ec == net::error::operation_aborted || ec == websocket::error::closed;
}

// The 1002 close frame of a connection failed for a bad close code.
const Payload& protocol_error_frame() {
    static const Payload f = std::make_shared<const Frame>(Frame{std::string("\x88\x02\x03\xEA", 4), 2});
    return f;
}

} // namespace

WebSocketSession::WebSocketSession(State& st, FlexStream&& stream, Slot slot, std::size_t shard)
    : budget_(st.opts.max_queued_bytes), st_(st), ws_(std::move(stream)),
      slot_(std::move(slot)), shard_(shard) {}

// A joined session leaves on its own thread when it stops being joined; only an
// io_context torn down with the session still in a room gets here joined (no thread runs).
WebSocketSession::~WebSocketSession() {
    if (phase_ == Phase::joined && room_) room_->room->leave(this, shard_);
    release_unfinished();
    st_.leave(this);
}

void WebSocketSession::run(http::request<http::string_body> req) {
    req_ = std::make_unique<http::request<http::string_body>>(std::move(req));
    net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
        if (!self->st_.enter(self)) return self->drop();
        auto& o = self->st_.opts;
        self->ws_.next_layer().teardown_timeout(o.handshake_timeout);
        websocket::stream_base::timeout t{};
        t.handshake_timeout = o.handshake_timeout;
        t.idle_timeout = o.ping_interval * 2;  // ping after half of it, drop after all of it
        t.keep_alive_pings = true;
        self->ws_.set_option(t);
        self->ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "nowtime-server"); }));
        self->ws_.read_message_max(o.max_message_bytes);
        self->ws_.text(true);
        // One frame per message, so every Beast write_some() is whole frames (see flex_stream.cpp).
        self->ws_.auto_fragment(false);
        if (!self->ws_.next_layer().is_tls()) {
            self->raw_ = &self->ws_.next_layer();
            self->raw_->arbitrate_writes(self, &self->write_now_);
            self->fd_ = self->raw_->native_handle();
        }
        // Close codes outside 1000-4999 fail the connection instead of being echoed (RFC 6455 7.4).
        self->ws_.control_callback(
            [s = self.get()](websocket::frame_type kind, beast::string_view) { s->on_control(kind); });
        self->ws_.async_accept(*self->req_, [self](error_code ec) {
            std::string path(room_of_target(self->req_->target()));
            self->req_.reset();
            self->on_accept(ec, path);
        });
    });
}

void WebSocketSession::set_phase(Phase p) {
    if (phase_ == Phase::joined && p != Phase::joined && room_) room_->room->leave(this, shard_);
    phase_ = p;
}

void WebSocketSession::on_accept(error_code ec, const std::string& path) {
    if (ec) {
        st_.hs_failures.fetch_add(1);
        st_.log(LogLevel::debug, "WebSocket upgrade failed: " + ec.message());
        return drop();
    }
    const Policy& policy = st_.policy;
    room_ = st_.find_room(path);
    if (!room_ && policy.unknown_room_joins_first && !st_.rooms.empty()) room_ = &st_.rooms.front();
    if (!room_) {
        st_.log(LogLevel::debug, "unknown room " + path);
        phase_ = Phase::leaving;
        reply(st_.unknown_url_frame, websocket::close_code::policy_error);
        return do_read();
    }
    // Joined first so that a full room refuses before any welcome; the welcome still goes
    // first because a push can only reach this session (on this thread) after this handler.
    if (!room_->room->join(this, shard_)) {
        st_.log(LogLevel::debug, "room " + path + " refused a member");
        phase_ = Phase::leaving;
        close_with_deadline({websocket::close_code::try_again_later, "room full"});
        return do_read();
    }
    phase_ = Phase::joined;
    st_.log(LogLevel::debug, "joined " + path);
    if (st_.welcome_frame) reply(st_.welcome_frame);
    if (policy.ticker_per_member) {
        own_timer_ = std::make_unique<net::steady_timer>(ws_.get_executor());
        own_tick(Clock::now());
    }
    do_read();
}

// The per_connection_timer fault: this connection's own timer, first push at once.
void WebSocketSession::own_tick(Clock::time_point due) {
    if (phase_ != Phase::joined) return;
    auto push = text_frame(st_.policy.push(std::chrono::system_clock::now()));
    if (send(push) == SendResult::dropped) {
        if (room_->room->leave(this, shard_)) cut_off();
        return;
    }
    st_.pushes.fetch_add(1);
    st_.bytes.fetch_add(push->payload().size());
    auto next = due + st_.policy.interval;
    own_timer_->expires_at(next);
    own_timer_->async_wait([self = shared_from_this(), next](error_code ec) {
        if (!ec) self->own_tick(next);
    });
}

// The hot path: no allocation, no lock, no post; on plain TCP one send(2) when nothing is
// queued, touching only this object's first cache line.
SendResult WebSocketSession::send(const Payload& p) {
    if (phase_ != Phase::joined) return SendResult::queued;  // already on its way out
    if (write_now_) {  // nothing unsent: the budget admits it
        ssize_t n = ::send(fd_, p->bytes.data(), p->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(p->size())) return SendResult::queued;
        if (raw_->sent_part(p, n, n < 0 ? errno : 0) == FlexStream::Sent::failed) drop();
        return SendResult::queued;
    }
    if (raw_) {
        if (!SendBudget::admits(raw_->queued_bytes(), p->size() + FlexStream::kEntryBytes, budget_.limit()))
            return SendResult::dropped;
        if (raw_->write_frame(p) == FlexStream::Sent::failed) drop();  // the read ends the session
        return SendResult::queued;
    }
    if (!budget_.fits(cost(p))) return SendResult::dropped;
    enqueue(p);
    return SendResult::queued;
}

void WebSocketSession::cut_off() {
    if (phase_ != Phase::joined) return;
    st_.cutoffs.fetch_add(1);
    std::size_t unsent = raw() ? ws_.next_layer().queued_bytes() : budget_.queued();
    st_.log(LogLevel::info,
            "cut off a slow consumer in " + room_->room->name() + " (" + std::to_string(unsent) + " bytes unsent)");
    close_with_deadline({websocket::close_code::policy_error, "slow consumer"}, kGrace);
}

void WebSocketSession::go_away() {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
        if (self->phase_ == Phase::closed) return;
        if (self->phase_ == Phase::accepting) return self->drop();
        self->close_with_deadline({websocket::close_code::going_away, "server stopping"}, kGrace);
    });
}

// Made on first use: an idle member has no timer.
net::steady_timer& WebSocketSession::guard() {
    if (!guard_) guard_ = std::make_unique<net::steady_timer>(ws_.get_executor());
    return *guard_;
}

void WebSocketSession::cancel_guard() {
    if (guard_) guard_->cancel();
}

//--- Reading ------------------------------------------------------------------------------

void WebSocketSession::do_read() {
    ws_.async_read_some(buffer_, buffer_.size() == 0 ? kFirstReadChunk : kReadChunk,
                        net::bind_cancellation_slot(read_cancel_.slot(),
                                                    [self = shared_from_this()](error_code ec, std::size_t) {
                                                        self->on_read(ec);
                                                    }));
}

void WebSocketSession::on_read(error_code ec) {
    if (ec) return end(ec, "read");
    if (!ws_.is_message_done()) {
        hold_unfinished();
        return read_on();
    }
    release_unfinished();
    on_message();
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > kKeepBuffer) buffer_.shrink_to_fit();
    read_on();
}

// Keeps the peer's close frame and pings processed until the end. Once our close is under
// way, its own reads (which discard what is not a close frame) take over: a read of ours
// beside it could fail on a bad frame and wait for the close's write lock forever.
void WebSocketSession::read_on() {
    if (phase_ == Phase::closing || phase_ == Phase::closed) return;
    do_read();
}

// Counts an unfinished message against the server-wide budget and starts its deadline.
void WebSocketSession::hold_unfinished() {
    std::size_t now = buffer_.size();
    bool started = unfinished_ == 0;
    if (now > unfinished_) {
        std::size_t more = now - unfinished_;
        std::size_t total = st_.unfinished_bytes.fetch_add(more) + more;
        unfinished_ = now;
        if (total > st_.opts.max_unfinished_bytes && phase_ == Phase::joined) {
            return close_with_deadline({websocket::close_code::try_again_later, "too many unfinished messages"},
                                       kGrace);
        }
    }
    if (started && phase_ == Phase::joined) {
        guard().expires_after(st_.opts.handshake_timeout);
        guard().async_wait([self = shared_from_this()](error_code ec) {
            if (ec || self->unfinished_ == 0 || self->phase_ != Phase::joined) return;
            self->close_with_deadline({websocket::close_code::policy_error, "message not finished in time"}, kGrace);
        });
    }
}

void WebSocketSession::release_unfinished() {
    if (unfinished_ == 0) return;
    st_.unfinished_bytes.fetch_sub(unfinished_);
    unfinished_ = 0;
    if (phase_ == Phase::joined) cancel_guard();
}

void WebSocketSession::on_message() {
    // Binary frames and anything that is not the close request are ignored.
    std::string_view msg(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    ClientMessage kind = ws_.got_text() ? classify_client_message(msg) : ClientMessage::other_json;
    if (kind == ClientMessage::close_request && st_.policy.answer_close_request) {
        on_close_request();
    } else if (kind == ClientMessage::not_json && st_.policy.close_on_garbage) {
        close_with_deadline({websocket::close_code::unknown_data, "not JSON"});
    }
}

void WebSocketSession::on_control(websocket::frame_type kind) {
    if (kind != websocket::frame_type::close) return;
    auto code = ws_.reason().code;
    if (code == websocket::close_code::none || (code >= 1000 && code <= 4999)) return;
    // Fail the connection: a 1002 close frame when nothing else is being written, then the socket.
    st_.log(LogLevel::debug, "close code " + std::to_string(code) + " is outside 1000-4999");
    if (raw() && ws_.next_layer().write_idle()) ws_.next_layer().write_frame(protocol_error_frame());
    drop();
}

void WebSocketSession::on_close_request() {
    if (phase_ != Phase::joined) return;
    set_phase(Phase::leaving);
    if (own_timer_) own_timer_->cancel();
    discard_queue();
    const Policy& policy = st_.policy;
    std::uint16_t close_code = policy.close_after_bye.value_or(0);
    if (!policy.bye) return close_with_deadline(close_reason(close_code));
    if (!policy.push_after_bye) return reply(st_.bye_frame, close_code);
    reply(st_.bye_frame);
    auto push = text_frame(policy.push(std::chrono::system_clock::now()));
    st_.pushes.fetch_add(1);
    reply(push, close_code);
}

//--- Writing ------------------------------------------------------------------------------

// A message that must go out (welcome, bye, notice), past the budget; the ticker counts
// the pushes it hands out, this counts the rest.
void WebSocketSession::reply(const Payload& p, std::uint16_t close_after) {
    if (phase_ == Phase::closing || phase_ == Phase::closed) return;
    st_.bytes.fetch_add(p->payload().size());
    enqueue(p, close_after);
}

// On plain TCP the close that may follow is queued behind the message in the same stream
// of whole frames; on TLS it follows the message's write.
void WebSocketSession::enqueue(const Payload& p, std::uint16_t close_after) {
    if (phase_ == Phase::closing || phase_ == Phase::closed) return;
    if (raw()) {
        if (ws_.next_layer().write_frame(p) == FlexStream::Sent::failed) return drop();
        if (close_after) close_with_deadline(close_reason(close_after), std::nullopt, true);
        return;
    }
    budget_.add(cost(p));
    queue_.push_back({p, close_after});
    if (!writing_) do_write();
}

void WebSocketSession::do_write() {
    writing_ = true;
    auto text = queue_[qhead_].payload->payload();
    ws_.async_write(net::buffer(text.data(), text.size()),
                    net::bind_cancellation_slot(write_cancel_.slot(), [self = shared_from_this()](
                                                                          error_code ec, std::size_t) {
                        self->on_write(ec);
                    }));
}

void WebSocketSession::on_write(error_code ec) {
    writing_ = false;
    Outgoing done = std::move(queue_[qhead_++]);
    if (qhead_ == queue_.size()) {
        std::vector<Outgoing>().swap(queue_);
        qhead_ = 0;
    }
    budget_.release(cost(done.payload));
    if (ec) return end(ec, "write");
    if (done.close_after) return close_with_deadline(close_reason(done.close_after));
    if (qhead_ < queue_.size() && phase_ != Phase::closing && phase_ != Phase::closed) do_write();
}

void WebSocketSession::discard_queue() {
    if (raw()) return ws_.next_layer().discard_unstarted();
    // The message in flight (the head, while writing) is released by its handler.
    std::size_t keep = qhead_ + (writing_ ? 1 : 0);
    while (queue_.size() > keep) {
        budget_.release(cost(queue_.back().payload));
        queue_.pop_back();
    }
}

//--- Closing ------------------------------------------------------------------------------

// Starts the close handshake; when it cannot finish within `grace` (a peer that stopped
// reading blocks our close frame), the socket is dropped. Without a grace, Beast's own close
// timeout (handshake_timeout) covers a peer that never answers the close frame, and a
// last deadline past it drops the socket whatever state the stream is in.
void WebSocketSession::close_with_deadline(close_reason reason, std::optional<std::chrono::milliseconds> grace,
                                           bool keep_queue) {
    if (phase_ == Phase::closing || phase_ == Phase::closed) return;
    set_phase(Phase::closing);
    if (own_timer_) own_timer_->cancel();
    if (!keep_queue) discard_queue();
    ws_.async_close(reason, net::bind_cancellation_slot(close_cancel_.slot(), [self = shared_from_this()](error_code ec) {
                        if (ec && !is_benign(ec)) self->st_.log(LogLevel::debug, "close: " + ec.message());
                        self->phase_ = Phase::closed;
                        self->cancel_guard();
                    }));
    guard().expires_after(grace.value_or(st_.opts.handshake_timeout + kGrace));
    guard().async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && self->phase_ != Phase::closed) self->drop();
    });
}

// A read or write ended with an error: the connection is over.
void WebSocketSession::end(error_code ec, const char* what) {
    bool abrupt = !is_benign(ec) && phase_ == Phase::joined && ec != websocket::error::message_too_big &&
                  ec != beast::error::timeout;
    if (abrupt && st_.policy.abrupt_leave_stops_ticker && st_.ticker) st_.ticker->stop();
    if (!is_benign(ec)) st_.log(LogLevel::debug, std::string(what) + ": " + ec.message());
    set_phase(Phase::closed);
    release_unfinished();
    discard_queue();
    if (own_timer_) own_timer_->cancel();
    cancel_guard();
}

// Closes the socket at once; pending operations end with errors. The cancellations come
// first: they also complete operations that wait inside Beast for one another, with no
// I/O of their own that closing the socket would end.
void WebSocketSession::drop() {
    set_phase(Phase::closed);
    read_cancel_.emit(net::cancellation_type::terminal);
    write_cancel_.emit(net::cancellation_type::terminal);
    close_cancel_.emit(net::cancellation_type::terminal);
    error_code ignored;
    ws_.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().close();
}

} // namespace nowtime::detail
