// The protocol's messages as text, and the classification of client messages.
// No I/O here: the server and the unit tests share these functions.
#pragma once
#include "nowtime/server.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace nowtime {

/// "2026-11-26T13:02:48.542529Z": UTC, ISO 8601, always six fraction digits.
std::string format_utc(std::chrono::system_clock::time_point t);

/// `{"status":200,"event":"notification","data":"Welcome"}` (or its faulty variant).
std::string welcome_message(const Faults& faults);
/// `{"status":200,"event":"nowtime","data":"<format_utc(t)>"}` (or its faulty variant).
std::string push_message(std::chrono::system_clock::time_point t, const Faults& faults);
/// `{"message":"bye"}`
std::string bye_message();
/// `{"status":404,"event":"notification","data":"Unknown url"}`
std::string unknown_url_message();

/// What a client's text message means to the server.
enum class ClientMessage {
    close_request,  // a JSON object with "event":"close"
    other_json,     // any other JSON (ignored)
    not_json,       // not JSON at all (ignored)
};
ClientMessage classify_client_message(std::string_view text);

/// The room a request target names: the target without its query string.
std::string_view room_of_target(std::string_view target);

} // namespace nowtime
