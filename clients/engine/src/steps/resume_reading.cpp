// resume_reading: the client reads its socket again after pause_reading.
#include "steps/reading.hpp"

namespace pushcheck::engine::steps {
namespace {

std::unique_ptr<Step> make(const Params&) {
    return std::make_unique<StepOf<ReadingConfig, ReadingTask>>(ReadingConfig{Command::Kind::resume_reading});
}

const StepInfo kResumeReading{
    "resume_reading",
    "read the client's socket again; what arrived while paused is reported as it is read (passes on an ended connection)",
    true,
    {},
    nullptr,
    &make,
};

} // namespace
PUSHCHECK_REGISTER_STEP(kResumeReading);
} // namespace pushcheck::engine::steps
