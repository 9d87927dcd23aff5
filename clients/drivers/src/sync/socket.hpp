// The sync driver's socket layer: a non-blocking TCP socket whose reads and writes block
// with ppoll() until a deadline, the client thread's wake-up channel, and the name lookup and
// TCP connect, each bounded by a deadline. No WebSocket here.
#pragma once
#include "events.hpp"
#include "frame_scanner.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/system_error.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

namespace pushcheck::drivers::sync {

namespace net = boost::asio;
using engine::SteadyTime;
using error_code = boost::system::error_code;
using detail::FrameScanner;

inline error_code errno_code(int e) { return error_code(e, boost::system::system_category()); }

/// A client thread's wake-up channel (an eventfd) and the session's hard deadline, after
/// which every wait of that thread gives up at once.
class Waker {
public:
    Waker();
    ~Waker();
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;

    int fd() const { return fd_; }
    void signal();
    void clear();
    void set_hard(SteadyTime t) {
        hard_.store(t.time_since_epoch().count());
        signal();
    }
    SteadyTime hard() const { return SteadyTime(SteadyTime::duration(hard_.load())); }

private:
    int fd_;
    std::atomic<SteadyTime::rep> hard_{SteadyTime::max().time_since_epoch().count()};
};

/// Waits until `fd` has `events` (POLLIN, POLLOUT), the deadline (or the hard deadline)
/// passes, or a wake-up arrives (which re-evaluates the hard deadline). An empty code: ready.
error_code wait_fd(int fd, short events, SteadyTime deadline, Waker& waker);

/// The addresses of host:port: an IP literal as it is, else a DNS lookup bounded by the
/// deadline (getaddrinfo's codes as Asio's resolver reports them, so both drivers agree).
error_code addresses(const std::string& host, const std::string& port, unsigned short port_number, SteadyTime deadline,
                     Waker& waker, std::vector<sockaddr_storage>& out);

/// Connects a non-blocking TCP socket to one of `addrs` before the deadline (`recv_buffer` >
/// 0: SO_RCVBUF first; `source` not empty: bound to that IP literal first). Returns the
/// descriptor, or -1 with `ec` set.
int tcp_connect(const std::vector<sockaddr_storage>& addrs, SteadyTime deadline, Waker& waker, int recv_buffer,
                const std::string& source, error_code& ec);

/// The throwing read_some/write_some of Beast's SyncStream concept, from the error_code ones
/// of `Derived` (which says `using ThrowingIo<Derived>::read_some;` and `write_some`).
template <class Derived>
class ThrowingIo {
public:
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers) {
        error_code ec;
        std::size_t n = static_cast<Derived*>(this)->read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers) {
        error_code ec;
        std::size_t n = static_cast<Derived*>(this)->write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
};

/// The lowest layer of a sync connection: a non-blocking TCP socket whose read_some and
/// write_some wait with ppoll() up to a deadline (then beast::error::timeout).
class PollSocket : public ThrowingIo<PollSocket> {
public:
    using ThrowingIo::read_some;
    using ThrowingIo::write_some;
    using executor_type = boost::asio::io_context::executor_type;
    using lowest_layer_type = PollSocket;
    struct Init {
        executor_type ex;
        Waker* waker;
    };

    explicit PollSocket(const Init& init) : ex_(init.ex), waker_(init.waker) {}
    ~PollSocket() { close(); }
    PollSocket(const PollSocket&) = delete;
    PollSocket& operator=(const PollSocket&) = delete;

    executor_type get_executor() noexcept { return ex_; }
    PollSocket& lowest_layer() noexcept { return *this; }
    const PollSocket& lowest_layer() const noexcept { return *this; }

    void assign(int fd) { fd_ = fd; }
    int fd() const { return fd_; }
    void set_deadline(SteadyTime t) { deadline_ = t; }
    /// A read that finds nothing fails with would_block instead of waiting.
    void set_nonblocking_reads(bool on) { nonblocking_reads_ = on; }
    /// When the last successful read returned.
    FrameScanner::Arrival last_read() const { return last_read_; }
    Waker& waker() { return *waker_; }

    void close();
    /// SO_LINGER 0, then close: the kernel sends a TCP reset, no FIN.
    void reset_close();

    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
        iovec iov[16];
        return transfer(false, iov, to_iov(buffers, iov), ec);
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
        iovec iov[16];
        return transfer(true, iov, to_iov(buffers, iov), ec);
    }

private:
    /// One readv (write: sendmsg) of `n` buffers, waiting with ppoll() until the deadline
    /// while the socket would block (a read in non-blocking mode fails with would_block).
    std::size_t transfer(bool write, iovec* iov, int n, error_code& ec);

    template <class Buffers>
    static int to_iov(const Buffers& buffers, iovec (&iov)[16]) {
        int n = 0;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && n < 16; ++it) {
            auto b = *it;
            if (b.size() == 0) continue;
            iov[n].iov_base = const_cast<void*>(static_cast<const void*>(b.data()));
            iov[n].iov_len = b.size();
            ++n;
        }
        return n;
    }

    executor_type ex_;
    Waker* waker_;
    int fd_ = -1;
    SteadyTime deadline_ = SteadyTime::max();
    bool nonblocking_reads_ = false;
    FrameScanner::Arrival last_read_{};
};

} // namespace pushcheck::drivers::sync
