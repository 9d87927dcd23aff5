// The sync driver's socket layer (see socket.hpp).
#include "sync/socket.hpp"

#include "events.hpp"

#include <boost/asio/ip/address.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace pushcheck::drivers::sync {

namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

Waker::Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Waker::~Waker() {
    if (fd_ >= 0) ::close(fd_);
}

void Waker::signal() {
    std::uint64_t one = 1;
    if (fd_ >= 0) {
        ssize_t r = ::write(fd_, &one, sizeof one);
        (void)r;  // a full counter still wakes the thread
    }
}

void Waker::clear() {
    std::uint64_t v;
    if (fd_ >= 0) {
        ssize_t r = ::read(fd_, &v, sizeof v);
        (void)r;  // nothing to read is fine
    }
}

error_code wait_fd(int fd, short events, SteadyTime deadline, Waker& waker) {
    for (;;) {
        SteadyTime limit = std::min(deadline, waker.hard());
        SteadyTime now = Clock::now();
        if (now >= limit) return beast::error::timeout;
        auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(limit - now);
        if (left > std::chrono::hours(24)) left = std::chrono::hours(24);
        timespec ts{static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)};
        pollfd p[2] = {{fd, events, 0}, {waker.fd(), POLLIN, 0}};
        int r = ::ppoll(p, 2, &ts, nullptr);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errno_code(errno);
        }
        if (p[1].revents) waker.clear();
        if (p[0].revents) return {};
    }
}

void PollSocket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void PollSocket::reset_close() {
    if (fd_ < 0) return;
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
}

std::size_t PollSocket::transfer(bool write, iovec* iov, int n, error_code& ec) {
    if (n == 0) {
        ec = {};
        return 0;
    }
    for (;;) {
        if (fd_ < 0) {
            ec = net::error::bad_descriptor;
            return 0;
        }
        ssize_t r;
        if (write) {
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = static_cast<std::size_t>(n);
            r = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            r = ::readv(fd_, iov, n);
        }
        if (r > 0 || (write && r == 0)) {
            if (!write) last_read_ = {Clock::now(), detail::wall_us_now()};
            ec = {};
            return static_cast<std::size_t>(r);
        }
        if (r == 0) {
            ec = net::error::eof;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ec = errno_code(errno);
            return 0;
        }
        if (!write && nonblocking_reads_) {
            ec = net::error::would_block;
            return 0;
        }
        if ((ec = wait_fd(fd_, write ? POLLOUT : POLLIN, deadline_, *waker_))) return 0;
    }
}

namespace {

// getaddrinfo's codes as the error codes Asio's resolver reports, so both drivers agree.
error_code gai_code(int rc) {
    switch (rc) {
    case EAI_AGAIN: return net::error::host_not_found_try_again;
    case EAI_FAIL: return net::error::no_recovery;
    case EAI_FAMILY: return net::error::address_family_not_supported;
    case EAI_MEMORY: return net::error::no_memory;
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
        return net::error::host_not_found;
    case EAI_SERVICE: return net::error::service_not_found;
    case EAI_SOCKTYPE: return net::error::socket_type_not_supported;
    case EAI_SYSTEM: return errno_code(errno);
    default: return net::error::host_not_found;
    }
}

/// Resolves host:port; getaddrinfo runs on a helper thread so that the wait has a deadline.
error_code resolve(const std::string& host, const std::string& port, SteadyTime deadline, Waker& waker,
                   std::vector<sockaddr_storage>& out) {
    struct Lookup {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        int rc = 0;
        int err = 0;
        std::vector<sockaddr_storage> addrs;
    };
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread([lookup, host, port] {
            addrinfo hints{};
            hints.ai_family = AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;
            addrinfo* res = nullptr;
            int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
            int err = errno;
            std::vector<sockaddr_storage> addrs;
            for (addrinfo* a = res; a; a = a->ai_next) {
                sockaddr_storage ss{};
                std::memcpy(&ss, a->ai_addr, std::min<std::size_t>(a->ai_addrlen, sizeof ss));
                addrs.push_back(ss);
            }
            if (res) ::freeaddrinfo(res);
            std::lock_guard lk(lookup->m);
            lookup->rc = rc;
            lookup->err = err;
            lookup->addrs = std::move(addrs);
            lookup->done = true;
            lookup->cv.notify_all();
        }).detach();
    } catch (const std::system_error& e) {
        return e.code();
    }
    std::unique_lock lk(lookup->m);
    // Short slices so that a new hard deadline is noticed.
    while (!lookup->done) {
        SteadyTime limit = std::min({deadline, waker.hard(), Clock::now() + std::chrono::milliseconds(50)});
        lookup->cv.wait_until(lk, limit);
        if (!lookup->done && Clock::now() >= std::min(deadline, waker.hard())) return beast::error::timeout;
    }
    if (lookup->rc != 0) {
        errno = lookup->err;
        return gai_code(lookup->rc);
    }
    out = std::move(lookup->addrs);
    return {};
}

