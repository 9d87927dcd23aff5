// The sync driver's frame gate: Beast's next layer on the plaintext side. It buffers what the
// socket delivers (FrameScanner) and hands Beast at most the bytes up to the end of the
// current frame, so Beast is only asked to read a message that is already complete: ws.read()
// never waits for the network, a stalled half frame never blocks the thread, and after
// ws.read() returns Beast's own buffer is empty, so "more pending" is exactly "the gate holds
// bytes, or the socket is readable". Pings and pongs are cut out of the stream here for the
// connection to answer and report. For wss the gate sits above the TLS stream: reading until
// the transport would block drains OpenSSL too, so poll() on the socket stays exact.
#pragma once
#include "frame_scanner.hpp"
#include "sync/socket.hpp"
#include "ws_common.hpp"

#include <boost/beast/core/role.hpp>

#include <type_traits>
#include <utility>

namespace pushcheck::drivers::sync {

/// Beast's next layer on the plaintext side: hands Beast only bytes up to the end of the
/// current frame, from a buffer that fill_available() fills without waiting.
template <class Next>
class FrameGate : public ThrowingIo<FrameGate<Next>> {
public:
    using ThrowingIo<FrameGate>::read_some;
    using ThrowingIo<FrameGate>::write_some;
    using executor_type = typename Next::executor_type;
    static constexpr bool tls = !std::is_same_v<Next, PollSocket>;

    template <class... Args>
    explicit FrameGate(std::size_t max_message_bytes, Args&&... args)
        : next_(std::forward<Args>(args)...), scanner_(max_message_bytes) {}

    executor_type get_executor() noexcept { return next_.get_executor(); }
    Next& next_layer() noexcept { return next_; }
    PollSocket& socket() noexcept { return next_.lowest_layer(); }
    FrameScanner& scanner() noexcept { return scanner_; }
    detail::Prelude& prelude() noexcept { return prelude_; }

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        if (net::buffer_size(buffers) == 0) {
            ec = {};
            return 0;
        }
        // Beast wants bytes past what is buffered (handshake, close, teardown): wait for them.
        while (scanner_.readable() == 0) {
            read_once(ec);
            if (ec) return 0;
        }
        std::size_t total = 0;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
            net::mutable_buffer b = *it;
            std::size_t k = scanner_.take(static_cast<char*>(b.data()), b.size());
            prelude_.add(static_cast<const char*>(b.data()), k);
            total += k;
            if (k < b.size()) break;
        }
        ec = {};
        return total;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
        return next_.write_some(buffers, ec);
    }

    /// Reads what the transport has without waiting. Returns the error that ended the
    /// stream (eof, reset, ...) if any; `more` is set when it stopped early with data left.
    error_code fill_available(bool& more) {
        constexpr std::size_t budget = 256 * 1024;
        more = false;
        socket().set_nonblocking_reads(true);
        error_code result;
        std::size_t total = 0;
        for (;;) {
            error_code ec;
            total += read_once(ec);
            if (ec) {
                if (ec != net::error::would_block) result = ec;
                break;
            }
            if (total >= budget && scanner_.has_message()) {
                more = true;
                break;
            }
        }
        socket().set_nonblocking_reads(false);
        return result;
    }

    // Beast's teardown, through the deadline-bound transport: TLS close_notify, then read
    // the TCP stream until EOF, then close.
    friend void teardown(boost::beast::role_type, FrameGate& g, error_code& ec) {
        error_code ec2;
        if constexpr (tls) g.next_.shutdown(ec);
        error_code& tcp_ec = ec ? ec2 : ec;
        PollSocket& s = g.socket();
        for (;;) {
            char buf[2048];
            s.read_some(net::buffer(buf), tcp_ec);
            if (tcp_ec) {
                if (tcp_ec == net::error::eof) tcp_ec = {};
                break;
            }
        }
        if (s.fd() >= 0) ::shutdown(s.fd(), SHUT_WR);
        s.close();
    }

private:
    std::size_t read_once(error_code& ec) {
        constexpr std::size_t chunk = 16 * 1024;
        char* p = scanner_.prepare(chunk);
        std::size_t n = next_.read_some(net::buffer(p, chunk), ec);
        if (n > 0) scanner_.commit(n, socket().last_read());
        return n;
    }

    Next next_;
    FrameScanner scanner_;
    detail::Prelude prelude_;
};

} // namespace pushcheck::drivers::sync
