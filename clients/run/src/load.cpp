// pushcheck load: a load test without writing a scenario. It builds one scenario in the
// suite's language (--print-scenario shows it), runs it through the same engine, checks and
// reports, and lifts the delivery check's figures into the results document.
#include "load.hpp"

#include "pushcheck/engine/error.hpp"
#include "pushcheck/run/app.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace pushcheck::run {

using nlohmann::json;
using engine::ConfigError;

std::vector<std::string> expand_rooms(const std::vector<std::string>& specs, bool paths) {
    std::vector<std::string> out;
    static const std::regex range(R"(^(.*)\{(\d+)\.\.(\d+)\}(.*)$)");
    for (const auto& spec : specs) {
        std::smatch m;
        if (spec.empty()) throw ConfigError("--rooms", "", "expected a room, got an empty one");
        if (paths && spec[0] != '/')
            throw ConfigError("--rooms", "", "expected a path starting with '/' (the profile has no join.path, so rooms are "
                                             "paths), got '" + spec + "'");
        if (!std::regex_match(spec, m, range)) {
            out.push_back(spec);
            continue;
        }
        const long lo = std::stol(m[2]), hi = std::stol(m[3]);
        if (lo > hi || hi - lo >= 100000)
            throw ConfigError("--rooms", "", "'" + spec + "': expected {FIRST..LAST} with FIRST <= LAST, at most 100000 rooms");
        for (long k = lo; k <= hi; ++k) out.push_back(m[1].str() + std::to_string(k) + m[4].str());
    }
    return out;
}

