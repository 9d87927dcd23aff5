// The mutants' faults as one policy object: what the server does at each point of the
// protocol, decided once at start, so that sessions and tickers carry no fault flags.
#pragma once
#include "nowtime/server.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace nowtime::detail {

/// The server's behaviour at each protocol point (the production server's, unless faults are set).
struct Policy {
    explicit Policy(const ServerOptions& o);

    std::chrono::milliseconds interval;   // the push interval (interval_long, interval_short)
    std::optional<std::string> welcome;   // nullopt: join without a welcome
    int copies_per_tick = 1;              // push_twice: 2
    bool ticker_per_member = false;       // per_connection_timer: no room ticker, first push at once
    std::size_t room_capacity = 0;        // 0: unlimited; second_member_refused: 1
    bool unknown_room_joins_first = false;
    bool abrupt_leave_stops_ticker = false;  // one abrupt leave stops the ticker (every room)
    bool close_on_garbage = false;        // non-JSON input: close 1003
    bool answer_close_request = true;     // ignore_close_request: false
    bool bye = true;                      // no_bye: false
    bool push_after_bye = false;
    std::optional<std::uint16_t> close_after_bye{1000};  // nullopt: never close (bye_no_close)
    bool faulty = false;                  // any fault is set

    /// The push for time `t`, in the format the faults ask for.
    std::string push(std::chrono::system_clock::time_point t) const;

private:
    Faults faults_;
};

} // namespace nowtime::detail
