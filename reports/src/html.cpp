// The self-contained HTML report: the skeleton, CSS and JS from reports/assets/, a body and
// inline SVG charts drawn here (so they render with scripts disabled and without network).
#include "assets.hpp"
#include "pushcheck/reports/escape.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <set>

namespace pushcheck::reports {

namespace {

using engine::Histogram;
using engine::RunResult;
using engine::ScenarioResult;
using engine::Verdict;
using detail::fmt_ms;
using detail::fmt_us_as_ms;

constexpr std::size_t kMaxRows = 250;      // transcript rows shown per scenario (plus evidence)
constexpr std::size_t kMaxMarkers = 3000;  // timeline markers per scenario

std::string esc(std::string_view s) { return html_escape(s, Lines::escape); }
std::string vclass(Verdict v) { return std::string("v-") + engine::to_string(v); }
std::string badge(Verdict v) {
    return fmt::format("<span class=\"badge {}\">{}</span>", vclass(v), detail::verdict_label(v));
}
std::string dump(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// A round step of 1, 2 or 5 times a power of ten giving about `ticks` intervals over `range`.
double nice_step(double range, int ticks) {
    if (!(range > 0) || !std::isfinite(range)) return 1;
    double raw = range / ticks;
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

std::string num(double v) { return fmt::format("{:.1f}", v); }

/// An axis label with as many decimals as the tick step needs ("0", "200", "0.25").
std::string tick(double v, double step) {
    int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    if (std::fabs(v) < step * 1e-6) v = 0;  // no "-0"
    return fmt::format("{:.{}f}", v, std::clamp(decimals, 0, 6));
}

// ---------------------------------------------------------------- charts

/// Latency histogram: buckets coalesced into at most 48 bars, p50/p90/p99 marked.
std::string histogram_svg(const Histogram& h, const std::string& what) {
    if (!h.count()) return "<p class=\"empty\">No latency samples.</p>";
    const auto& b = h.buckets();
    std::int64_t lo = b.begin()->first, hi = b.rbegin()->first;
    if (hi - lo + 1 < 12) {  // a few buckets only: widen so bars do not fill the chart
        lo = std::max<std::int64_t>(0, lo - 3);
        hi = lo + 11;
    }
    const std::int64_t span = hi - lo + 1;
    const std::int64_t group = std::max<std::int64_t>(1, (span + 47) / 48);
    const std::size_t bins = static_cast<std::size_t>((span + group - 1) / group);
    std::vector<std::uint64_t> counts(bins);
    for (auto [i, n] : b) counts[static_cast<std::size_t>((i - lo) / group)] += n;
    const std::uint64_t maxc = *std::max_element(counts.begin(), counts.end());

    const double W = 640, H = 210, ml = 46, mr = 14, mt = 40, mb = 34;
    const double pw = W - ml - mr, ph = H - mt - mb, bw = pw / static_cast<double>(bins);
    std::string s = fmt::format(
        "<svg class=\"chart-svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Latency histogram of {}\">", W, H,
        esc(what));
    // Horizontal grid and count labels.
    double step = std::max(1.0, nice_step(static_cast<double>(maxc), 4));
    for (double c = 0; c <= static_cast<double>(maxc) + 1e-9; c += step) {
        double y = mt + ph - c / static_cast<double>(maxc) * ph;
        s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", ml, num(y), W - mr, num(y));
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", ml - 6, num(y + 4), c);
    }
    for (std::size_t k = 0; k < bins; ++k) {
        if (!counts[k]) continue;
        std::int64_t first = lo + static_cast<std::int64_t>(k) * group;
        std::int64_t last = std::min(hi, first + group - 1);
        double bh = static_cast<double>(counts[k]) / static_cast<double>(maxc) * ph;
        s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{} to {} ms: {}</title></rect>",
                         num(ml + k * bw + 0.5), num(mt + ph - bh), num(std::max(1.0, bw - 1)), num(bh),
                         fmt_us_as_ms(Histogram::bucket_lower(first)), fmt_us_as_ms(Histogram::bucket_upper(last)),
                         counts[k]);
    }
    auto x_of = [&](std::int64_t us) {
        double idx = static_cast<double>(Histogram::bucket_index(us) - lo) + 0.5;
        return ml + std::clamp(idx / static_cast<double>(span), 0.0, 1.0) * pw;
    };
    const auto p = detail::percentiles(h);
    const std::pair<const char*, std::int64_t> marks[] = {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}};
    int row = 0;
    for (auto [name, v] : marks) {
        double x = x_of(v);
        double ty = 12 + 12 * row++;
        s += fmt::format("<line class=\"pct\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>", num(x), num(ty + 2),
                         num(mt + ph));
        bool right = x > W - 120;
        s += fmt::format("<text class=\"pct-label\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">{} {} ms</text>",
                         num(right ? x - 4 : x + 4), num(ty), right ? "end" : "start", name, fmt_us_as_ms(v));
    }
    s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>", ml, num(mt + ph), W - mr);
    // X labels: lower bounds of a few bins (the axis is log-linear, so labels are not evenly spaced values).
    std::vector<std::size_t> label_bins{0, bins / 4, bins / 2, 3 * bins / 4};
    label_bins.erase(std::unique(label_bins.begin(), label_bins.end()), label_bins.end());
    for (auto k : label_bins) {
        double x = ml + k * bw;
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>", num(x), num(mt + ph + 14),
                         k == 0 ? "start" : "middle",
                         fmt_us_as_ms(Histogram::bucket_lower(lo + static_cast<std::int64_t>(k) * group)));
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ms</text>", W - mr, num(mt + ph + 14),
                     fmt_us_as_ms(Histogram::bucket_upper(hi)));
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">latency (ms, log scale)</text>", ml + pw / 2,
                     H - 4);
    s += fmt::format("<text class=\"axis-label\" x=\"12\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {0})\">"
                     "samples</text>",
                     num(mt + ph / 2));
    s += "</svg>";
    return s;
}