nlohmann::ordered_json build_load_scenario(const LoadOptions& lo, const std::vector<std::string>& rooms) {
    if (lo.clients < 1) throw ConfigError("--clients", "", "expected a number of clients >= 1");
    if (!(lo.duration_s > 0)) throw ConfigError("--duration", "", "expected a number of seconds > 0");
    if (lo.ramp < 0) throw ConfigError("--ramp", "", "expected connections per second >= 0");
    if (lo.churn < 0 || lo.churn > 1) throw ConfigError("--churn", "", "expected a share from 0 to 1, e.g. 0.1");
    if (rooms.empty()) throw ConfigError("--rooms", "", "no room");
    if (lo.stalled < 0) throw ConfigError("--stalled", "", "expected a number of members >= 0");
    if (lo.stalled > 0 && lo.churn > 0) throw ConfigError("--stalled", "", "cannot be combined with --churn (yet)");
    if (static_cast<std::size_t>(lo.clients) < rooms.size())
        throw ConfigError("--rooms", "", fmt::format("{} rooms for {} clients: every room needs a client", rooms.size(), lo.clients));

    using json = nlohmann::ordered_json;
    json clients = json::array(), steps = json::array(), all = json::array(), churners = json::array();
    const std::size_t r = rooms.size();
    const int first_room = lo.clients / static_cast<int>(r) + (lo.clients % static_cast<int>(r) > 0 ? 1 : 0);
    if (lo.stalled >= first_room)
        throw ConfigError("--stalled", "", fmt::format("{} stalled members leave none of the {} clients of {} to watch",
                                                       lo.stalled, first_room, rooms.front()));
    if (lo.stalled > 0) {
        // They join first, with a small receive window, so that the server's queue to them fills fast.
        clients.push_back({{"name", "s"}, {"count", lo.stalled}});
        steps.push_back({{"step", "join"}, {"client", "s"}, {"path", rooms.front()}, {"expect", "attempt"},
                         {"recv_buffer", 4096}});
    }
    for (std::size_t k = 0; k < r; ++k) {
        int n = lo.clients / static_cast<int>(r) + (k < static_cast<std::size_t>(lo.clients) % r ? 1 : 0);
        if (k == 0) n -= lo.stalled;
        const int x = static_cast<int>(std::lround(lo.churn * n));
        const std::string stay = fmt::format("r{}", k + 1), leave = fmt::format("x{}", k + 1);
        for (const auto& [name, count] : {std::pair{stay, n - x}, std::pair{leave, x}}) {
            if (count == 0) continue;
            clients.push_back({{"name", name}, {"count", count}});
            json join = {{"step", "join"}, {"client", name}, {"path", rooms[k]}, {"expect", "attempt"}};
            if (lo.ramp > 0) join["ramp_per_s"] = lo.ramp;
            steps.push_back(std::move(join));
            all.push_back(name);
            if (name == leave) churners.push_back(name);
        }
    }
    auto hold = [&](double ms) {
        return json{{"step", "hold"}, {"client", all}, {"for_ms", std::round(ms)}, {"allow_disconnect", true}};
    };
    const double total_ms = lo.duration_s * 1000.0;
    json watched = all;  // delivery and latency judge the members that keep reading
    if (lo.stalled > 0) {
        // A third of the run as a baseline; then the stalled members stop reading and flood
        // the server with pings (pushes alone would take hours to fill its queue) for up to
        // 3 s, and stay stuck for the rest of the run.
        steps.push_back(hold(total_ms / 3));
        steps.push_back({{"step", "pause_reading"}, {"client", "s"}});
        steps.push_back({{"step", "flood"}, {"client", "s"}, {"ping", std::string(125, 'x')}, {"count", 30000},
                         {"for_ms", 3000}, {"hold", true}});
        json everyone = all;
        everyone.push_back("s");
        steps.push_back({{"step", "hold"}, {"client", everyone}, {"for_ms", std::round(total_ms * 2 / 3)},
                         {"allow_disconnect", true}});
    } else if (churners.empty()) {
        steps.push_back(hold(total_ms));
    } else {
        // A third of the run held, then the churners leave politely and rejoin, a third more,
        // then they drop their connections and rejoin, and the last third.
        steps.push_back(hold(total_ms / 3));
        steps.push_back({{"step", "send"}, {"client", churners}, {"json", {{"$profile", "close_request.json"}}}});
        steps.push_back({{"step", "expect"}, {"client", churners}, {"match", {{"$profile", "bye.match"}}},
                         {"skip", {{"$profile", "push.match"}}}});
        steps.push_back({{"step", "expect_close"}, {"client", churners}, {"codes", {{"$profile", "close.codes"}}},
                         {"skip", {{"$profile", "push.match"}}}});
        steps.push_back({{"step", "reconnect"}, {"client", churners}, {"expect", "attempt"}});
        steps.push_back(hold(total_ms / 3));
        steps.push_back({{"step", "disconnect_abruptly"}, {"client", churners}});
        steps.push_back({{"step", "reconnect"}, {"client", churners}, {"expect", "attempt"}});
        steps.push_back(hold(total_ms / 3));
    }
    std::string rooms_text = r == 1 ? rooms.front() : fmt::format("{} rooms ({} .. {})", r, rooms.front(), rooms.back());
    return {{"id", "load.run"},
            {"title", fmt::format("{} clients in {} for {} s", lo.clients, rooms_text, lo.duration_s)},
            {"description",
             fmt::format("pushcheck load: {} clients join {}{}, are held for {} s{}; every push the schedule promises must "
                         "arrive, once, within the profile's latency bound",
                         lo.clients, rooms_text, lo.ramp > 0 ? fmt::format(" at {} per second", lo.ramp) : "", lo.duration_s,
                         churners.empty() ? "" : fmt::format(", {} % of them leave and rejoin twice", lo.churn * 100)) +
                 (lo.stalled > 0 ? fmt::format("; {} members of {} stop reading after a third of the run and flood the "
                                               "server, and the others are judged while they are stuck",
                                               lo.stalled, rooms.front())
                                 : "")},
            {"level", "must"},
            {"clients", clients},
            {"steps", steps},
            {"checks", [&] {
                 json checks = json::array({json{{"check", "delivery"}, {"client", watched}, {"max_missed", lo.max_missed}},
                                            json{{"check", "latency"}, {"client", watched}}});
                 if (lo.stalled > 0) checks.push_back({{"check", "stall_outcome"}, {"client", "s1"}, {"level", "may"}});
                 return checks;
             }()}};
}

namespace {

struct TempScenario {
    std::filesystem::path dir;
    std::string file;
    explicit TempScenario(const nlohmann::ordered_json& scenario) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pushcheck-load-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw ConfigError("pushcheck load", "", "cannot create a temporary folder");
        dir = tmpl;
        file = (dir / "load.run.json").string();
        std::ofstream(file) << scenario.dump(2) << "\n";
    }
    ~TempScenario() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

} // namespace

namespace {

/// This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that across
/// execve, so it would report the parent's size when the parent was bigger.
std::uint64_t peak_rss_bytes(const rusage& ru) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmHWM:   1234 kB"
    return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

} // namespace

