#include "support.hpp"

#include "pushcheck/net/tls.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace drivertest {

namespace {

int poll_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left) + 1;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

} // namespace

// ---------------------------------------------------------------------------------------
PythonPeer::PythonPeer(const std::string& cert, const std::string& key) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed: " + std::string(std::strerror(errno)));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<std::string> args{"/usr/bin/python3", PUSHCHECK_DRIVER_PEER};
    if (!cert.empty()) args.insert(args.end(), {"--cert", cert, "--key", key});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    stdin_fd_ = in[1];
    if (rc != 0) {
        ::close(out[0]);
        throw std::runtime_error("cannot start /usr/bin/python3: " + std::string(std::strerror(rc)));
    }
    pid_ = pid;
    // Wait for the readiness line, with a deadline (no sleeps).
    std::string line;
    auto deadline = Clock::now() + 20s;
    while (line.find('\n') == std::string::npos) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, poll_ms(deadline)) <= 0) break;
        char buf[256];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    auto pos = line.find("listening on ");
    if (pos == std::string::npos) throw std::runtime_error("peer.py did not report its port: '" + line + "'");
    port_ = line.substr(pos + 13, line.find('\n', pos) - pos - 13);
}

PythonPeer::~PythonPeer() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

// ---------------------------------------------------------------------------------------
std::string RawConn::frame(int opcode, const std::string& payload, bool fin, bool mask) {
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f));
    unsigned char m = mask ? 0x80 : 0;
    std::size_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(m | n);
    } else if (n < 65536) {
        f += static_cast<char>(m | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xff);
    } else {
        f += static_cast<char>(m | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff);
    }
    std::string body = payload;
    if (mask) {
        const char key[4] = {0x11, 0x22, 0x33, 0x44};
        f.append(key, 4);
        for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(body[i] ^ key[i % 4]);
    }
    return f + body;
}

RawConn::Read RawConn::fill(Clock::time_point deadline) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, poll_ms(deadline));
    if (r == 0) return Read::timeout;
    if (r < 0) return Read::error;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return Read::eof;
    if (n < 0) return errno == ECONNRESET ? Read::reset : Read::error;
    in_.append(buf, static_cast<std::size_t>(n));
    return Read::frame;
}

bool RawConn::read_request() {
    auto deadline = Clock::now() + 5s;
    while (in_.find("\r\n\r\n") == std::string::npos)
        if (fill(deadline) != Read::frame) return false;
    auto end = in_.find("\r\n\r\n") + 4;
    request_ = in_.substr(0, end);
    in_.erase(0, end);
    return true;
}

bool RawConn::handshake(const std::string& extra) {
    if (!read_request()) return false;
    std::string key;
    std::string low = lower(request_);
    auto k = low.find("sec-websocket-key:");
    if (k == std::string::npos) return false;
    auto v = request_.find_first_not_of(' ', k + 18);
    key = request_.substr(v, request_.find("\r\n", v) - v);
    std::string text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    unsigned char b64[64];
    EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " +
                           std::string(reinterpret_cast<char*>(b64)) + "\r\n\r\n";
    return send(response + extra);
}

bool RawConn::send(const std::string& bytes) {
    std::size_t off = 0;
    auto deadline = Clock::now() + 5s;
    while (off < bytes.size()) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, poll_ms(deadline)) <= 0) return false;
        ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n < 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

RawConn::Read RawConn::read_frame(Frame& f, std::chrono::milliseconds within) {
    auto deadline = Clock::now() + within;
    for (;;) {
        if (in_.size() >= 2) {
            auto b = [&](std::size_t i) { return static_cast<unsigned char>(in_[i]); };
            std::size_t len = b(1) & 0x7f;
            bool masked = b(1) & 0x80;
            std::size_t hdr = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + (masked ? 4 : 0);
            if (in_.size() >= hdr) {
                if (len == 126) len = (b(2) << 8) | b(3);
                if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; ++i) len = (len << 8) | b(2 + i);
                }
                if (in_.size() >= hdr + len) {
                    f.opcode = b(0) & 0x0f;
                    f.fin = b(0) & 0x80;
                    f.payload = in_.substr(hdr, len);
                    if (masked)
                        for (std::size_t i = 0; i < len; ++i) f.payload[i] = static_cast<char>(f.payload[i] ^ in_[hdr - 4 + i % 4]);
                    in_.erase(0, hdr + len);
                    return Read::frame;
                }
            }
        }
        Read r = fill(deadline);
        if (r != Read::frame) return r;
    }
}

RawConn::Read RawConn::read_until_end(std::chrono::milliseconds within, int* close_frames) {
    auto deadline = Clock::now() + within;
    for (;;) {
        Frame f;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        Read r = read_frame(f, left < 0ms ? 0ms : left);
        if (r != Read::frame) return r;
        if (f.opcode == 8 && close_frames) ++*close_frames;
    }
}

