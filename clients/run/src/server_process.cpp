#include "server_process.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pushcheck::run {

namespace {

constexpr std::size_t kTailBytes = 16 * 1024;
using Clock = std::chrono::steady_clock;

std::string signal_name(int sig) {
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGKILL: return "SIGKILL";
    case SIGINT: return "SIGINT";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    default: return "signal " + std::to_string(sig);
    }
}

// One non-blocking TCP connect attempt with a short deadline: true when it was accepted.
bool try_connect(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return false;
    bool ok = false;
    for (addrinfo* a = res; a && !ok; a = a->ai_next) {
        int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        int r = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (r == 0) {
            ok = true;
        } else if (errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, 200) == 1) {
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                ok = err == 0;
            }
        }
        ::close(fd);
    }
    ::freeaddrinfo(res);
    return ok;
}

} // namespace

ServerProcess::~ServerProcess() { stop(std::chrono::milliseconds(2000)); }

std::string ServerProcess::start(const std::string& command) {
    command_ = command;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe failed: ") + std::strerror(errno);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own process group (so stop() reaches what the shell started), default signal
    // handling and an empty mask (pushcheck blocks SIGINT/SIGTERM in its own threads).
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = -1;
    int r = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (r != 0) {
        ::close(fds[0]);
        return std::string("cannot start /bin/sh: ") + std::strerror(r);
    }
    pid_ = pid;
    out_fd_ = fds[0];
    reader_ = std::thread([this] {
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(out_fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            std::lock_guard lock(mu_);
            tail_.append(buf, static_cast<std::size_t>(n));
            if (tail_.size() > 2 * kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
        }
    });
    return "";
}

bool ServerProcess::poll_exit() {
    if (exited_ || pid_ <= 0) return true;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        exited_ = true;
        status_ = st;
    }
    return exited_;
}

std::string ServerProcess::wait_ready(const std::string& host, const std::string& port,
                                      std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (try_connect(host, port)) return "";
        if (poll_exit())
            return "the server command ended (" + exit_text() + ") before " + host + ":" + port + " accepted a connection";
        if (Clock::now() >= deadline)
            return "nothing accepted connections on " + host + ":" + port + " within " +
                   std::to_string(timeout.count()) + " ms of starting the server command";
        // Poll the port every 50 ms: a process that listens gives no other readiness signal.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void ServerProcess::stop(std::chrono::milliseconds grace) {
    if (pid_ > 0 && !poll_exit()) {
        ::kill(-pid_, SIGTERM);
        const auto deadline = Clock::now() + grace;
        while (!poll_exit() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!poll_exit()) {
            ::kill(-pid_, SIGKILL);
            int st = 0;
            if (::waitpid(pid_, &st, 0) == pid_) exited_ = true, status_ = st;
        }
    }
    // Children of the shell may still hold the pipe: end the group before joining the reader.
    if (pid_ > 0) ::kill(-pid_, SIGKILL);
    if (reader_.joinable()) reader_.join();
    if (out_fd_ >= 0) ::close(out_fd_), out_fd_ = -1;
}

std::string ServerProcess::exit_text() {
    if (pid_ <= 0) return "not started";
    if (!poll_exit()) return "still running";
    if (WIFEXITED(status_)) return "exit " + std::to_string(WEXITSTATUS(status_));
    if (WIFSIGNALED(status_)) return "killed by " + signal_name(WTERMSIG(status_));
    return "ended";
}

std::string ServerProcess::tail() {
    std::lock_guard lock(mu_);
    std::string t = tail_.size() > kTailBytes ? tail_.substr(tail_.size() - kTailBytes) : tail_;
    // Start at a line boundary when the beginning was cut.
    if (tail_.size() > kTailBytes)
        if (auto nl = t.find('\n'); nl != std::string::npos) t.erase(0, nl + 1);
    return t;
}

} // namespace pushcheck::run
