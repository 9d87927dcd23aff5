// join: open a connection to a room and wait for the handshake's outcome.
#include "steps/connect.hpp"

namespace pushcheck::engine::steps {
namespace {

std::unique_ptr<Step> make(const Params& p) {
    ConnectConfig c;
    auto target = std::make_shared<JoinTarget>();
    target->path = p.string_or_profile("path", "rooms.valid.0");
    if (target->path.empty() || target->path[0] != '/')
        p.fail("path", "expected a request path starting with \"/\", got \"" + target->path + "\"");
    target->headers = p.headers("headers");
    target->subprotocols = p.strings_or("subprotocols", {});
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
    "open a WebSocket connection to a room; passes when the handshake completes (or is refused, as expected)",
    true,
    {{"path", ParamType::string},
     {"headers", ParamType::headers},
     {"subprotocols", ParamType::strings},
     {"within_ms", ParamType::duration},
     {"expect", ParamType::choice, false, {"open", "refused", "any", "attempt"}},
     {"recv_buffer", ParamType::integer, false, {}, 1024, 64 << 20},
     {"ramp_per_s", ParamType::number, false, {}, 0}},
    nullptr,
    &make,
    JoinRole::joins,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kJoin);
} // namespace pushcheck::engine::steps