RawPeer::RawPeer(std::function<void(RawConn&)> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("raw peer: cannot listen: " + std::string(std::strerror(errno)));
    port_ = std::to_string(ntohs(a.sin_port));
    thread_ = std::thread([this, script = std::move(script)] {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;  // every send() its own segment, so that a peer can cut frames across the client's reads
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        RawConn c(fd);
        script(c);
        ::close(fd);
    });
}

RawPeer::~RawPeer() {
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

// ---------------------------------------------------------------------------------------
Script& Script::command(Command c) {
    if (std::find(clients_.begin(), clients_.end(), c.client) == clients_.end()) clients_.push_back(c.client);
    Step s;
    s.kind = Step::Kind::command;
    s.cmd = std::move(c);
    steps_.push_back(std::move(s));
    return *this;
}

Script& Script::connect(const std::string& client, const std::string& path, int connection,
                        std::vector<std::pair<std::string, std::string>> headers,
                        std::vector<std::string> subprotocols, std::chrono::milliseconds timeout) {
    Command c;
    c.kind = Command::Kind::connect;
    c.client = client;
    c.connection = connection;
    c.path = path;
    c.headers = std::move(headers);
    c.subprotocols = std::move(subprotocols);
    c.timeout = timeout;
    return command(std::move(c));
}

Script& Script::send(const std::string& client, const std::string& text) {
    Command c;
    c.kind = Command::Kind::send_text;
    c.client = client;
    c.data = text;
    return command(std::move(c));
}

Script& Script::send_binary(const std::string& client, const std::string& data) {
    Command c;
    c.kind = Command::Kind::send_binary;
    c.client = client;
    c.data = data;
    return command(std::move(c));
}

Script& Script::ping(const std::string& client, const std::string& data) {
    Command c;
    c.kind = Command::Kind::ping;
    c.client = client;
    c.data = data;
    return command(std::move(c));
}

Script& Script::close(const std::string& client, int code, const std::string& reason) {
    Command c;
    c.kind = Command::Kind::close;
    c.client = client;
    c.code = code;
    c.reason = reason;
    return command(std::move(c));
}

Script& Script::abort(const std::string& client) {
    Command c;
    c.kind = Command::Kind::abort;
    c.client = client;
    return command(std::move(c));
}

Script& Script::expect(const std::string& client, EventKind kind, const std::string& contains, int count,
                       std::chrono::milliseconds within) {
    Step s;
    s.kind = Step::Kind::wait;
    s.client = client;
    s.event = kind;
    s.contains = contains;
    s.count = count;
    s.within = within;
    steps_.push_back(std::move(s));
    return *this;
}

Script& Script::sleep(std::chrono::milliseconds d) {
    Step s;
    s.kind = Step::Kind::sleep;
    s.within = d;
    steps_.push_back(std::move(s));
    return *this;
}

std::vector<Event> Script::events_of(const std::string& client) const {
    std::vector<Event> out;
    for (const auto& r : records_)
        if (r.event.client == client) out.push_back(r.event);
    return out;
}

std::vector<Command> Script::advance(SteadyTime now) {
    std::vector<Command> out;
    while (!done_ && step_ < steps_.size()) {
        Step& s = steps_[step_];
        if (s.kind == Step::Kind::command) {
            out.push_back(s.cmd);
            ++step_;
            continue;
        }
        if (!s.started) {
            s.started = true;
            s.deadline = now + s.within;
        }
        if (s.kind == Step::Kind::sleep) {
            if (now < s.deadline) break;
            ++step_;
            continue;
        }
        auto cur = std::find_if(cursors_.begin(), cursors_.end(), [&](auto& c) { return c.first == s.client; });
        if (cur == cursors_.end()) cur = cursors_.insert(cursors_.end(), {s.client, 0});
        while (cur->second < records_.size() && s.seen < s.count) {
            const Event& e = records_[cur->second++].event;
            if (e.client == s.client && e.kind == s.event && e.data.find(s.contains) != std::string::npos) ++s.seen;
        }
        if (s.seen >= s.count) {
            ++step_;
            continue;
        }
        if (now >= s.deadline) {
            failure_ = "step " + std::to_string(step_) + ": " + s.client + " saw " + std::to_string(s.seen) + " of " +
                       std::to_string(s.count) + " " + pushcheck::engine::to_string(s.event) + " '" + s.contains +
                       "' within " + std::to_string(s.within.count()) + " ms";
            done_ = true;
        }
        break;
    }
    if (step_ == steps_.size()) done_ = true;
    if (done_)
        for (const auto& c : clients_) {
            Command r;
            r.kind = Command::Kind::release;
            r.client = c;
            out.push_back(std::move(r));
        }
    return out;
}

std::vector<Command> Script::start(SteadyTime now) { return advance(now); }

std::vector<Command> Script::on_event(Event event, SteadyTime now) {
    records_.push_back({std::move(event), now});
    if (done_) return {};
    return advance(now);
}

std::vector<Command> Script::on_time(SteadyTime now) {
    if (done_) return {};
    return advance(now);
}

std::optional<SteadyTime> Script::next_deadline() const {
    if (done_ || step_ >= steps_.size()) return std::nullopt;
    const Step& s = steps_[step_];
    if (s.kind == Step::Kind::command || !s.started) return std::nullopt;
    return s.deadline;
}

// ---------------------------------------------------------------------------------------
std::unique_ptr<pushcheck::drivers::Driver> make_driver(const std::string& name,
                                                        const pushcheck::drivers::TargetOptions& target) {
    if (name == "async") {
        // The driver tests run once as they are and once with two async threads (ctest drivers.threads2.*).
        const char* threads = std::getenv("PUSHCHECK_TEST_ASYNC_THREADS");
        return pushcheck::drivers::make_async_driver(target, threads ? std::atoi(threads) : 1);
    }
    if (name == "sync") return pushcheck::drivers::make_sync_driver(target);
    throw std::invalid_argument("unknown driver " + name);
}

pushcheck::drivers::TargetOptions target_for(const std::string& port, bool tls, const std::string& prefix) {
    pushcheck::drivers::TargetOptions t;
    t.url.tls = tls;
    t.url.host = "127.0.0.1";
    t.url.port = port;
    t.url.path = prefix;
    t.user_agent = "pushcheck-test";
    t.io_timeout = 3000ms;
    t.close_timeout = 2000ms;
    t.release_timeout = 300ms;
    return t;
}

std::chrono::milliseconds run(const std::string& driver, const pushcheck::drivers::TargetOptions& target, Script& s) {
    auto d = make_driver(driver, target);
    auto t0 = Clock::now();
    d->run({&s}, 1, {});
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

std::string signature(const Event& e) {
    std::string s = e.client + "#" + std::to_string(e.connection) + " " + pushcheck::engine::to_string(e.kind);
    switch (e.kind) {
    case EventKind::connected: return s + "[" + e.data + "]";
    case EventKind::connect_failed: return s + "[" + std::to_string(e.http_status) + "]";
    case EventKind::sent:
        if (e.flood) return s + "[flood: " + e.data + "]";
        if (e.close_code) return s + "[close " + std::to_string(e.close_code) + "]";
        return s + "[" + (e.binary ? "binary " : "text ") + std::to_string(e.size) + "]";
    case EventKind::received: {
        auto j = nlohmann::json::parse(e.data, nullptr, false);
        if (!e.binary && j.is_object()) {
            for (const char* key : {"event", "message"})
                if (j.contains(key) && j[key].is_string()) return s + "[" + j[key].get<std::string>() + "]";
        }
        return s + "[" + (e.binary ? "binary " : "text ") + std::to_string(e.size) + "]";
    }
    case EventKind::pong: return s + "[" + e.data + "]";
    case EventKind::closed:
        return s + "[" + std::to_string(e.close_code) + (e.clean ? " clean" : "") + (e.by_peer ? " by_peer" : "") + "]";
    case EventKind::error: return s + "[" + e.data + "]";
    }
    return s;
}

std::vector<std::string> signatures(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(signature(e));
    return out;
}

std::string describe(const Script& s) {
    std::string out = s.failure().empty() ? "script passed\n" : "script failed: " + s.failure() + "\n";
    if (s.records().empty()) return out + "(no events)\n";
    SteadyTime t0 = s.records().front().t;
    std::size_t shown = 0;
    for (const auto& r : s.records()) {
        if (++shown > 60) {
            out += "...\n";
            break;
        }
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.t - t0).count();
        std::string data = r.event.data.substr(0, 80);
        out += "  +" + std::to_string(ms) + "ms " + signature(r.event) + " '" + data + "'\n";
    }
    return out;
}

std::string closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return std::to_string(ntohs(a.sin_port));
}

CertFiles::~CertFiles() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

CertFiles make_cert() {
    char tmpl[] = "/tmp/pushcheck-drivers-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    CertFiles f{tmpl, std::string(tmpl) + "/cert.pem", std::string(tmpl) + "/key.pem"};
    std::string error;
    if (!pushcheck::net::write_self_signed(f.cert, f.key, "localhost", error))
        throw std::runtime_error("write_self_signed: " + error);
    return f;
}

} // namespace drivertest
