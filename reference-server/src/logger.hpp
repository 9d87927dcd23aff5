// The server's stderr log: whole lines, one at a time, and a throttle for events that a
// peer can repeat at will (refusals, evictions), so that a flood cannot flood the log.
#pragma once
#include "nowtime/server.hpp"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <string>

namespace nowtime::detail {

/// Writes "nowtime-server: level: message" lines to stderr.
class Logger {
public:
    explicit Logger(LogLevel level) : level_(level) {}
    bool on(LogLevel l) const { return l != LogLevel::off && l <= level_; }
    void operator()(LogLevel l, const std::string& msg) const {
        if (!on(l)) return;
        std::lock_guard lock(mutex_);
        std::cerr << "nowtime-server: " << to_string(l) << ": " << msg << std::endl;
    }

private:
    LogLevel level_;
    mutable std::mutex mutex_;
};

/// One kind of repeatable event: logs the first, then at most one line a second that says
/// how many happened since the last line.
class Throttle {
public:
    Throttle(const Logger& log, LogLevel level) : log_(log), level_(level) {}
    void operator()(const std::string& msg) {
        if (!log_.on(level_)) return;
        std::unique_lock lock(mutex_);
        ++held_;
        auto now = std::chrono::steady_clock::now();
        if (logged_ && now - last_ < std::chrono::seconds(1)) return;
        std::string line = held_ == 1 ? msg : msg + " (and " + std::to_string(held_ - 1) + " more in the last second)";
        held_ = 0;
        last_ = now;
        logged_ = true;
        lock.unlock();
        log_(level_, line);
    }

private:
    const Logger& log_;
    LogLevel level_;
    std::mutex mutex_;
    std::uint64_t held_ = 0;
    bool logged_ = false;
    std::chrono::steady_clock::time_point last_{};
};

} // namespace nowtime::detail
