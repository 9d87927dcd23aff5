#include "signals.hpp"

#include <csignal>
#include <ctime>
#include <pthread.h>

namespace pushcheck::run {

namespace {
sigset_t watched() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    return s;
}
} // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
    sigset_t s = watched();
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
    thread_ = std::thread([this] {
        sigset_t set = watched();
        // Wake every 100 ms to notice the end of the run; a signal is handled at once.
        const timespec tick{0, 100'000'000};
        while (!stop_.load()) {
            int sig = sigtimedwait(&set, nullptr, &tick);
            if (sig > 0) on_signal_(sig);
        }
    });
}

SignalWatcher::~SignalWatcher() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    sigset_t s = watched();
    pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

const char* signal_name(int sig) {
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
    }
}

} // namespace pushcheck::run
