#include "nowtime/messages.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace nowtime {

namespace {

using std::chrono::system_clock;

// Splits a time point into calendar fields (UTC) and microseconds.
std::tm utc_fields(system_clock::time_point t, long& micros) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    auto secs = static_cast<std::time_t>(us / 1000000);
    micros = static_cast<long>(us % 1000000);
    if (micros < 0) {  // times before 1970 round towards the earlier second
        micros += 1000000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

std::string timestamp(system_clock::time_point t, const Faults& f) {
    if (f.timestamp_stale) t -= std::chrono::seconds(5);
    char buf[64];
    long micros = 0;
    if (f.timestamp_not_iso) {
        std::tm tm = utc_fields(t, micros);
        std::snprintf(buf, sizeof buf, "%02d/%02d/%04d %02d:%02d:%02d", tm.tm_mday, tm.tm_mon + 1,
                      tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return buf;
    }
    if (f.timestamp_not_utc) {
        // The right instant written as local time at +01:00, which is not the "Z" form.
        std::tm tm = utc_fields(t + std::chrono::hours(1), micros);
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+01:00", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
        return buf;
    }
    return format_utc(t);
}

} // namespace

std::string format_utc(system_clock::time_point t) {
    long micros = 0;
    std::tm tm = utc_fields(t, micros);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return buf;
}

std::string welcome_message(const Faults& f) {
    return f.welcome_status_500 ? R"({"status":500,"event":"notification","data":"Welcome"})"
                                : R"({"status":200,"event":"notification","data":"Welcome"})";
}

std::string push_message(system_clock::time_point t, const Faults& f) {
    std::string ts = timestamp(t, f);
    if (f.push_not_json) return ts;
    const char* event = f.wrong_push_event ? "time" : "nowtime";
    return std::string(R"({"status":200,"event":")") + event + R"(","data":")" + ts + "\"}";
}

std::string bye_message() { return R"({"message":"bye"})"; }

std::string unknown_url_message() {
    return R"({"status":404,"event":"notification","data":"Unknown url"})";
}

ClientMessage classify_client_message(std::string_view text) {
    auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return ClientMessage::not_json;
    if (j.is_object()) {
        auto it = j.find("event");
        if (it != j.end() && it->is_string() && it->get_ref<const std::string&>() == "close")
            return ClientMessage::close_request;
    }
    return ClientMessage::other_json;
}

std::string_view room_of_target(std::string_view target) {
    return target.substr(0, target.find('?'));
}

} // namespace nowtime
