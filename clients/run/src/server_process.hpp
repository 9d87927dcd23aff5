// The server under test that `pushcheck run --server-cmd` starts, waits for and stops.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace pushcheck::run {

/// A shell command (sh -c) in its own process group, with its stdout and stderr captured:
/// the last lines are kept for the reports, nothing grows without bound.
class ServerProcess {
public:
    ServerProcess() = default;
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// Starts `command`; returns "" or why it could not be started.
    std::string start(const std::string& command);
    /// Waits until a TCP connection to host:port succeeds, the process exits, or `timeout`
    /// passes; returns "" when ready, else what happened.
    std::string wait_ready(const std::string& host, const std::string& port, std::chrono::milliseconds timeout);
    /// SIGTERM to the process group, then SIGKILL after `grace`; reaps it. Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

    /// How it ended ("exit 0", "signal SIGTERM", "still running").
    std::string exit_text();
    /// The last captured lines of its output.
    std::string tail();
    int pid() const { return pid_; }
    const std::string& command() const { return command_; }

private:
    bool poll_exit();  // reaps the child if it exited; true when it has

    std::string command_;
    int pid_ = -1;
    int out_fd_ = -1;
    bool exited_ = false;
    int status_ = 0;
    std::thread reader_;
    std::mutex mu_;
    std::string tail_;  // the last kTailBytes of output
};

} // namespace pushcheck::run
