#include "support/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace pushcheck::test {

namespace {

using Clock = std::chrono::steady_clock;

// Spawns argv with stdout (and stderr too when `merge_stderr`) into a new pipe.
pid_t spawn(const std::vector<std::string>& argv, bool merge_stderr, int& read_fd, std::string& error) {
    if (argv.empty()) {
        error = "empty command";
        return -1;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    if (merge_stderr) posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        error = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return -1;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    read_fd = fds[0];
    return pid;
}

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Reads what is available from `fd` into `out`, waiting at most until `deadline`.
// Returns false at EOF or error.
bool read_some(int fd, std::string& out, Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
    if (r <= 0) return true;  // timeout: the caller checks the deadline
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR);
}

std::optional<int> wait_pid(pid_t pid, Clock::time_point deadline) {
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return decode(status);
        if (r < 0) return -1;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // no pidfd wait in glibc 2.36
    }
}

} // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    pid_ = spawn(argv, false, out_fd_, error_);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        if (out_fd_ < 0 || Clock::now() >= deadline) return std::nullopt;
        std::string chunk;
        bool open = read_some(out_fd_, chunk, deadline);
        buffer_ += chunk;
        seen_ += chunk;
        if (!open) {
            close(out_fd_);
            out_fd_ = -1;
        }
    }
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto line = read_line(left);
        if (!line) return std::nullopt;
        if (line->rfind(prefix, 0) == 0) return line;
    }
    return std::nullopt;
}

bool ChildProcess::signal(int sig) { return pid_ > 0 && !status_ && ::kill(pid_, sig) == 0; }

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    if (!status_) status_ = wait_pid(pid_, Clock::now() + timeout);
    return status_;
}

RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    RunResult result;
    int fd = -1;
    std::string error;
    pid_t pid = spawn(argv, true, fd, error);
    if (pid <= 0) {
        result.output = error;
        return result;
    }
    auto deadline = Clock::now() + timeout;
    bool open = true;
    while (open && Clock::now() < deadline) open = read_some(fd, result.output, deadline);
    close(fd);
    result.exit_code = wait_pid(pid, deadline);
    if (!result.exit_code) {
        ::kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        result.output += "\n[killed after " + std::to_string(timeout.count()) + " ms]";
    }
    return result;
}

std::optional<unsigned short> port_from_listening_line(std::string_view line) {
    constexpr std::string_view prefix = "listening on ";
    if (line.rfind(prefix, 0) != 0) return std::nullopt;
    auto colon = line.rfind(':');
    if (colon == std::string_view::npos || colon + 1 >= line.size()) return std::nullopt;
    unsigned long port = 0;
    for (char c : line.substr(colon + 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        port = port * 10 + static_cast<unsigned long>(c - '0');
        if (port > 65535) return std::nullopt;
    }
    if (port == 0) return std::nullopt;
    return static_cast<unsigned short>(port);
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pushcheck-test-XXXXXX";
    if (mkdtemp(tmpl.data())) path_ = tmpl;
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

} // namespace pushcheck::test
