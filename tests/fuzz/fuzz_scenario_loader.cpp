// libFuzzer target: the scenario loader. The bytes are a scenario file; a scenario that loads
// is then bound to the nowtime profile (scenarios/profiles/nowtime.json), which follows every
// {"$profile": ...} reference, compiles every pattern and builds every step and check, as
// `pushcheck run` does before it connects. Bad input must end in a ConfigError.
#include "fuzz_check.hpp"

#include "pushcheck/engine/profile.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/engine/scenario.hpp"

using namespace pushcheck;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const engine::Profile nowtime = engine::load_profile(PUSHCHECK_SOURCE_DIR "/scenarios/profiles/nowtime.json", {});
    fuzz::rejecting_bad_input([&] {
        const engine::Scenario s = engine::parse_scenario(fuzz::text(data, size), "fuzz.json");
        FUZZ_EXPECT(!s.id.empty() && !s.clients.empty() && s.steps.is_array() && !s.steps.empty());
        (void)s.group();
        if (engine::missing_sections(s, nowtime.values).empty()) engine::validate_scenario(s, nowtime);
    });
    return 0;
}
