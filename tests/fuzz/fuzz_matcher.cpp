// libFuzzer target: the matcher. The bytes are a pattern (JSON), then a NUL byte or, without
// one, a newline, then a received message. The pattern is read and compiled as the loader
// reads and compiles one (a bad pattern must be a ConfigError); the message is parsed as the engine parses a text
// message (it may not be JSON, or nest too deep) and as a binary one, and matched.
#include "fuzz_check.hpp"

#include "pushcheck/engine/matcher.hpp"

#include "engine/util.hpp"

#include <string_view>

using namespace pushcheck;

namespace {

void match(const engine::Pattern& p, const engine::ParsedMessage& m) {
    std::string why;
    const bool ok = p.matches(m, &why);
    FUZZ_EXPECT(ok == p.matches(m));
    FUZZ_EXPECT(ok == why.empty());  // a mismatch is explained, a match is not
    if (m.kind == engine::ParsedMessage::Kind::json) {
        FUZZ_EXPECT(ok == p.matches(m.value()));
    } else {
        FUZZ_EXPECT(m.value().is_null());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input = fuzz::text(data, size);
    std::size_t cut = input.find('\0');
    if (cut == std::string::npos) cut = input.find('\n');
    if (cut == std::string::npos) cut = input.size();
    const std::string_view pattern_text = std::string_view(input).substr(0, cut);
    const std::string_view message = cut < input.size() ? std::string_view(input).substr(cut + 1) : std::string_view();

    fuzz::rejecting_bad_input([&] {
        const nlohmann::json spec = engine::util::parse_config_json(std::string(pattern_text), "fuzz.json");
        engine::Pattern::check(spec, "fuzz.json", "/match");
        const engine::PatternPtr p = engine::Pattern::compile(spec, "fuzz.json", "/match");
        FUZZ_EXPECT(!p->describe().empty() && p->describe(10).size() <= 13);
        (void)p->is_any();
        for (int depth : {64, 2}) {
            const engine::ParsedMessage m = engine::parse_message(message, false, depth);
            FUZZ_EXPECT(m.size == message.size());
            match(*p, m);
        }
        match(*p, engine::parse_message(message, true, 64));
    });
    return 0;
}
