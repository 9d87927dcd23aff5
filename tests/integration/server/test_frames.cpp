// The write side on the wire: Beast's own writes (the pongs it sends from inside its read,
// close frames) and the shared pre-built push frames share each socket through FlexStream's
// write arbiter. These cases read the raw bytes with a strict frame parser: a frame begun
// inside another one, a header out of place or a pong out of order fails them.
#include "server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

using namespace server_test;

namespace {

// A raw TCP client with a small receive buffer (and a fixed send buffer when asked); every
// call has a deadline.
class RawPeer {
public:
    RawPeer(unsigned short port, int receive_buffer, int send_buffer = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        if (send_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~RawPeer() { ::close(fd_); }
    RawPeer(const RawPeer&) = delete;
    RawPeer& operator=(const RawPeer&) = delete;

    bool connected() const { return connected_; }

    /// Writes all of `bytes` within `timeout`, reading (at most `chunk` bytes a time) into
    /// `in` whenever something arrives, as the server may wait for us to read before it
    /// reads on; false on error, end or timeout.
    bool send_all(const std::string& bytes, std::string& in, std::size_t chunk = 2048, ms timeout = ms(5000)) {
        auto deadline = Clock::now() + timeout;
        std::size_t at = 0;
        const std::size_t received_before = received_;
        while (at < bytes.size()) {
            auto left = std::chrono::duration_cast<ms>(deadline - Clock::now());
            if (left.count() <= 0)
                return failed("not all written within " + std::to_string(timeout.count()) + " ms: " + std::to_string(at) +
                              " of " + std::to_string(bytes.size()) + " bytes written, " +
                              std::to_string(received_ - received_before) + " bytes received meanwhile");
            if (!exchange(bytes, at, in, chunk, left)) return false;
        }
        return true;
    }

    /// One step of a conversation: waits at most `patience` for the socket, reads (at most
    /// `chunk` bytes) into `in` what came, and writes what the socket takes of `bytes` from
    /// `at` on (advancing `at`); false when the connection ended or failed (see last_error()).
    bool exchange(const std::string& bytes, std::size_t& at, std::string& in, std::size_t chunk, ms patience) {
        const short events = static_cast<short>(POLLIN | (at < bytes.size() ? POLLOUT : 0));
        short got = wait(events, Clock::now() + patience);
        if ((got & POLLIN) && !receive(in, chunk))
            return failed("the server ended the connection (" + std::to_string(at) + " of " +
                          std::to_string(bytes.size()) + " bytes written)");
        if (!(got & POLLOUT)) return true;
        ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) return failed(std::string("send: ") + std::strerror(errno));
        if (n > 0) at += static_cast<std::size_t>(n);
        return true;
    }

    /// Why the last send_all failed.
    const std::string& last_error() const { return last_error_; }

    /// Bytes received so far.
    std::size_t received() const { return received_; }

    /// Appends what arrives within `timeout` (at most `max` bytes) to `out`; false when the
    /// connection ended.
    bool read_some(std::string& out, ms timeout, std::size_t max = 4096) {
        if (!wait(POLLIN, Clock::now() + timeout)) return true;
        return receive(out, max);
    }

private:
    bool failed(std::string why) {
        last_error_ = std::move(why);
        return false;
    }
    std::string last_error_;
    std::size_t received_ = 0;

    bool receive(std::string& out, std::size_t max) {
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, std::min(max, sizeof buf), MSG_DONTWAIT);
        if (n == 0) return false;
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        out.append(buf, static_cast<std::size_t>(n));
        received_ += static_cast<std::size_t>(n);
        return true;
    }

    // The events that came within the deadline (0: none). A signal is not a timeout.
    short wait(short events, Clock::time_point deadline) {
        for (;;) {
            auto left = std::chrono::duration_cast<ms>(deadline - Clock::now()).count();
            if (left < 0) left = 0;
            pollfd p{fd_, events, 0};
            int n = ::poll(&p, 1, static_cast<int>(left));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0;
            return (p.revents & (POLLHUP | POLLERR)) ? static_cast<short>(p.revents | POLLIN) : p.revents;
        }
    }

