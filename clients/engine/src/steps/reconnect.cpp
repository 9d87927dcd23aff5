// reconnect: drop the client's connection if open and join the same path again.
#include "steps/connect.hpp"

namespace pushcheck::engine::steps {
namespace {

std::unique_ptr<Step> make(const Params& p) {
    ConnectConfig c;  // no target: the task reuses the client's last join
    c.within_ms = p.number_or_profile("within_ms", "timeouts.connect_ms");
    c.expect = ConnectConfig::parse_expect(p);
    c.sequence_ms = sequence_budget_ms(p.profile().values, "join");  // the join steps run again (unless the join skipped them)
    return std::make_unique<StepOf<ConnectConfig, ConnectTask>>(std::move(c));
}

const StepInfo kReconnect{
    "reconnect",
    "drop the connection if open and join the same path again under the same name (a new connection number)",
    true,
    {{"within_ms", ParamType::duration}, {"expect", ParamType::choice, false, {"open", "refused", "any", "attempt"}}},
    nullptr,
    &make,
    JoinRole::rejoins,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kReconnect);
} // namespace pushcheck::engine::steps