/// Push cadence: each inter-arrival time against the nominal interval and its tolerance band.
std::string series_svg(const engine::Series& se, const char* x_label = "sample # (in arrival order)",
                       std::size_t x_first = 1) {
    if (se.values.empty()) return "<p class=\"empty\">No samples.</p>";
    const bool band = se.nominal > 0 && se.tolerance > 0;
    double ymin = *std::min_element(se.values.begin(), se.values.end());
    double ymax = *std::max_element(se.values.begin(), se.values.end());
    if (se.nominal > 0) {
        ymin = std::min(ymin, se.nominal - se.tolerance);
        ymax = std::max(ymax, se.nominal + se.tolerance);
    }
    double pad = (ymax - ymin) * 0.1;
    if (!(pad > 0)) pad = std::max(1.0, std::fabs(ymax) * 0.1);
    ymin -= pad;
    ymax += pad;
    if (ymin < 0 && *std::min_element(se.values.begin(), se.values.end()) >= 0) ymin = 0;

    const double W = 640, H = 220, ml = 52, mr = 14, mt = 14, mb = 34;
    const double pw = W - ml - mr, ph = H - mt - mb;
    const std::size_t n = se.values.size();
    auto y_of = [&](double v) { return mt + (ymax - v) / (ymax - ymin) * ph; };
    auto x_of = [&](std::size_t i) {
        return n == 1 ? ml + pw / 2 : ml + static_cast<double>(i) / static_cast<double>(n - 1) * pw;
    };
    std::string s = fmt::format(
        "<svg class=\"chart-svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{} against the nominal interval\">", W,
        H, esc(se.name));
    double step = nice_step(ymax - ymin, 4);
    for (double t = std::ceil(ymin / step) * step; t <= ymax + 1e-9; t += step) {
        double y = y_of(t);
        s += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", ml, num(y), W - mr, num(y));
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", ml - 6, num(y + 4), tick(t, step));
    }
    if (band)
        s += fmt::format("<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>nominal {} +- {} {}</title></rect>",
                         ml, num(y_of(se.nominal + se.tolerance)), pw,
                         num(y_of(se.nominal - se.tolerance) - y_of(se.nominal + se.tolerance)), fmt_ms(se.nominal),
                         fmt_ms(se.tolerance), esc(se.unit));
    if (se.nominal > 0)
        s += fmt::format("<line class=\"nominal\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>", ml,
                         num(y_of(se.nominal)), W - mr);
    std::string pts;
    for (std::size_t i = 0; i < n; ++i) pts += fmt::format("{}{},{}", i ? " " : "", num(x_of(i)), num(y_of(se.values[i])));
    s += "<polyline class=\"line\" points=\"" + pts + "\"/>";
    if (n <= 400)
        for (std::size_t i = 0; i < n; ++i) {
            double v = se.values[i];
            bool out = band && std::fabs(v - se.nominal) > se.tolerance;
            s += fmt::format("<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>#{}: {} {}{}</title></circle>",
                             out ? "pt-out" : "pt-ok", num(x_of(i)), num(y_of(v)), i + 1, fmt_ms(v), esc(se.unit),
                             out ? " (outside the tolerance)" : "");
        }
    s += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>", ml, num(mt + ph), W - mr);
    std::vector<std::size_t> ticks{0, (n - 1) / 2, n - 1};
    ticks.erase(std::unique(ticks.begin(), ticks.end()), ticks.end());
    for (std::size_t i : ticks)
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(x_of(i)), num(mt + ph + 14),
                         i + x_first);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", ml + pw / 2, H - 4, x_label);
    s += fmt::format("<text class=\"axis-label\" x=\"12\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {0})\">"
                     "{1}{2}</text>",
                     num(mt + ph / 2), esc(se.name), se.unit.empty() ? "" : " (" + esc(se.unit) + ")");
    s += "</svg>";
    return s;
}