void lift_delivery_figures(engine::RunResult& result, json asked) {
    json& l = result.load;
    for (const auto& s : result.scenarios)
        for (const auto& f : s.findings) {
            if (f.name != "delivery" || !f.measurements.is_object()) continue;
            for (const char* key : {"clients", "connections", "messages", "latency_us", "connect_us", "welcome_us", "disconnects"})
                if (f.measurements.contains(key)) l[key] = f.measurements[key];
            if (f.measurements.contains("per_second")) {
                json series = f.measurements["per_second"];
                for (auto& one : series) one.erase("latency_histogram");  // the chart needs p99 only
                asked["per_second"] = std::move(series);
            }
        }
    for (const auto& s : result.scenarios)
        for (const auto& f : s.findings)
            if (f.name == "stall_outcome" && f.measurements.is_object()) asked["stall_outcome"] = f.measurements;
    l["load"] = std::move(asked);
}

void add_load_figures(engine::RunResult& result, const LoadOptions& lo, const std::vector<std::string>& rooms) {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const double cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    result.load["harness"] = {{"cpu_s", std::round(cpu_s * 1000.0) / 1000.0}, {"peak_rss_bytes", peak_rss_bytes(ru)}};
    lift_delivery_figures(result, {{"clients", lo.clients}, {"rooms", rooms.size()}, {"ramp_per_s", lo.ramp},
                                   {"duration_s", lo.duration_s}, {"churn", lo.churn}, {"stalled", lo.stalled}});
}

void print_load_figures(const engine::RunResult& result, std::ostream& out) {
    const json& l = result.load;
    if (!l.contains("harness")) return;
    auto ms = [](const json& v) { return v.is_number() ? fmt::format("{:.1f}", v.get<double>() / 1000.0) : std::string("-"); };
    if (l.contains("clients") && l.contains("messages")) {
        const json& c = l["clients"];
        const json& m = l["messages"];
        out << fmt::format("load: {} of {} clients connected, {} pushes received, {} missed, {} duplicates\n",
                           c["connected"].dump(), c["total"].dump(), m["received"].dump(), m["missed"].dump(),
                           m["duplicates"].dump());
    } else {
        out << "load: no delivery figures (the run ended before its checks)\n";
    }
    if (l.contains("latency_us")) {
        const json& q = l["latency_us"];
        out << fmt::format("latency ms: p50 {} p90 {} p99 {} p99.9 {} max {}\n", ms(q["p50"]), ms(q["p90"]), ms(q["p99"]),
                           ms(q["p999"]), ms(q["max"]));
    }
    if (l.contains("connect_us") && l.contains("welcome_us")) {
        const json& c = l["connect_us"];
        const json& w = l["welcome_us"];
        out << fmt::format("connect ms: p50 {} p99 {} max {}; welcome ms: p50 {} p99 {} max {}\n", ms(c["p50"]), ms(c["p99"]),
                           ms(c["max"]), ms(w["p50"]), ms(w["p99"]), ms(w["max"]));
    }
    const json& h = l["harness"];
    out << fmt::format("pushcheck: {:.2f} s CPU, peak RSS {:.1f} MiB\n", h["cpu_s"].get<double>(),
                       static_cast<double>(h["peak_rss_bytes"].get<std::uint64_t>()) / (1024.0 * 1024.0));
}

int load_command(RunOptions o, const LoadOptions& lo, const ConsoleStyle& style, std::ostream& out, std::ostream& err) {
    nlohmann::ordered_json scenario;
    std::vector<std::string> rooms;
    if (!o.scenarios.empty() || !o.extra_scenarios.empty() || !o.filters.empty() || !o.excludes.empty()) {
        err << "pushcheck: --scenarios, --add-scenarios, --filter and --exclude do not apply to load: it runs the "
               "scenario it builds (see --print-scenario)\n";
        return exit_usage;
    }
    try {
        Prepared probe;
        DataDirs dirs = find_data_dirs();
        probe.profile = engine::load_profile(o.profile, {dirs.profiles});
        for (const auto& s : o.overrides) engine::apply_override(probe.profile, s);
        // Rooms are request paths unless the profile's join says which path to connect to.
        rooms = expand_rooms(lo.rooms.empty() ? std::vector<std::string>{probe.profile.at("rooms.valid.0").get<std::string>()}
                                              : lo.rooms,
                             probe.profile.find("join.path") == nullptr);
        scenario = build_load_scenario(lo, rooms);
    } catch (const ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    if (lo.print_scenario) {
        out << scenario.dump(2) << "\n";
        return exit_ok;
    }
    std::unique_ptr<TempScenario> file;
    try {
        file = std::make_unique<TempScenario>(scenario);
    } catch (const ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }
    o.scenarios = {file->file};
    o.load_figures = true;
    o.keep_clients = 100;  // a report of a few MB even at 10,000 clients
    o.load_options = lo;
    o.load_rooms = rooms;
    return run_command(o, style, out, err);
}

} // namespace pushcheck::run
