// join: open a connection to a room and wait for the handshake's outcome.
#include "pushcheck/engine/error.hpp"
#include "steps/connect.hpp"

namespace pushcheck::engine::steps {
namespace {

void validate(const nlohmann::json& step, const std::string& file, const std::string& ptr) {
    if (step.contains("room") && step.contains("path"))
        throw ConfigError(file, ptr, "step join takes \"room\" or \"path\" (the same thing), not both");
}

std::unique_ptr<Step> make(const Params& p) {
    ConnectConfig c;
    auto target = std::make_shared<JoinTarget>();
    const nlohmann::json& values = p.profile().values;
    const bool has_join_path = values.contains("join") && values["join"].is_object() && values["join"].contains("path");
    const char* key = p.has("room") ? "room" : "path";
    target->room = p.string_or_profile(key, "rooms.valid.0");
    c.render = TextTemplate::parse(target->room).has_value() || has_join_path;
    if (!c.render && (target->room.empty() || target->room[0] != '/'))
        p.fail(key, "expected a request path starting with \"/\", got \"" + target->room + "\"");
    target->path = target->room;  // until rendered with the profile's join.path
    target->headers = p.headers("headers");
    if (p.has("subprotocols")) {
        target->subprotocols = p.strings_or("subprotocols", {});
    } else if (const auto* offer = p.profile().find("subprotocols.offer")) {
        for (const auto& s : *offer)
            if (s.is_string()) target->subprotocols.push_back(s.get<std::string>());
        target->check_subprotocol = p.profile().find("subprotocols.expect") != nullptr;
    } else {
        target->check_subprotocol = p.profile().find("subprotocols.expect") != nullptr;
    }
    target->join_steps = p.boolean_or("join_steps", true);
    target->auto_reply = p.boolean_or("auto_reply", true);
    if (target->join_steps) c.sequence_ms = sequence_budget_ms(values, "join");
    // A small receive window makes the server queue bytes quickly once the client stops reading.
    target->recv_buffer = static_cast<int>(p.integer_or("recv_buffer", 0));  // 0: the system's
    c.target = std::move(target);
    c.within_ms = p.number_or_profile("within_ms", "timeouts.connect_ms");
    c.expect = ConnectConfig::parse_expect(p);
    c.ramp_per_s = p.number_or("ramp_per_s", 0);
    return std::make_unique<StepOf<ConnectConfig, ConnectTask>>(std::move(c));
}

const StepInfo kJoin{
    "join",
    "open a WebSocket connection to a room and run the profile's join steps; passes when they complete (or the "
    "handshake is refused, as expected)",
    true,
    {{"room", ParamType::string},
     {"path", ParamType::string},
     {"join_steps", ParamType::boolean},
     {"auto_reply", ParamType::boolean},
     {"headers", ParamType::headers},
     {"subprotocols", ParamType::strings},
     {"within_ms", ParamType::duration},
     {"expect", ParamType::choice, false, {"open", "refused", "any", "attempt"}},
     {"recv_buffer", ParamType::integer, false, {}, 1024, 64 << 20},
     {"ramp_per_s", ParamType::number, false, {}, 0}},
    &validate,
    &make,
    JoinRole::joins,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kJoin);
} // namespace pushcheck::engine::steps
