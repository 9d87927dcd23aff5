// libFuzzer target: the timestamp parsers. The bytes are read as an ISO-8601 UTC string and as
// epoch seconds and milliseconds (a JSON string, and a JSON number when they parse as one). An
// accepted ISO-8601 time must equal the calendar's own count (std::chrono) for its fields; an
// accepted epoch time must lie in 1970..2200, and the two epoch units must agree.
#include "fuzz_check.hpp"

#include "pushcheck/engine/matcher.hpp"

#include <chrono>
#include <cstdlib>

using namespace pushcheck;
using engine::TimestampFormat;

namespace {

constexpr std::int64_t kYear2200Us = 7258118400LL * 1000000;

int field(const std::string& s, std::size_t at, std::size_t n) { return std::atoi(s.substr(at, n).c_str()); }

void iso(const std::string& s) {
    const auto us = engine::parse_iso8601_utc(s);
    if (!us) return;
    namespace chr = std::chrono;
    const chr::year_month_day date{chr::year(field(s, 0, 4)), chr::month(static_cast<unsigned>(field(s, 5, 2))),
                                   chr::day(static_cast<unsigned>(field(s, 8, 2)))};
    FUZZ_EXPECT(date.ok());
    const std::int64_t secs = chr::sys_days(date).time_since_epoch().count() * 86400LL + field(s, 11, 2) * 3600LL +
                              field(s, 14, 2) * 60LL + field(s, 17, 2);
    const std::int64_t micros = *us - secs * 1000000;
    FUZZ_EXPECT(micros >= 0 && micros < 1000000);
    FUZZ_EXPECT(engine::timestamp_us(nlohmann::json(s), TimestampFormat::iso8601_utc) == us);
}

void epoch(const nlohmann::json& v) {
    const auto s = engine::timestamp_us(v, TimestampFormat::epoch_s);
    const auto ms = engine::timestamp_us(v, TimestampFormat::epoch_ms);
    for (const auto& t : {s, ms})
        if (t) FUZZ_EXPECT(*t >= 0 && *t <= kYear2200Us);
    if (s) FUZZ_EXPECT(ms.has_value());  // seconds in range are milliseconds in range
    if (s && ms) FUZZ_EXPECT(std::llabs(*s - *ms * 1000) <= 1000);
    FUZZ_EXPECT(!engine::timestamp_us(v, TimestampFormat::iso8601_utc) || v.is_string());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string s = fuzz::text(data, size);
    iso(s);
    epoch(nlohmann::json(s));
    const nlohmann::json number = nlohmann::json::parse(s, nullptr, false);
    if (number.is_number()) epoch(number);
    return 0;
}
