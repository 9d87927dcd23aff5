// libFuzzer target: the profile loader. The bytes are a profile file, read as load_profile()
// reads one (util::parse_config_json, then make_profile); a profile that loads
// gets a few overrides as `--set` applies them, and every scenario of scenarios/suite whose
// sections it has is bound to it (references followed, patterns compiled, steps and checks
// built). Bad input must end in a ConfigError.
#include "fuzz_check.hpp"

#include "pushcheck/engine/profile.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/engine/scenario.hpp"

#include "engine/util.hpp"

using namespace pushcheck;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<engine::Scenario> suite = engine::load_scenarios({PUSHCHECK_SOURCE_DIR "/scenarios/suite"});
    fuzz::rejecting_bad_input([&] {
        engine::Profile p = engine::make_profile(engine::util::parse_config_json(fuzz::text(data, size), "fuzz.json"), "fuzz.json");
        FUZZ_EXPECT(!p.name.empty());
        for (const auto& s : suite)
            if (engine::missing_sections(s, p.values).empty())
                fuzz::rejecting_bad_input([&] { engine::validate_scenario(s, p); });
        for (const char* set : {"push.interval_ms=1000", "rooms.valid.0=/x", "timeouts=1", "no.such.key=1"})
            fuzz::rejecting_bad_input([&] {
                engine::apply_override(p, set);
                engine::validate_profile(p);
            });
    });
    return 0;
}
