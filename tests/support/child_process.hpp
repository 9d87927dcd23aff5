// Test helpers without Asio: child processes with deadlines, temporary directories.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace pushcheck::test {

/// A child process whose stdout we read line by line (stderr is inherited, so its logs
/// show up in the test output). Killed with SIGKILL and reaped when destroyed.
class ChildProcess {
public:
    /// Starts argv[0] (a path) with the given arguments. On failure `ok()` is false and
    /// `error()` says why.
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool ok() const { return pid_ > 0; }
    const std::string& error() const { return error_; }
    pid_t pid() const { return pid_; }

    /// The next stdout line (without the newline); nullopt at EOF or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Reads lines until one starts with `prefix`; nullopt at EOF or after `timeout`.
    std::optional<std::string> wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout);
    /// Every stdout byte read so far.
    const std::string& output() const { return seen_; }

    bool signal(int sig);
    /// The exit code (128 + n when killed by signal n); nullopt when still running after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::optional<int> status_;
    std::string buffer_;
    std::string seen_;
    std::string error_;
};

/// The outcome of run_command.
struct RunResult {
    std::optional<int> exit_code;  // nullopt: timed out (and killed) or could not start
    std::string output;            // stdout and stderr, interleaved
};

/// Runs a command to completion, killing it after `timeout`.
RunResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// The port of a "listening on HOST:PORT" line; nullopt when the line is not one.
std::optional<unsigned short> port_from_listening_line(std::string_view line);

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

} // namespace pushcheck::test
