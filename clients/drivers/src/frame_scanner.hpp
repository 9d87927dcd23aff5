// The sync driver's view of the server-to-client byte stream, cut at frame boundaries.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace pushcheck::drivers::detail {

/// Buffers the bytes a sync connection reads from the server and splits them at
/// WebSocket frame boundaries, so that Beast is never handed bytes past the end of the
/// frame it is reading: after Beast returns a message its own buffer is empty, and
/// "is more data pending" is exactly "this scanner holds bytes, or the socket is readable".
///
/// It first passes the HTTP response header through (up to the blank line), then parses
/// frame headers. Valid ping and pong frames are cut out of the stream and returned by
/// take_controls() (the driver answers pings itself), so that Beast only ever reads data
/// and close frames and a lone control frame never leaves Beast blocked waiting for a
/// message. A frame that Beast will reject (bad opcode, reserved bits, masked, bad
/// control frame, a message larger than the limit) ends scanning at its header: the
/// rest of the stream passes through raw, as it does after a close frame or a refused
/// upgrade.
class FrameScanner {
public:
    using SteadyTime = std::chrono::steady_clock::time_point;
    /// When the bytes that completed something arrived.
    struct Arrival {
        SteadyTime t{};
        std::int64_t wall_us = 0;
    };
    /// A ping (ping = true) or pong frame taken out of the stream.
    struct Control {
        bool ping = false;
        std::string payload;
        Arrival at;
        std::uint64_t pos = 0;  // where it was cut out, in the stream Beast sees
    };

    /// max_message_bytes as Beast's read_message_max (0: unlimited).
    explicit FrameScanner(std::size_t max_message_bytes);

    /// Writable space for `n` bytes; then commit() what was written there.
    char* prepare(std::size_t n);
    /// Adds `n` bytes written at prepare() that arrived at `at`, and scans them.
    void commit(std::size_t n, Arrival at);

    /// Bytes that may be handed to Beast now (never past the end of a frame).
    std::size_t readable() const;
    /// Copies and consumes up to min(n, readable()) bytes.
    std::size_t take(char* out, std::size_t n);

    /// A whole message, a close frame or a frame Beast will reject is buffered:
    /// reading it with Beast will not need the socket.
    bool has_message() const { return !units_.empty(); }
    /// Arrival of the unit has_message() refers to.
    Arrival front_arrival() const { return units_.empty() ? Arrival{} : units_.front().at; }
    /// Stream position just past that unit (for ordering controls against it).
    std::uint64_t front_end() const { return units_.empty() ? UINT64_MAX : units_.front().end; }
    /// Ping and pong frames cut out before stream position `before`, in arrival order.
    std::vector<Control> take_controls(std::uint64_t before = UINT64_MAX);
    /// Bytes held, scanned or not.
    std::size_t buffered() const { return static_cast<std::size_t>(end() - head_); }
    /// Frame parsing has stopped (close frame, invalid frame, refused upgrade).
    bool raw() const { return mode_ == Mode::raw; }

private:
    enum class Mode { http, frames, raw };
    struct Unit {
        std::uint64_t end;
        Arrival at;
    };
    std::uint64_t end() const { return base_ + fill_; }
    const unsigned char* at(std::uint64_t pos) const {
        return reinterpret_cast<const unsigned char*>(buf_.data()) + (pos - base_);
    }
    void scan();
    void scan_http();
    void stop_at(std::uint64_t pos);  // Beast reads up to pos and fails; raw after it
    void compact();

    std::string buf_;          // bytes [base_, base_ + fill_) of the stream
    std::size_t fill_ = 0;
    std::uint64_t base_ = 0;   // stream offset of buf_[0]
    std::uint64_t head_ = 0;   // next byte for Beast
    std::uint64_t scan_ = 0;   // first byte not scanned yet
    Mode mode_ = Mode::http;
    int http_match_ = 0;       // characters of "\r\n\r\n" matched
    std::string status_line_;  // the first bytes of the response
    std::deque<std::uint64_t> frame_ends_;  // ends of scanned frames not yet handed out
    std::deque<Unit> units_;                // ends of complete messages not yet handed out
    bool in_message_ = false;
    std::uint64_t message_size_ = 0;
    std::size_t max_;
    Arrival last_{};
    std::vector<Control> controls_;
};

} // namespace pushcheck::drivers::detail
