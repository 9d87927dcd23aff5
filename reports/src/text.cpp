#include "text.hpp"

#include "pushcheck/reports/escape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace pushcheck::reports::detail {

std::string fmt_ms(double ms) {
    if (!std::isfinite(ms)) return "?";
    double a = std::fabs(ms);
    if (a < 10) return fmt::format("{:.2f}", ms);
    if (a < 1000) return fmt::format("{:.1f}", ms);
    return fmt::format("{:.0f}", ms);
}

std::string fmt_us_as_ms(std::int64_t us) { return fmt_ms(static_cast<double>(us) / 1000.0); }

std::string fmt_duration(double ms) {
    if (!std::isfinite(ms)) return "?";
    if (ms < 1000) return fmt::format("{:.0f} ms", ms);
    return fmt::format("{:.2f} s", ms / 1000.0);
}

const char* verdict_label(engine::Verdict v) {
    switch (v) {
    case engine::Verdict::pass: return "PASS";
    case engine::Verdict::fail: return "FAIL";
    case engine::Verdict::non_strict: return "NON-STRICT";
    case engine::Verdict::informational: return "INFO";
    case engine::Verdict::harness_error: return "ERROR";
    case engine::Verdict::not_applicable: return "N/A";
    }
    return "?";
}

std::string group_of(const engine::ScenarioResult& s) {
    if (!s.group.empty()) return s.group;
    auto dot = s.id.rfind('.');
    return dot == std::string::npos ? s.id : s.id.substr(0, dot);
}

std::vector<std::string> drivers_of(const engine::RunResult& run) {
    std::vector<std::string> out;
    auto add = [&](const std::string& d) {
        if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    };
    for (const auto& d : run.drivers) add(d);
    for (const auto& s : run.scenarios) add(s.driver);
    return out;
}

namespace {

std::string hex_preview(std::string_view data, std::size_t cap) {
    std::string out;
    std::size_t n = std::min(data.size(), cap / 3);
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ' ';
        out += fmt::format("{:02x}", static_cast<unsigned char>(data[i]));
    }
    if (n < data.size()) out += " ...";
    return out;
}

std::string text_preview(std::string_view data, std::size_t cap) {
    std::string_view cut = utf8_prefix(data, cap);
    std::string out = sanitize_text(cut, Lines::escape);
    if (cut.size() < data.size()) out += fmt::format(" ... ({} more bytes)", data.size() - cut.size());
    return out;
}

std::string size_text(const engine::Event& e) {
    std::size_t n = e.size ? e.size : e.data.size();
    return fmt::format("{} B", n);
}

} // namespace

EventView view_event(const engine::Event& e, std::size_t cap) {
    EventView v;
    v.time = fmt::format("+{:.3f} ms", static_cast<double>(e.t_us) / 1000.0);
    v.who = sanitize_text(e.client, Lines::escape);
    if (e.connection > 0) v.who += fmt::format("#{}", e.connection);
    using K = engine::EventKind;
    switch (e.kind) {
    case K::connected:
        v.arrow = "==";
        v.what = "connected";
        if (!e.data.empty()) v.payload = "subprotocol " + text_preview(e.data, cap);
        break;
    case K::connect_failed:
        v.arrow = "!!";
        v.what = e.http_status ? fmt::format("connect failed, HTTP {}", e.http_status) : "connect failed";
        v.payload = text_preview(e.data, cap);
        break;
    case K::sent:
    case K::received:
        v.arrow = e.kind == K::sent ? "->" : "<-";
        if (e.kind == K::sent && e.close_code) {
            v.what = fmt::format("close {}", e.close_code);
            v.payload = text_preview(e.data, cap);
            break;
        }
        if (e.kind == K::sent && e.flood) {
            v.what = fmt::format("flood: {} frames, {} in {:.1f} ms", e.count, size_text(e),
                                 static_cast<double>(e.duration_us) / 1000.0);
            v.payload = text_preview(e.data, cap);
            break;
        }
        v.what = fmt::format("{} {}", e.binary ? "binary" : "text", size_text(e));
        if (e.handling == engine::Handling::ignored) v.what += " (ignored)";
        if (e.handling == engine::Handling::auto_replied) v.what += " (auto-replied)";
        if (e.handling == engine::Handling::profile_steps) v.what += " (profile steps)";
        v.payload = e.binary ? hex_preview(e.data, cap) : text_preview(e.data, cap);
        // A profile framing (e.g. socketio): the frame and the value matchers saw.
        if (!e.decoded.empty()) v.payload += "  = " + text_preview(e.decoded, cap);
        break;
    case K::pong:
        v.arrow = "<-";
        v.what = fmt::format("pong {}", size_text(e));
        v.payload = text_preview(e.data, cap);
        break;
    case K::closed:
        v.arrow = "xx";
        v.what = e.close_code ? fmt::format("closed {}", e.close_code) : "closed, no close frame";
        v.what += e.clean ? ", clean" : ", not clean";
        v.what += e.by_peer ? ", by server" : ", by client";
        v.payload = text_preview(e.data, cap);
        break;
    case K::error:
        v.arrow = "!!";
        v.what = "error";
        v.payload = text_preview(e.data, cap);
        break;
    }
    return v;
}

