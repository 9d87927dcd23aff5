#include "fault_policy.hpp"

#include "nowtime/messages.hpp"

#include <algorithm>

namespace nowtime::detail {

namespace {

std::chrono::milliseconds effective_interval(const ServerOptions& o) {
    auto ms = o.interval.count();
    if (o.faults.interval_long) ms = ms * 14 / 10;
    if (o.faults.interval_short) ms = ms * 6 / 10;
    return std::chrono::milliseconds(std::max<long long>(ms, 1));
}

} // namespace

Policy::Policy(const ServerOptions& o) : interval(effective_interval(o)), faults_(o.faults) {
    const Faults& f = o.faults;
    if (!f.no_welcome) welcome = welcome_message(f);
    copies_per_tick = f.push_twice ? 2 : 1;
    ticker_per_member = f.per_connection_timer;
    room_capacity = f.second_member_refused ? 1 : 0;
    unknown_room_joins_first = f.unknown_room_accepted;
    abrupt_leave_stops_ticker = f.abrupt_disconnect_breaks_ticker;
    close_on_garbage = f.garbage_kills_connection;
    answer_close_request = !f.ignore_close_request;
    bye = !f.no_bye;
    push_after_bye = f.push_after_bye;
    if (f.bye_no_close) close_after_bye.reset();
    else if (f.close_code_1011) close_after_bye = 1011;
    faulty = f.any();
}

std::string Policy::push(std::chrono::system_clock::time_point t) const { return push_message(t, faults_); }

} // namespace nowtime::detail