    int fd_ = -1;
    bool connected_ = false;
};

// Parses the server's side of one connection strictly, frame by frame, as it arrives.
struct StrictReader {
    std::string bytes;       // not yet parsed
    bool upgraded = false;
    std::string error;       // the first violation
    std::vector<std::string> pings_sent;  // payloads of our pings, in order
    std::size_t pongs = 0;   // pongs received, each matched with pings_sent[pongs]
    int pushes = 0;
    bool welcome = false, bye = false, closed = false;
    bool after_bye = false;  // a frame other than the close came after the bye
    int close_code = 0;

    void feed() {
        if (!upgraded) {
            auto end = bytes.find("\r\n\r\n");
            if (end == std::string::npos) return;
            if (bytes.rfind("HTTP/1.1 101", 0) != 0) fail("no 101: " + bytes.substr(0, end));
            upgraded = true;
            bytes.erase(0, end + 4);
        }
        while (error.empty() && bytes.size() >= 2) {
            auto b0 = static_cast<unsigned char>(bytes[0]), b1 = static_cast<unsigned char>(bytes[1]);
            std::size_t len = b1 & 0x7f, at = 2;
            if (len == 126) {
                if (bytes.size() < 4) return;
                len = (static_cast<unsigned char>(bytes[2]) << 8) | static_cast<unsigned char>(bytes[3]);
                at = 4;
            } else if (len == 127) {
                return fail("a 64-bit length");
            }
            int op = b0 & 0x0f;
            if ((b0 & 0xf0) != 0x80) return fail("not FIN or RSV set: " + std::to_string(b0));
            if (b1 & 0x80) return fail("a masked server frame");
            if (op != 1 && op != 8 && op != 10) return fail("opcode " + std::to_string(op));
            if (op != 1 && len > 125) return fail("a control frame of " + std::to_string(len) + " bytes");
            if (bytes.size() < at + len) return;
            std::string payload = bytes.substr(at, len);
            bytes.erase(0, at + len);
            if (closed) return fail("a frame after the close frame");
            if (bye && op != 8) after_bye = true;
            if (op == 8) {
                closed = true;
                if (payload.size() >= 2)
                    close_code = (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
            } else if (op == 10) {
                if (pongs >= pings_sent.size() || payload != pings_sent[pongs]) return fail("a pong out of order");
                ++pongs;
            } else {
                auto j = parse(payload);
                if (j.is_discarded()) return fail("a text frame that is not JSON: " + payload);
                if (j == kWelcome) {
                    if (welcome || pushes) return fail("a second or late welcome");
                    welcome = true;
                } else if (j == json{{"message", "bye"}}) {
                    bye = true;
                } else if (j.value("event", "") == "nowtime") {
                    if (!welcome) return fail("a push before the welcome");
                    ++pushes;
                } else {
                    return fail("an unexpected message: " + payload);
                }
            }
        }
    }
    void fail(const std::string& what) {
        if (error.empty()) error = what;
    }
};

std::string ping_payload(int member, std::size_t seq) {
    std::string p = "m" + std::to_string(member) + " #" + std::to_string(seq) + " ";
    p.resize(125, static_cast<char>('a' + seq % 26));
    return p;
}

} // namespace

TEST_CASE("members flooding pings while pushes flow see only whole frames, pongs in order, and the bye last",
          "[server][frames]") {
    auto o = test_options();
    o.interval = ms(2);
    o.socket_send_buffer = 4096;  // the kernel takes little: frames and pongs queue in the server
    TestServer s(o);
    constexpr int kMembers = 8;
    constexpr int kBurst = 40;  // pings per member per round: 5 KB of pongs, more than the socket holds
    // The client's send buffer, fixed (the kernel doubles it) instead of grown by the kernel
    // up to 4 MiB. With the server's receive buffer it holds the pings a member has sent and
    // the server not yet read: about 2 MiB, full after a few hundred rounds, from when on a
    // burst is written only as the server reads, so the server always has pings to answer
    // while it pushes, and thousands of answers are still owed at the end. A much smaller
    // buffer catches a broken arbiter less often (see docs/reliability.md).
    constexpr int kSendBuffer = 1 << 20;
    // A session that for kStall neither answers a ping nor takes a byte of ours has stalled
    // (pushes still arriving are not progress), and so has one that needs more than kCatchUp
    // for a burst or for the last answers.
    constexpr ms kStall{5000};
    constexpr ms kCatchUp{20000};
    std::vector<std::unique_ptr<RawPeer>> peers;
    std::vector<StrictReader> readers(kMembers);
    for (int i = 0; i < kMembers; ++i) {
        peers.push_back(std::make_unique<RawPeer>(s.port(), 4096, kSendBuffer));
        REQUIRE(peers.back()->connected());
        REQUIRE(peers.back()->send_all(upgrade_request("/nowtime"), readers[i].bytes));
    }
    auto pump = [&](int i, ms wait, std::size_t max) {
        bool open = peers[i]->read_some(readers[i].bytes, wait, max);
        readers[i].feed();
        return open;
    };
    // Writes `out` to member i while reading its frames (slowly: 2 KB a time), until all of
    // it is written and at most `most` of its pings are unanswered; why not (empty: done, or
    // a frame broke the rules: see the reader's error).
    auto converse = [&](int i, const std::string& out, std::size_t most) -> std::string {
        StrictReader& r = readers[i];
        std::size_t at = 0, pongs = r.pongs, received = peers[i]->received();
        const auto begun = Clock::now();
        auto last = begun;
        while (r.error.empty() && (at < out.size() || r.pings_sent.size() - r.pongs > most)) {
            const auto now = Clock::now();
            if (now - last > kStall || now - begun > kCatchUp)
                return (now - last > kStall ? "no pong and no byte written within " + std::to_string(kStall.count())
                                            : "not done within " + std::to_string(kCatchUp.count())) +
                       " ms (" + std::to_string(at) + " of " + std::to_string(out.size()) + " bytes written, " +
                       std::to_string(r.pongs) + " of " + std::to_string(r.pings_sent.size()) + " pings answered, " +
                       std::to_string(peers[i]->received() - received) + " bytes received since the last progress)";
            const std::size_t was = at;
            if (!peers[i]->exchange(out, at, r.bytes, 2048, ms(50))) return peers[i]->last_error();
            r.feed();
            if (r.pongs != pongs || at != was) {
                pongs = r.pongs;
                received = peers[i]->received();
                last = Clock::now();
            }
        }
        return "";
    };
    auto start = Clock::now();
    int rounds = 0;
    while (Clock::now() - start < std::chrono::seconds(3)) {
        ++rounds;
        for (int i = 0; i < kMembers; ++i) {
            std::string burst;
            for (int k = 0; k < kBurst; ++k) {
                readers[i].pings_sent.push_back(ping_payload(i, readers[i].pings_sent.size()));
                burst += client_frame(9, readers[i].pings_sent.back());
            }
            const std::string stalled = converse(i, burst, readers[i].pings_sent.size());
            INFO("member " << i << " round " << rounds << ": " << stalled);
            REQUIRE(stalled.empty());
            REQUIRE(pump(i, ms(1), 2048));  // read slowly: the server's queue fills and drains
            INFO("member " << i << " round " << rounds << ": " << readers[i].error);
            REQUIRE(readers[i].error.empty());
        }
    }
    // Every pong arrives, in order, among the pushes.
    for (int i = 0; i < kMembers; ++i) {
        const std::string stalled = converse(i, "", 0);
        INFO("member " << i << ": " << stalled << readers[i].error << ", pongs " << readers[i].pongs << " of "
                       << readers[i].pings_sent.size() << ", pushes " << readers[i].pushes << ", rounds " << rounds);
        CHECK(stalled.empty());
        CHECK(readers[i].error.empty());
        CHECK(readers[i].welcome);
        CHECK(readers[i].pongs == readers[i].pings_sent.size());
        CHECK(readers[i].pushes > 100);
    }
    // The close request: the bye after the pushes, then only the close frame.
    for (int i = 0; i < kMembers; ++i) {
        REQUIRE(peers[i]->send_all(client_frame(1, R"({"event":"close"})"), readers[i].bytes));
        readers[i].feed();
    }
    for (int i = 0; i < kMembers; ++i) {
        auto deadline = Clock::now() + std::chrono::seconds(10);
        while (!readers[i].closed && readers[i].error.empty() && Clock::now() < deadline)
            if (!pump(i, ms(50), 4096)) break;
        INFO("member " << i << ": " << readers[i].error);
        CHECK(readers[i].error.empty());
        CHECK(readers[i].bye);
        CHECK_FALSE(readers[i].after_bye);
        CHECK(readers[i].closed);
        CHECK(readers[i].close_code == kNormal);
    }
    CHECK(eventually([&] { return s.server.metrics().members("/nowtime") == 0; }));
}