/// The transcript as swimlanes: one lane per client, a marker per event at its time.
std::string timeline_svg(const ScenarioResult& sc, const std::set<std::size_t>& evidence) {
    const auto& ev = sc.transcript.events;
    if (ev.empty()) return "";
    std::vector<std::string> lanes;
    for (const auto& e : ev)
        if (std::find(lanes.begin(), lanes.end(), e.client) == lanes.end()) lanes.push_back(e.client);
    std::int64_t tmin = 0, tmax = 1;
    for (const auto& e : ev) {
        tmin = std::min(tmin, e.t_us);
        tmax = std::max(tmax, e.t_us);
    }
    const double W = 900, ml = 80, mr = 16, mt = 8, lane_h = 26;
    const double pw = W - ml - mr, H = mt + lane_h * static_cast<double>(lanes.size()) + 30;
    const double span_ms = static_cast<double>(tmax - tmin) / 1000.0;
    auto x_of = [&](std::int64_t t) { return ml + static_cast<double>(t - tmin) / static_cast<double>(tmax - tmin) * pw; };
    std::string s = fmt::format(
        "<svg class=\"chart-svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Transcript timeline\">", W, num(H));
    const double axis_y = mt + lane_h * static_cast<double>(lanes.size());
    double step = nice_step(span_ms, 8);
    for (double t = std::ceil(static_cast<double>(tmin) / 1000.0 / step) * step; t <= static_cast<double>(tmax) / 1000.0 + 1e-9;
         t += step) {
        double x = x_of(static_cast<std::int64_t>(std::llround(t * 1000.0)));
        s += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>", num(x), mt, num(axis_y));
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(x), num(axis_y + 14), tick(t, step));
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">time since scenario start (ms)</text>", ml + pw / 2,
                     num(H - 2));
    for (std::size_t l = 0; l < lanes.size(); ++l) {
        double y = mt + lane_h * (static_cast<double>(l) + 0.5);
        s += fmt::format("<line class=\"lane\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>", ml, num(y), W - mr);
        std::string name = sanitize_text(utf8_prefix(lanes[l], 12));
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", ml - 8, num(y + 4), esc(name));
    }
    std::size_t drawn = 0;
    for (std::size_t i = 0; i < ev.size(); ++i) {
        // Past the marker cap only the evidence is drawn: it is what the reader looks for.
        if (drawn >= kMaxMarkers && !evidence.count(i)) continue;
        ++drawn;
        const auto& e = ev[i];
        auto lane = static_cast<double>(std::find(lanes.begin(), lanes.end(), e.client) - lanes.begin());
        double x = x_of(e.t_us), y = mt + lane_h * (lane + 0.5);
        std::string title = "<title>" + esc(detail::event_line(e, 120)) + "</title>";
        using K = engine::EventKind;
        switch (e.kind) {
        case K::received:
            s += fmt::format("<circle class=\"ev-recv\" cx=\"{}\" cy=\"{}\" r=\"3.5\">{}</circle>", num(x), num(y), title);
            break;
        case K::pong:
            s += fmt::format("<circle class=\"ev-pong\" cx=\"{}\" cy=\"{}\" r=\"3.5\">{}</circle>", num(x), num(y), title);
            break;
        case K::sent:
            s += fmt::format("<path class=\"ev-sent\" d=\"M{} {}l5 4.5l-5 4.5z\">{}</path>", num(x - 2), num(y - 4.5), title);
            break;
        case K::connected:
            s += fmt::format("<rect class=\"ev-conn\" x=\"{}\" y=\"{}\" width=\"4\" height=\"14\">{}</rect>", num(x - 2),
                             num(y - 7), title);
            break;
        case K::closed:
            s += fmt::format("<rect class=\"ev-close\" x=\"{}\" y=\"{}\" width=\"4\" height=\"14\">{}</rect>", num(x - 2),
                             num(y - 7), title);
            break;
        case K::error:
        case K::connect_failed:
            s += fmt::format("<path class=\"ev-err\" d=\"M{0} {1}l8 8M{0} {2}l8 -8\">{3}</path>", num(x - 4), num(y - 4),
                             num(y + 4), title);
            break;
        }
        if (evidence.count(i))
            s += fmt::format("<circle class=\"ev-evidence\" cx=\"{}\" cy=\"{}\" r=\"8\"/>", num(x), num(y));
    }
    s += "</svg>";
    s += "<div class=\"legend\"><span><i style=\"background:var(--accent)\"></i>received</span>"
         "<span><i style=\"background:var(--pass)\"></i>sent</span>"
         "<span><i style=\"background:var(--text);border-radius:0\"></i>connected</span>"
         "<span><i style=\"background:var(--non_strict);border-radius:0\"></i>closed</span>"
         "<span><i style=\"background:var(--fail)\"></i>error</span>"
         "<span><i style=\"border:2px solid var(--fail)\"></i>evidence</span></div>";
    if (drawn < ev.size())
        s += fmt::format("<p class=\"empty\">{} of {} events drawn: the first {} and the evidence.</p>", drawn, ev.size(),
                         kMaxMarkers);
    return s;
}

