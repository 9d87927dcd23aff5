// bench/floor_client: the minimal receiver that measures this machine's floor for receiving
// one push. N clients open a WebSocket each (a fixed upgrade request, the response read up to
// its blank line), then one thread waits in epoll and reads every readable socket with one
// recv(2) into one buffer, counting whole frames by their headers. Nothing is parsed, timed,
// checked or kept: what this costs in CPU per received push is what the kernel's receive
// path and a readiness loop cost, and no client that looks at pushes can go below it.
// Prints one line of key=value: clients, pushes, cpu_s, us_per_push, peak_rss_kib.
// Usage: floor_client --port P [--host 127.0.0.1] [--path /nowtime] --clients N --duration-s S
//                     [--ramp R]  (R connections per second; 0: as fast as possible)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string path = "/nowtime";
    int clients = 100;
    double duration_s = 10;
    double ramp = 0;
};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "floor_client: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "floor_client: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--host") o.host = next();
        else if (a == "--port") o.port = std::atoi(next());
        else if (a == "--path") o.path = next();
        else if (a == "--clients") o.clients = std::atoi(next());
        else if (a == "--duration-s") o.duration_s = std::atof(next());
        else if (a == "--ramp") o.ramp = std::atof(next());
        else {
            std::fprintf(stderr, "floor_client: unknown argument %s\n", a.c_str());
            std::exit(2);
        }
    }
    if (o.port <= 0 || o.clients <= 0 || o.duration_s <= 0) {
        std::fprintf(stderr, "usage: floor_client --port P --clients N --duration-s S [--host H] [--path P] [--ramp R]\n");
        std::exit(2);
    }
    return o;
}

// Frames of one connection, counted across reads: where the next frame header starts.
struct Conn {
    int fd = -1;
    std::size_t skip = 0;     // payload bytes of the current frame still to come
    unsigned char head[14];   // a frame header split across reads
    std::size_t have = 0;
};

// Counts the frames that start in buf; returns how many.
std::uint64_t count_frames(Conn& c, const unsigned char* p, std::size_t n) {
    std::uint64_t frames = 0;
    while (n > 0) {
        if (c.skip > 0) {
            std::size_t k = c.skip < n ? c.skip : n;
            c.skip -= k;
            p += k;
            n -= k;
            continue;
        }
        while (n > 0 && c.have < 2) c.head[c.have++] = *p++, --n;
        if (c.have < 2) break;
        std::size_t len = c.head[1] & 0x7f, need = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0);
        while (n > 0 && c.have < need) c.head[c.have++] = *p++, --n;
        if (c.have < need) break;
        if (len == 126) len = (std::size_t(c.head[2]) << 8) | c.head[3];
        else if (len == 127) {
            len = 0;
            for (int i = 2; i < 10; ++i) len = (len << 8) | c.head[i];
        }
        if ((c.head[0] & 0x0f) == 0x1 || (c.head[0] & 0x0f) == 0x2) ++frames;  // data frames
        c.have = 0;
        c.skip = len;
    }
    return frames;
}

int connect_one(const Options& o, const sockaddr_in& addr) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) die("connect");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string req = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) die("send");
    // Read the response one byte at a time up to its blank line, so no frame byte is taken.
    std::string res;
    char ch;
    while (res.size() < 4 || res.compare(res.size() - 4, 4, "\r\n\r\n") != 0) {
        if (::recv(fd, &ch, 1, 0) != 1) die("reading the upgrade response");
        res.push_back(ch);
        if (res.size() > 8192) {
            errno = EPROTO;
            die("upgrade response too long");
        }
    }
    if (res.compare(0, 12, "HTTP/1.1 101") != 0) {
        std::fprintf(stderr, "floor_client: upgrade refused: %s\n", res.substr(0, res.find('\r')).c_str());
        std::exit(1);
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
    if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "floor_client: --host must be an IPv4 address\n");
        return 2;
    }
    const int ep = ::epoll_create1(0);
    if (ep < 0) die("epoll_create1");

    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto end = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.duration_s));
    std::vector<Conn> conns(static_cast<std::size_t>(o.clients));
    std::vector<unsigned char> buf(64 * 1024);
    std::vector<epoll_event> ready(1024);
    std::uint64_t pushes = 0;
    int opened = 0;
    while (clock::now() < end) {
        // Open the connections the ramp allows by now (all at once without a ramp).
        const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
        const int due = o.ramp > 0 ? std::min(o.clients, static_cast<int>(elapsed * o.ramp) + 1) : o.clients;
        for (; opened < due; ++opened) {
            Conn& c = conns[static_cast<std::size_t>(opened)];
            c.fd = connect_one(o, addr);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = &c;
            if (::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) die("epoll_ctl");
        }
        const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 10);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int i = 0; i < n; ++i) {
            Conn& c = *static_cast<Conn*>(ready[static_cast<std::size_t>(i)].data.ptr);
            ssize_t got = ::recv(c.fd, buf.data(), buf.size(), 0);
            if (got > 0) pushes += count_frames(c, buf.data(), static_cast<std::size_t>(got));
            else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                std::fprintf(stderr, "floor_client: a connection ended early\n");
                return 1;
            }
        }
    }
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    // Frames include each client's welcome; pushes are the rest.
    const std::uint64_t welcomes = static_cast<std::uint64_t>(o.clients);
    const std::uint64_t received = pushes > welcomes ? pushes - welcomes : 0;
    std::printf("clients=%d pushes=%llu cpu_s=%.3f us_per_push=%.2f peak_rss_kib=%ld\n", o.clients,
                static_cast<unsigned long long>(received), cpu, received ? cpu * 1e6 / static_cast<double>(received) : 0.0,
                ru.ru_maxrss);
    for (auto& c : conns)
        if (c.fd >= 0) ::close(c.fd);
    return received > 0 ? 0 : 1;
}
