// Options, fault names and the metrics exposition: the parts of server.hpp without I/O.
#include "nowtime/server.hpp"

#include <array>
#include <utility>

namespace nowtime {

namespace {

using FaultFlag = bool Faults::*;

// The one table of fault names; fault_names() and set_fault() both read it.
const std::array<std::pair<const char*, FaultFlag>, 20> kFaults{{
    {"no_welcome", &Faults::no_welcome},
    {"welcome_status_500", &Faults::welcome_status_500},
    {"wrong_push_event", &Faults::wrong_push_event},
    {"push_not_json", &Faults::push_not_json},
    {"timestamp_not_iso", &Faults::timestamp_not_iso},
    {"timestamp_not_utc", &Faults::timestamp_not_utc},
    {"timestamp_stale", &Faults::timestamp_stale},
    {"interval_long", &Faults::interval_long},
    {"interval_short", &Faults::interval_short},
    {"push_twice", &Faults::push_twice},
    {"no_bye", &Faults::no_bye},
    {"push_after_bye", &Faults::push_after_bye},
    {"bye_no_close", &Faults::bye_no_close},
    {"close_code_1011", &Faults::close_code_1011},
    {"unknown_room_accepted", &Faults::unknown_room_accepted},
    {"second_member_refused", &Faults::second_member_refused},
    {"abrupt_disconnect_breaks_ticker", &Faults::abrupt_disconnect_breaks_ticker},
    {"garbage_kills_connection", &Faults::garbage_kills_connection},
    {"per_connection_timer", &Faults::per_connection_timer},
    {"ignore_close_request", &Faults::ignore_close_request},
}};

constexpr std::array<std::pair<const char*, LogLevel>, 5> kLevels{{
    {"off", LogLevel::off},
    {"error", LogLevel::error},
    {"warn", LogLevel::warn},
    {"info", LogLevel::info},
    {"debug", LogLevel::debug},
}};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void metric(std::string& out, const char* name, const char* type, const char* help,
            std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
}

} // namespace

bool parse_log_level(std::string_view text, LogLevel& out) {
    for (auto& [name, level] : kLevels) {
        if (text == name) {
            out = level;
            return true;
        }
    }
    return false;
}

std::string_view to_string(LogLevel level) {
    for (auto& [name, l] : kLevels)
        if (l == level) return name;
    return "?";
}

bool Faults::any() const {
    for (auto& [name, flag] : kFaults)
        if (this->*flag) return true;
    return false;
}

const std::vector<std::string>& fault_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (auto& [name, flag] : kFaults) v.emplace_back(name);
        return v;
    }();
    return names;
}

bool set_fault(Faults& faults, std::string_view name) {
    for (auto& [n, flag] : kFaults) {
        if (name == n) {
            faults.*flag = true;
            return true;
        }
    }
    return false;
}

std::size_t Metrics::members(std::string_view room) const {
    for (auto& r : rooms)
        if (r.room == room) return r.members;
    return 0;
}

std::string to_prometheus(const Metrics& m) {
    std::string out;
    metric(out, "nowtime_open_connections", "gauge",
           "Open TCP connections: plain HTTP, handshakes and WebSocket members.", m.open_connections);
    out += "# HELP nowtime_room_members Members of each room.\n# TYPE nowtime_room_members gauge\n";
    for (auto& r : m.rooms)
        out += "nowtime_room_members{room=\"" + escape_label(r.room) + "\"} " +
               std::to_string(r.members) + "\n";
    metric(out, "nowtime_accepted_connections_total", "counter",
           "TCP connections accepted, plain HTTP included.", m.accepted_connections);
    metric(out, "nowtime_pushes_sent_total", "counter", "Push messages written to members.",
           m.pushes_sent);
    metric(out, "nowtime_bytes_sent_total", "counter",
           "WebSocket message payload bytes written, all messages.", m.bytes_sent);
    metric(out, "nowtime_slow_consumer_cutoffs_total", "counter",
           "Members cut off because their unsent data passed the limit.", m.slow_consumer_cutoffs);
    metric(out, "nowtime_handshake_failures_total", "counter",
           "Connections that failed or timed out before the WebSocket upgrade.",
           m.handshake_failures);
    metric(out, "nowtime_rejected_connections_total", "counter",
           "Upgrades refused with 503 because of the connection limit.", m.rejected_connections);
    metric(out, "nowtime_refused_connections_total", "counter",
           "Connections closed at accept: the connection caps were full.", m.refused_connections);
    metric(out, "nowtime_evicted_connections_total", "counter",
           "Connections dropped in their handshake to make room for new ones.", m.evicted_connections);
    metric(out, "nowtime_unfinished_message_bytes", "gauge",
           "Bytes held by client messages not yet complete.", m.unfinished_message_bytes);
    return out;
}

} // namespace nowtime