// ---------------------------------------------------------------- tables

std::string pct_header() {
    return "<tr><th>Scope</th><th class=\"num\">Samples</th><th class=\"num\">min</th><th class=\"num\">p50</th>"
           "<th class=\"num\">p90</th><th class=\"num\">p99</th><th class=\"num\">max</th><th class=\"num\">mean</th></tr>";
}

std::string pct_row(const std::string& label_html, const Histogram& h, bool total = false) {
    auto p = detail::percentiles(h);
    return fmt::format("<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                       "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                       total ? " class=\"total\"" : "", label_html, p.count, fmt_us_as_ms(p.min), fmt_us_as_ms(p.p50),
                       fmt_us_as_ms(p.p90), fmt_us_as_ms(p.p99), fmt_us_as_ms(p.max), fmt_ms(p.mean / 1000.0));
}

/// A measured value for people: numbers rounded, the unit from a "_ms" key, other JSON compact.
/// The unit a figure's key names: "_ms" milliseconds, "_pct" percent.
std::string unit_of(const std::string& key) {
    auto ends = [&](std::string_view tail) {
        return key.size() > tail.size() && key.compare(key.size() - tail.size(), tail.size(), tail) == 0;
    };
    return ends("_ms") ? " ms" : ends("_pct") ? " %" : "";
}

std::string measure_value(const std::string& key, const nlohmann::json& v) {
    if (v.is_number_float()) return esc(fmt::format("{:.4g}", v.get<double>())) + unit_of(key);
    if (v.is_number()) return esc(dump(v)) + unit_of(key);
    if (v.is_string()) return esc(v.get<std::string>());
    return "<code>" + esc(dump(v)) + "</code>";
}

/// Figures drawn as charts elsewhere (histograms, per-second series), or too big for a table cell.
bool bulky(const std::string& key) {
    return key == "per_second" || key == "histogram" ||
           (key.size() > 10 && key.compare(key.size() - 10, 10, "_histogram") == 0);
}

/// Measurements as a table: one row per figure; a nested object (per check) becomes a row group.
std::string measurements_table(const nlohmann::json& m) {
    if (!m.is_object() || m.empty()) return "";
    std::string rows;
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (bulky(it.key())) continue;
        if (it->is_object() && !it->empty()) {
            bool first = true;
            for (auto in = it->begin(); in != it->end(); ++in) {
                if (bulky(in.key())) continue;
                rows += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>", first ? esc(it.key()) : "",
                                    esc(in.key()), measure_value(in.key(), *in));
                first = false;
            }
        } else {
            rows += fmt::format("<tr><td></td><td>{}</td><td class=\"num\">{}</td></tr>", esc(it.key()),
                                measure_value(it.key(), *it));
        }
    }
    return "<table class=\"measures\"><thead><tr><th>Item</th><th>Measure</th><th class=\"num\">Value</th></tr></thead><tbody>" +
           rows + "</tbody></table>";
}

/// A finding's figures as a compact two-column table.
std::string figures_table(const nlohmann::json& m) {
    if (!m.is_object() || m.empty()) return "";
    std::string s = "<table class=\"measures\"><tbody>";
    for (auto it = m.begin(); it != m.end(); ++it)
        if (!bulky(it.key()))
            s += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>", esc(it.key()), measure_value(it.key(), *it));
    return s + "</tbody></table>";
}

/// The definition of a failed step or check: each parameter and its resolved value (the type and
/// level are in the finding's row already).
std::string definition_html(const nlohmann::json& d) {
    if (!d.is_object() || d.empty()) return "";
    std::string s = "<table class=\"definition\"><tbody>";
    for (auto it = d.begin(); it != d.end(); ++it) {
        const std::string& k = it.key();
        if (k == "step" || k == "check" || k == "level") continue;
        const bool deadline = k == "within_ms" || k == "each_within_ms" || k == "first_within_ms";
        const std::string unit = it->is_number() ? unit_of(k) + (deadline ? " (before --timeout-scale)" : "") : "";
        s += fmt::format("<tr><th>{}</th><td><code>{}</code>{}</td></tr>", esc(k),
                         html_escape(it->is_string() ? it->get<std::string>() : dump(*it), Lines::escape), unit);
    }
    return s + "</tbody></table>";
}