// An IP literal's socket address.
sockaddr_storage socket_address(const net::ip::address& address, unsigned short port) {
    sockaddr_storage ss{};
    if (address.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        auto bytes = address.to_v4().to_bytes();
        std::memcpy(&sin->sin_addr, bytes.data(), bytes.size());
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        auto bytes = address.to_v6().to_bytes();
        std::memcpy(&sin6->sin6_addr, bytes.data(), bytes.size());
        sin6->sin6_scope_id = address.to_v6().scope_id();
    }
    return ss;
}

} // namespace

error_code addresses(const std::string& host, const std::string& port, unsigned short port_number, SteadyTime deadline,
                     Waker& waker, std::vector<sockaddr_storage>& out) {
    error_code aec;
    auto address = net::ip::make_address(host, aec);
    if (aec) return resolve(host, port, deadline, waker, out);
    out.push_back(socket_address(address, port_number));
    return {};
}

int tcp_connect(const std::vector<sockaddr_storage>& addrs, SteadyTime deadline, Waker& waker, int recv_buffer,
                const std::string& source,
                error_code& ec) {
    std::optional<sockaddr_storage> local_address;
    if (!source.empty()) {
        auto ip = net::ip::make_address(source, ec);
        if (ec) return -1;
        local_address = socket_address(ip, 0);
    }
    const sockaddr_storage* local = local_address ? &*local_address : nullptr;
    ec = net::error::host_not_found;
    for (const auto& a : addrs) {
        socklen_t len = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        int fd = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            ec = errno_code(errno);
            continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // SO_RCVBUF before connect, so that the window offered in the handshake is already small.
        if (recv_buffer > 0 && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recv_buffer, sizeof recv_buffer) < 0) {
            ec = errno_code(errno);
            ::close(fd);
            continue;
        }
        if (local) {  // --source-address: bound before connect, the port chosen by connect
            if (local->ss_family != a.ss_family) {
                ec = net::error::address_family_not_supported;
                ::close(fd);
                continue;
            }
            detail::bind_no_port(fd);
            if (::bind(fd, reinterpret_cast<const sockaddr*>(local), len) < 0) {
                ec = errno_code(errno);
                ::close(fd);
                continue;
            }
        }
        int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), len);
        if (r < 0 && errno != EINPROGRESS) {
            ec = errno_code(errno);
            ::close(fd);
            continue;
        }
        if (r < 0) {
            if ((ec = wait_fd(fd, POLLOUT, deadline, waker))) {
                ::close(fd);
                if (ec == beast::error::timeout) return -1;
                continue;
            }
            int err = 0;
            socklen_t elen = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
            if (err != 0) {
                ec = errno_code(err);
                ::close(fd);
                continue;
            }
        }
        ec = {};
        return fd;
    }
    return -1;
}

} // namespace pushcheck::drivers::sync