std::string event_line(const engine::Event& e, std::size_t cap) {
    EventView v = view_event(e, cap);
    std::string line = fmt::format("{:>14}  {:<5} {} {}", v.time, v.who, v.arrow, v.what);
    if (!v.payload.empty()) line += "  " + v.payload;
    return line;
}

std::vector<std::size_t> proving_events(const engine::ScenarioResult& s, std::size_t fallback) {
    std::vector<std::size_t> out;
    const std::size_t n = s.transcript.events.size();
    for (const auto& f : s.findings) {
        if (f.verdict == engine::Verdict::pass) continue;
        for (auto i : f.evidence)
            if (i < n) out.push_back(i);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty())
        for (std::size_t i = n > fallback ? n - fallback : 0; i < n; ++i) out.push_back(i);
    return out;
}

const engine::Finding* deciding_finding(const engine::ScenarioResult& s) {
    if (s.verdict == engine::Verdict::pass) return nullptr;
    const engine::Finding* best = nullptr;
    for (const auto& f : s.findings) {
        if (f.verdict != s.verdict) continue;
        if (f.reason == s.reason) return &f;
        if (!best) best = &f;
    }
    return best;
}

std::string finding_label(const engine::Finding& f) {
    std::string where = f.where;
    if (!where.empty() && where.front() == '/') where.erase(0, 1);
    if (where.empty()) return f.name;
    return where + " " + f.name;
}

std::vector<std::size_t> tail_with_evidence(const engine::ScenarioResult& s, std::size_t last_n) {
    const std::size_t n = s.transcript.events.size();
    std::vector<std::size_t> out = proving_events(s, 0);
    for (std::size_t i = n > last_n ? n - last_n : 0; i < n; ++i) out.push_back(i);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

double wall_ms(const std::vector<const engine::ScenarioResult*>& ss, double run_ms) {
    double sum = 0, first = 0, last = 0;
    bool any_start = false, any = false;
    for (const auto* s : ss) {
        if (!std::isfinite(s->duration_ms) || s->duration_ms < 0) continue;
        const double start = std::isfinite(s->started_ms) && s->started_ms > 0 ? s->started_ms : 0;
        sum += s->duration_ms;
        any_start = any_start || start > 0;
        first = any ? std::min(first, start) : start;
        last = any ? std::max(last, start + s->duration_ms) : start + s->duration_ms;
        any = true;
    }
    if (!any) return 0;
    if (any_start) return last - first;
    return std::isfinite(run_ms) && run_ms > 0 ? std::min(sum, run_ms) : sum;
}

std::string handshake_line(const engine::Handshake& h) {
    std::string out = h.status ? fmt::format("HTTP {}", h.status) : "no HTTP response";
    if (h.status && !h.reason.empty()) out += " " + sanitize_text(h.reason, Lines::escape);
    if (!h.subprotocol.empty()) out += ", subprotocol " + sanitize_text(h.subprotocol, Lines::escape);
    else if (h.status == 101) out += ", no subprotocol";
    return out;
}

Percentiles percentiles(const engine::Histogram& h) {
    Percentiles p;
    p.count = h.count();
    if (!p.count) return p;
    p.min = h.min();
    p.p50 = h.quantile(0.50);
    p.p90 = h.quantile(0.90);
    p.p99 = h.quantile(0.99);
    p.max = h.max();
    p.mean = h.mean();
    return p;
}

engine::Verdict overall_verdict(const engine::RunResult& run) {
    engine::Verdict worst = run.target_unreachable ? engine::Verdict::fail : engine::Verdict::pass;
    // Informational results are figures and may-level findings: they never colour the run.
    for (const auto& s : run.scenarios)
        if (s.verdict != engine::Verdict::informational && engine::severity(s.verdict) > engine::severity(worst))
            worst = s.verdict;
    return worst;
}

std::string timestamp_no_zone(const std::string& iso) {
    static const char* pattern = "dddd-dd-ddTdd:dd:dd";
    if (iso.size() < 19) return "1970-01-01T00:00:00";
    for (std::size_t i = 0; i < 19; ++i) {
        char p = pattern[i], c = iso[i];
        bool ok = p == 'd' ? std::isdigit(static_cast<unsigned char>(c)) != 0 : c == p;
        if (!ok) return "1970-01-01T00:00:00";
    }
    auto num = [&](std::size_t at, std::size_t len) { return std::stoi(iso.substr(at, len)); };
    int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), sec = num(17, 2);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > days[mo - 1] + (mo == 2 && leap ? 1 : 0) || h > 23 || mi > 59 ||
        sec > 59)
        return "1970-01-01T00:00:00";
    return iso.substr(0, 19);
}

} // namespace pushcheck::reports::detail
