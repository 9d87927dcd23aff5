// pause_reading: the client stops reading its socket, like a member that hangs.
#include "steps/reading.hpp"

namespace pushcheck::engine::steps {
namespace {

std::unique_ptr<Step> make(const Params&) {
    return std::make_unique<StepOf<ReadingConfig, ReadingTask>>(ReadingConfig{Command::Kind::pause_reading});
}

const StepInfo kPauseReading{
    "pause_reading",
    "stop reading the client's socket (nothing more is read or reported until resume_reading); needs an open connection",
    true,
    {},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kPauseReading);
} // namespace pushcheck::engine::steps
