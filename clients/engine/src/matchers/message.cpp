// Parsing received payloads once, with a nesting limit, and reading ISO-8601 timestamps.
#include "pushcheck/engine/matcher.hpp"

#include "matchers/preview.hpp"

#include <array>
#include <cstdlib>
#include <cmath>
#include <algorithm>

namespace pushcheck::engine {

int json_nesting_depth(std::string_view text, int limit) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > limit) return deepest;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

std::string text_preview(std::string_view data) {
    constexpr std::size_t kMax = 60;
    std::string s = nlohmann::json(std::string(data.substr(0, kMax))).dump(-1, ' ', false,
                                                                          nlohmann::json::error_handler_t::replace);
    if (data.size() > kMax) s.insert(s.size() - 1, "...");
    return s;
}

const nlohmann::json& ParsedMessage::null_value() noexcept {
    static const nlohmann::json null;
    return null;
}

ParsedMessage parse_message(std::string_view data, bool binary, int max_depth) {
    ParsedMessage m;
    m.size = data.size();
    if (binary) {
        m.kind = ParsedMessage::Kind::binary;
        return m;
    }
    if (json_nesting_depth(data, max_depth) > max_depth) {
        m.kind = ParsedMessage::Kind::too_deep;
        m.depth_limit = max_depth;
        return m;
    }
    nlohmann::json v = nlohmann::json::parse(data, nullptr, false);
    if (v.is_discarded()) {
        m.kind = ParsedMessage::Kind::not_json;
        m.preview = text_preview(data);
    } else {
        m.kind = ParsedMessage::Kind::json;
        m.set_value(std::move(v));
    }
    return m;
}

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

std::optional<std::int64_t> parse_iso8601_utc(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.fraction]Z
    int year, month, day, hour, minute, second;
    if (s.size() < 20) return std::nullopt;
    if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' || !digits(s, 8, 2, day) ||
        s[10] != 'T' || !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
        !digits(s, 17, 2, second))
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t micros = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t start = i;
        int scale = 100000;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            micros += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start) return std::nullopt;
    }
    if (i != s.size() - 1 || s[i] != 'Z') return std::nullopt;
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return std::nullopt;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int days_in_month = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
    if (day < 1 || day > days_in_month) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second;
    return secs * 1000000 + micros;
}

std::optional<TimestampFormat> timestamp_format(std::string_view name) {
    if (name == "iso8601-utc") return TimestampFormat::iso8601_utc;
    if (name == "epoch-s") return TimestampFormat::epoch_s;
    if (name == "epoch-ms") return TimestampFormat::epoch_ms;
    return std::nullopt;
}

const char* to_string(TimestampFormat f) {
    switch (f) {
    case TimestampFormat::epoch_s: return "epoch-s";
    case TimestampFormat::epoch_ms: return "epoch-ms";
    default: return "iso8601-utc";
    }
}

const char* describe(TimestampFormat f) {
    switch (f) {
    case TimestampFormat::epoch_s: return "a timestamp in epoch seconds";
    case TimestampFormat::epoch_ms: return "a timestamp in epoch milliseconds";
    default: return "an ISO-8601 UTC timestamp";
    }
}

std::optional<std::int64_t> timestamp_us(const nlohmann::json& v, TimestampFormat f) {
    if (f == TimestampFormat::iso8601_utc)
        return v.is_string() ? parse_iso8601_utc(v.get_ref<const std::string&>()) : std::nullopt;
    double x = 0;
    if (v.is_number()) {
        x = v.get<double>();
    } else if (v.is_string()) {
        // Digits with an optional fraction, nothing else (no sign, exponent or spaces).
        const std::string& t = v.get_ref<const std::string&>();
        std::size_t dot = t.find('.');
        auto all_digits = [](std::string_view d) {
            return !d.empty() && d.size() <= 20 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
        };
        const std::string_view whole = std::string_view(t).substr(0, dot);
        if (!all_digits(whole) || (dot != std::string::npos && !all_digits(std::string_view(t).substr(dot + 1))))
            return std::nullopt;
        x = std::strtod(t.c_str(), nullptr);
    } else {
        return std::nullopt;
    }
    const double us = f == TimestampFormat::epoch_s ? x * 1e6 : x * 1e3;
    constexpr double kYear2200 = 7258118400.0 * 1e6;
    if (!std::isfinite(us) || us < 0 || us > kYear2200) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(us));
}

std::string show_json(const nlohmann::json& v, std::size_t max) {
    std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > max) {
        s.resize(max);
        s += "...";
    }
    return s;
}

} // namespace pushcheck::engine