/// One row per connection: the URL dialled and the server's handshake response.
std::string connections_html(const ScenarioResult& sc) {
    constexpr std::size_t kMaxConnections = 20;
    std::set<const engine::Handshake*> seen;
    std::string rows;
    std::size_t n = 0, more = 0;
    for (const auto& e : sc.transcript.events) {
        if (!e.handshake || !seen.insert(e.handshake.get()).second) continue;
        if (n++ >= kMaxConnections) {
            ++more;
            continue;
        }
        const auto& h = *e.handshake;
        std::string who = esc(e.client) + (e.connection > 0 ? fmt::format("#{}", e.connection) : "");
        std::string headers;
        for (const auto& [k, v] : h.headers) headers += sanitize_text(k) + ": " + sanitize_text(v) + "\n";
        rows += fmt::format(
            "<tr><td>{}</td><td class=\"payload\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", who, esc(h.url),
            h.status ? fmt::format("{} {}", h.status, esc(h.reason)) : "no HTTP response",
            h.subprotocol.empty() ? "&ndash;" : "<code>" + esc(h.subprotocol) + "</code>",
            h.headers.empty() ? "&ndash;"
                              : fmt::format("<details><summary>{} headers</summary><pre>{}</pre></details>", h.headers.size(),
                                            html_escape(headers, Lines::keep)));
    }
    if (rows.empty()) return "";
    if (more) rows += fmt::format("<tr class=\"gap\"><td colspan=\"5\">{} more connections (the JSON report has all)</td></tr>", more);
    return "<h3>Connections</h3><table class=\"connections\"><thead><tr><th>Client</th><th>URL dialled</th><th>HTTP response</th>"
           "<th>Subprotocol</th><th>Response headers</th></tr></thead><tbody>" +
           rows + "</tbody></table>";
}

std::string transcript_table(const ScenarioResult& sc, const std::set<std::size_t>& evidence) {
    const auto& ev = sc.transcript.events;
    if (ev.empty()) return "<p class=\"empty\">No transcript events.</p>";
    const bool partial = sc.transcript.partial();
    // Long transcripts: the start, the end and the evidence with its neighbours.
    std::vector<bool> show(ev.size(), ev.size() <= kMaxRows);
    if (ev.size() > kMaxRows) {
        for (std::size_t i = 0; i < 50; ++i) show[i] = true;
        for (std::size_t i = ev.size() - (kMaxRows - 50); i < ev.size(); ++i) show[i] = true;
        for (auto i : evidence)
            for (std::size_t k = i >= 2 ? i - 2 : 0; k <= i + 2 && k < ev.size(); ++k) show[k] = true;
    }
    std::string s = "<div class=\"transcript\"><table><thead><tr><th class=\"num\">#</th><th class=\"num\">time</th>"
                    "<th>client</th><th></th><th>event</th><th>payload / details</th></tr></thead><tbody>";
    std::size_t hidden = 0;
    for (std::size_t i = 0; i < ev.size(); ++i) {
        if (!show[i]) {
            ++hidden;
            continue;
        }
        if (hidden) {
            s += fmt::format("<tr class=\"gap\"><td colspan=\"6\">{} events not shown (the JSON report has all)</td></tr>",
                             hidden);
            hidden = 0;
        }
        // A partial transcript (a long run): numbered by recorded order, holes said.
        if (partial && i > 0 && show[i - 1] && ev[i].seq > ev[i - 1].seq + 1)
            s += fmt::format("<tr class=\"gap\"><td colspan=\"6\">{} events not kept (only each client's first and last "
                             "events and the evidence are)</td></tr>",
                             ev[i].seq - ev[i - 1].seq - 1);
        auto v = detail::view_event(ev[i]);
        const char* dir = v.arrow == "<-" ? "dir-in" : v.arrow == "->" ? "dir-out" : v.arrow == "!!" ? "dir-bad" : "";
        s += fmt::format("<tr{}><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{}\">{}</td>"
                         "<td>{}</td><td class=\"payload\">{}</td></tr>",
                         evidence.count(i) ? " class=\"evidence\"" : "", partial ? ev[i].seq : i, esc(v.time), esc(v.who),
                         dir, esc(v.arrow), esc(v.what), esc(v.payload));
    }
    if (hidden)
        s += fmt::format("<tr class=\"gap\"><td colspan=\"6\">{} events not shown (the JSON report has all)</td></tr>", hidden);
    return s + "</tbody></table></div>";
}

std::string findings_table(const ScenarioResult& sc) {
    if (sc.findings.empty()) return "<p class=\"empty\">No findings recorded.</p>";
    std::string s = "<table><thead><tr><th>Verdict</th><th>Level</th><th>Item</th><th>Where</th><th>Reason</th>"
                    "<th>Measurements</th></tr></thead><tbody>";
    for (const auto& f : sc.findings) {
        std::string reason = esc(f.reason);
        if (f.verdict != Verdict::pass && f.definition.is_object() && !f.definition.empty())
            reason += "<details class=\"definition\" open><summary>Definition</summary>" + definition_html(f.definition) +
                      "</details>";
        s += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"item\">{} <code>{}</code></td><td class=\"where\"><code>{}</code></td><td>{}</td>"
                         "<td>{}</td></tr>",
                         badge(f.verdict), engine::to_string(f.level), esc(f.kind), esc(f.name), esc(f.where), reason,
                         figures_table(f.measurements));
    }
    return s + "</tbody></table>";
}

