#include "engine/util.hpp"

#include "pushcheck/engine/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pushcheck::engine::util {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::vector<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d <= limit) scored.emplace_back(d, c);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
    return out;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    auto c = closest(word, candidates);
    if (c.empty()) return "";
    return " (did you mean \"" + c.front() + "\"?)";
}

std::string num(double v) {
    // Huge or non-finite values (DBL_MAX as a range bound) in short scientific form.
    if (!std::isfinite(v) || std::abs(v) >= 1e15) return fmt::format("{:g}", v);
    std::string s = fmt::format("{:.3f}", v);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// Control characters would break the one-line rule of reasons.
std::string one_line(std::string_view s, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
        else out += static_cast<char>(c);
    }
    return out;
}

std::string preview(const Event& e, std::size_t max) {
    if (e.binary) return fmt::format("(a binary message of {} bytes)", e.size ? e.size : e.data.size());
    if (e.data.empty()) return "(an empty message)";
    return one_line(e.data, max);
}

std::string describe_close(const Event& e) {
    std::string s;
    if (e.close_code == 0) s = "no close frame";
    else s = fmt::format("code {}", e.close_code);
    s += e.clean ? ", clean" : ", not clean";
    if (!e.data.empty()) s += ": " + one_line(e.data, 80);
    return s;
}

std::pair<int, int> line_col(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i)
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return {line, static_cast<int>(offset - line_start) + 1};
}

nlohmann::json parse_config_json(const std::string& text, const std::string& file) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is 1-based and points at the last character read.
        std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
        auto [line, col] = line_col(text, at);
        std::string what = e.what();
        // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 14: ".
        if (auto p = what.find(": "); p != std::string::npos && what.rfind("[json.exception", 0) == 0)
            what = what.substr(p + 2);
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) what = "the file is empty, expected a JSON object";
        throw ConfigError(file, fmt::format("{}:{}", line, col), "JSON syntax error: " + what);
    } catch (const nlohmann::json::out_of_range& e) {
        // A number too large for a double ("1e999"). nlohmann gives no position but quotes the
        // number: "... number overflow parsing '1e999'"; its first occurrence is the place.
        const std::string what = e.what();
        const auto open = what.find('\''), close = what.rfind('\'');
        const std::string number = open < close && close != std::string::npos ? what.substr(open + 1, close - open - 1) : what;
        const std::size_t at = text.find(number);
        std::string where;
        if (at != std::string::npos) {
            auto [line, col] = line_col(text, at);
            where = fmt::format("{}:{}", line, col);
        }
        throw ConfigError(file, where, "number out of range: " + number + " does not fit a double");
    }
}

namespace {
// A scanner over text already known to be valid JSON.
struct Scanner {
    std::string_view t;
    std::size_t i = 0;
    void ws() {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
    }
    std::string_view string() {
        std::size_t start = ++i;
        while (i < t.size() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
        std::string_view s = t.substr(start, i - start);
        ++i;
        return s;
    }
    void value() {
        ws();
        if (i >= t.size()) return;
        char c = t[i];
        if (c == '"') {
            string();
        } else if (c == '{' || c == '[') {
            int depth = 0;
            while (i < t.size()) {
                char d = t[i];
                if (d == '"') {
                    string();
                    continue;
                }
                if (d == '{' || d == '[') ++depth;
                if (d == '}' || d == ']') {
                    if (--depth == 0) {
                        ++i;
                        return;
                    }
                }
                ++i;
            }
        } else {
            while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
                   t[i] != '\r' && t[i] != '\t')
                ++i;
        }
    }
};
} // namespace

std::vector<std::pair<int, int>> element_positions(std::string_view text, std::string_view key) {
    std::vector<std::pair<int, int>> out;
    Scanner s{text};
    s.ws();
    if (s.i >= text.size() || text[s.i] != '{') return out;
    ++s.i;
    while (true) {
        s.ws();
        if (s.i >= text.size() || text[s.i] != '"') return out;
        std::string_view k = s.string();
        s.ws();
        ++s.i;  // ':'
        s.ws();
        if (k == key && s.i < text.size() && text[s.i] == '[') {
            ++s.i;
            while (true) {
                s.ws();
                if (s.i >= text.size() || text[s.i] == ']') return out;
                out.push_back(line_col(text, s.i));
                s.value();
                s.ws();
                if (s.i < text.size() && text[s.i] == ',') ++s.i;
            }
        }
        s.value();
        s.ws();
        if (s.i < text.size() && text[s.i] == ',') ++s.i;
        else return out;
    }
}

std::string read_file(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(file, "", std::string("cannot read the file: ") + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace pushcheck::engine::util
