// Ctrl-C and SIGTERM during `pushcheck run`: a watcher thread turns them into a callback.
#pragma once
#include <atomic>
#include <functional>
#include <thread>

namespace pushcheck::run {

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later)
/// and calls `on_signal(sig)` from its own thread when one arrives. Restores the mask when
/// destroyed. Construct it before starting any other thread.
class SignalWatcher {
public:
    explicit SignalWatcher(std::function<void(int)> on_signal);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

private:
    std::function<void(int)> on_signal_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// "SIGINT", "SIGTERM", or "signal N".
const char* signal_name(int sig);

} // namespace pushcheck::run