// ---------------------------------------------------------------- page sections

std::string header_html(const RunResult& run) {
    const Verdict overall = detail::overall_verdict(run);
    return fmt::format("<header class=\"top {}\"><div class=\"top-inner\"><div><div class=\"brand\">pushcheck</div>"
                       "<h1>Conformance report</h1><div class=\"sub\">{} &middot; profile {}{}</div></div>"
                       "<span class=\"badge overall {}\" id=\"overall\">{}</span></div></header>\n",
                       vclass(overall), esc(run.target), esc(run.profile_name),
                       run.shard ? fmt::format(" &middot; shard {} of {}", run.shard->index, run.shard->count)
                       : !run.merged_from.empty() ? fmt::format(" &middot; {} shards merged", run.merged_from.size())
                                                  : std::string(),
                       vclass(overall),
                       detail::verdict_label(overall));
}

std::string summary_html(const RunResult& run) {
    const auto& s = run.summary;
    std::string out = "<section id=\"summary\">\n";
    if (run.interrupted) {
        std::string list;
        for (const auto& u : run.interrupted->unfinished)
            list += fmt::format("<li><code>{}</code> ({})</li>", esc(u.id), esc(u.driver));
        out += fmt::format("<div class=\"alert interrupted\" id=\"interrupted\">Interrupted by {}: this report holds the "
                           "scenarios that finished; {} did not finish.{}</div>\n",
                           esc(run.interrupted->signal), run.interrupted->unfinished.size(),
                           list.empty() ? "" : "<ul>" + list + "</ul>");
    }
    if (run.target_unreachable)
        out += "<div class=\"alert\">The target was unreachable: " + esc(run.target) + "</div>\n";
    out += "<div class=\"cards\">";
    auto card = [&](const char* cls, int n, const char* label) {
        out += fmt::format("<div class=\"card {}{}\" id=\"count-{}\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>",
                           cls, n ? "" : " zero", label, n, label);
    };
    card("", s.total, "total");
    card("v-pass", s.pass, "pass");
    card("v-fail", s.fail, "fail");
    card("v-non_strict", s.non_strict, "non_strict");
    card("v-informational", s.informational, "informational");
    card("v-harness_error", s.harness_error, "harness_error");
    if (s.not_applicable) card("v-not_applicable", s.not_applicable, "not_applicable");
    out += "</div>\n<div class=\"panel\"><dl class=\"meta\">";
    auto item = [&](const char* k, const std::string& v_html) {
        out += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>", k, v_html);
    };
    item("Target", esc(run.target) + (run.embedded ? " (embedded server)" : ""));
    if (!run.dialled.empty()) {
        std::string urls;
        for (const auto& u : run.dialled) urls += (urls.empty() ? "" : "<br>") + esc(u);
        item("Dialled", urls);
    }
    item("Profile", esc(run.profile_name));
    std::string drivers;
    for (const auto& d : detail::drivers_of(run)) drivers += (drivers.empty() ? "" : ", ") + esc(d);
    item("Drivers", drivers);
    item("Started", esc(run.started_at));
    item("Duration", esc(detail::fmt_duration(run.duration_ms)));
    item("Host", esc(run.hostname));
    item("pushcheck", esc(run.pushcheck_version));
    item("Latency p99", run.latency.count() ? esc(fmt_us_as_ms(detail::percentiles(run.latency).p99)) + " ms" : "&ndash;");
    out += "</dl>";
    if (run.profile.is_object() && !run.profile.empty())
        out += "<details class=\"profile\"><summary>Profile values</summary><pre>" + html_escape(dump(run.profile, 2), Lines::keep) +
               "</pre></details>";
    out += "</div>\n";
    if (run.server) {
        const Verdict overall = detail::overall_verdict(run);
        const bool failed = overall != Verdict::pass || run.target_unreachable || run.interrupted;
        out += fmt::format("<div class=\"panel server\" id=\"server\"><h3>Server under test</h3><dl class=\"kv\"><dt>command</dt>"
                           "<dd>{}</dd><dt>pid</dt><dd>{}</dd><dt>ended</dt><dd>{}</dd></dl>",
                           esc(run.server->command), run.server->pid, esc(run.server->exit));
        if (failed && !run.server->log_tail.empty())
            out += "<p class=\"desc\">The last lines of its output (something failed):</p><pre>" +
                   html_escape(run.server->log_tail, Lines::keep) + "</pre>";
        out += "</div>\n";
    }
    out += "</section>\n";
    return out;
}

