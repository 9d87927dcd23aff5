// The framings the registry knows (one file each) and what their encoders share.
#pragma once
#include "pushcheck/engine/framing.hpp"

namespace pushcheck::engine::framing {

/// "json": a frame is one JSON value, as is (framing/json.cpp).
FramingPtr make_json();
/// "socketio": Engine.IO 4 packets carrying Socket.IO packets (framing/socketio.cpp).
FramingPtr make_socketio();

/// `v` as compact JSON text, or nullopt with `why` set when it holds a string that is not
/// UTF-8 (nlohmann::json would throw; only a value built in code can hold one).
std::optional<std::string> dump_checked(const nlohmann::json& v, std::string* why);

} // namespace pushcheck::engine::framing