std::string latency_html(const RunResult& run) {
    std::string out = "<section id=\"latency\"><h2>Push latency</h2><div class=\"panel\">";
    if (!run.latency.count()) return out + "<p class=\"empty\">No scenario measured latency.</p></div></section>\n";
    out += "<div class=\"charts\"><div class=\"chart\"><div class=\"caption\">All scenarios</div>" +
           histogram_svg(run.latency, "all scenarios") + "</div><div class=\"chart\"><table>" + pct_header() + "<tbody>" +
           pct_row("All scenarios", run.latency, true);
    for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
        const auto& sc = run.scenarios[i];
        if (!sc.latency.count()) continue;
        out += pct_row(fmt::format("<a href=\"#s{}\">{}</a> <span class=\"title\">{}</span>", i, esc(sc.id), esc(sc.driver)),
                       sc.latency);
    }
    out += "</tbody></table><p class=\"empty\">Latency is receive time minus the timestamp in the push; it assumes the "
           "target and pushcheck share a clock.</p></div></div></div></section>\n";
    return out;
}

std::string scenario_table(const RunResult& run) {
    std::string out = "<section id=\"scenarios\"><h2>Scenarios</h2><div class=\"panel\"><div class=\"filters\">"
                      "<button type=\"button\" data-filter=\"all\" aria-pressed=\"true\">All</button>";
    const Verdict order[] = {Verdict::fail, Verdict::non_strict, Verdict::harness_error, Verdict::informational,
                             Verdict::pass, Verdict::not_applicable};
    for (Verdict v : order) {
        int n = 0;
        for (const auto& s : run.scenarios) n += s.verdict == v;
        if (v == Verdict::not_applicable && n == 0) continue;  // only profiles that leave scenarios out
        out += fmt::format("<button type=\"button\" data-filter=\"{}\" aria-pressed=\"false\">{} ({})</button>",
                           engine::to_string(v), engine::to_string(v), n);
    }
    out += "<input type=\"search\" id=\"filter-text\" placeholder=\"Filter by id, title or reason\" "
           "aria-label=\"Filter scenarios\"><span class=\"tools\"><button type=\"button\" id=\"expand-all\">Expand all</button> "
           "<button type=\"button\" id=\"collapse-all\">Collapse all</button></span>"
           "<span class=\"count\" id=\"filter-count\"></span></div>\n";
    if (run.scenarios.empty()) return out + "<p class=\"empty\">No scenario ran.</p></div></section>\n";
    out += "<table class=\"scenarios\" id=\"scenario-table\"><thead><tr><th>Verdict</th><th>Scenario</th><th>Driver</th>"
           "<th>Level</th><th class=\"num\">Duration</th><th>Reason</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < run.scenarios.size(); ++i) {
        const auto& s = run.scenarios[i];
        // The failing step or check before the reason, as on the console.
        const engine::Finding* f = detail::deciding_finding(s);
        std::string reason = esc(s.reason);
        if (f && !s.reason.empty()) reason = "<code class=\"where\">" + esc(detail::finding_label(*f)) + "</code> " + reason;
        out += fmt::format("<tr data-verdict=\"{}\" data-ref=\"s{}\"><td>{}</td><td><a href=\"#s{}\"><code>{}</code></a>"
                           "<div class=\"title\">{}</div></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
                           "<td class=\"reason\">{}</td></tr>\n",
                           engine::to_string(s.verdict), i, badge(s.verdict), i, esc(s.id), esc(s.title), esc(s.driver),
                           engine::to_string(s.level), esc(detail::fmt_duration(s.duration_ms)), reason);
    }
    return out + "</tbody></table></div></section>\n";
}

std::string scenario_detail(const ScenarioResult& s, std::size_t i) {
    auto proving = detail::proving_events(s, 0);
    std::set<std::size_t> evidence(proving.begin(), proving.end());
    const bool open = s.verdict == Verdict::fail || s.verdict == Verdict::non_strict || s.verdict == Verdict::harness_error;
    std::string out = fmt::format(
        "<details class=\"scenario {}\" id=\"s{}\" data-verdict=\"{}\"{}><summary>{}<span class=\"id\"><code>{}</code></span>"
        "<span>{}</span><span class=\"right\">{} &middot; {} &middot; {}</span></summary><div class=\"body\">",
        vclass(s.verdict), i, engine::to_string(s.verdict), open ? " open" : "", badge(s.verdict), esc(s.id), esc(s.title),
        esc(s.driver), engine::to_string(s.level), esc(detail::fmt_duration(s.duration_ms)));
    if (!s.description.empty()) out += "<p class=\"desc\">" + esc(s.description) + "</p>";
    if (!s.reason.empty())
        out += fmt::format("<div class=\"reason-box {}\"><strong>Reason:</strong> {}</div>", vclass(s.verdict), esc(s.reason));
    if (!s.file.empty()) out += "<p class=\"desc\">Scenario file <code>" + esc(s.file) + "</code></p>";
    out += "<h3>Findings</h3>" + findings_table(s);
    if (s.measurements.is_object() && !s.measurements.empty())
        out += "<h3>Measurements</h3>" + measurements_table(s.measurements);
    out += connections_html(s);
    if (s.latency.count() || !s.series.empty()) {
        out += "<h3>Latency and cadence</h3><div class=\"charts\">";
        if (s.latency.count())
            out += "<div class=\"chart\"><div class=\"caption\">Push latency</div>" + histogram_svg(s.latency, s.id) +
                   "<table>" + pct_header() + "<tbody>" + pct_row("this scenario", s.latency) + "</tbody></table></div>";
        for (const auto& se : s.series) {
            std::string caption = esc(se.name);
            if (se.nominal > 0)
                caption += fmt::format(" &middot; nominal {} {}", fmt_ms(se.nominal), esc(se.unit)) +
                           (se.tolerance > 0 ? fmt::format(" &plusmn; {}", fmt_ms(se.tolerance)) : "");
            out += "<div class=\"chart\"><div class=\"caption\">Push cadence: " + caption + "</div>" + series_svg(se) +
                   "</div>";
        }
        out += "</div>";
    }
    out += fmt::format("<h3>Transcript ({} events)</h3>", s.transcript.events.size());
    out += timeline_svg(s, evidence) + transcript_table(s, evidence);
    out += "</div></details>\n";
    return out;
}

/// pushcheck load: the figures and, per second of the run, clients connected, pushes and p99.
std::string load_html(const RunResult& run) {
    const nlohmann::json& l = run.load;
    if (!l.is_object() || !l.contains("load")) return "";
    std::string out = "<section id=\"load\"><h2>Load</h2>";
    nlohmann::json figures = nlohmann::json::object();
    for (const char* key : {"clients", "messages", "latency_us", "connect_us", "welcome_us", "disconnects", "harness"})
        if (l.contains(key) && l[key].is_object())
            for (const auto& [k, v] : l[key].items())
                if (v.is_number()) figures[std::string(key) + "." + k] = v;
    out += "<table><thead><tr><th>Figure</th><th class=\"num\">Value</th></tr></thead><tbody>";
    for (const auto& [k, v] : figures.items())
        out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>", esc(k), esc(v.dump()));
    out += "</tbody></table>";
    const nlohmann::json& per = l["load"].value("per_second", nlohmann::json::array());
    if (per.is_array() && !per.empty()) {
        engine::Series p99{"p99 latency per second", "ms", 0, 0, {}}, connected{"clients connected", "", 0, 0, {}},
            pushes{"pushes received per second", "", 0, 0, {}};
        for (const auto& x : per) {
            if (!x.is_object()) continue;
            p99.values.push_back(x.value("p99_us", 0.0) / 1000.0);
            connected.values.push_back(x.value("connected", 0.0));
            pushes.values.push_back(x.value("pushes", 0.0));
        }
        out += "<div class=\"charts\">";
        for (const auto* se : {&p99, &connected, &pushes})
            out += "<div class=\"chart\"><div class=\"caption\">" + esc(se->name) + "</div>" +
                   series_svg(*se, "second of the run", 0) + "</div>";
        out += "</div>";
    }
    return out + "</section>\n";
}

std::string body_html(const RunResult& run) {
    std::string out = header_html(run);
    out += "<main>\n" + summary_html(run) + scenario_table(run) + load_html(run) + latency_html(run);
    out += "<section id=\"details\"><h2>Details</h2>\n";
    for (std::size_t i = 0; i < run.scenarios.size(); ++i) out += scenario_detail(run.scenarios[i], i);
    out += "</section>\n</main>\n";
    out += "<footer>Generated by pushcheck " + esc(run.pushcheck_version) +
           ". This file is self-contained: it loads nothing from the network.</footer>";
    return out;
}

} // namespace

void write_html(const RunResult& run, std::ostream& out) {
    const std::string_view skel = assets::report_html;
    // Slots are filled in one pass over the skeleton, so inserted text is never rescanned.
    std::size_t pos = 0;
    while (pos < skel.size()) {
        auto open = skel.find("{{", pos);
        auto close = open == std::string_view::npos ? open : skel.find("}}", open);
        if (close == std::string_view::npos) {
            out << skel.substr(pos);
            break;
        }
        out << skel.substr(pos, open - pos);
        std::string_view slot = skel.substr(open + 2, close - open - 2);
        if (slot == "css") out << assets::report_css;
        else if (slot == "js") out << assets::report_js;
        else if (slot == "title") out << "pushcheck report: " << esc(run.target);
        else if (slot == "version") out << esc(run.pushcheck_version);
        else if (slot == "body") out << body_html(run);
        else out << skel.substr(open, close + 2 - open);
        pos = close + 2;
    }
}

} // namespace pushcheck::reports
