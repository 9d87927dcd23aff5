#include "run.hpp"

#include "embedded.hpp"
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "pushcheck/run/app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace pushcheck::run {

namespace {

using engine::ConfigError;

std::string iso_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

// "Name: value" -> pair; throws ConfigError naming the bad header.
std::pair<std::string, std::string> parse_header(const std::string& h) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
        throw ConfigError("--header", "", "'" + h + "' is not of the form 'Name: value'");
    std::string name = h.substr(0, colon);
    for (char c : name)
        if (c <= ' ' || c == 127 || std::string("()<>@,;:\\\"/[]?={}").find(c) != std::string::npos)
            throw ConfigError("--header", "", "'" + name + "' is not a valid header name");
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (value.find_first_of("\r\n") != std::string::npos)
        throw ConfigError("--header", "", "the value of '" + name + "' contains a line break");
    return {name, value};
}

// Opens every report file before the run so that a bad path is a usage error, not lost work.
void check_writable(const std::string& path, const char* flag) {
    if (path.empty()) return;
    std::string error;
    if (!reports::write_file(path, "", error)) throw ConfigError(flag, "", error);
}

} // namespace

Prepared prepare(const RunOptions& o, bool embedded) {
    DataDirs dirs = find_data_dirs();
    Prepared p;
    p.profile = engine::load_profile(o.profile, {dirs.profiles});
    bool interval_set = false;
    for (const auto& s : o.overrides) {
        engine::apply_override(p.profile, s);
        if (s.rfind("push.interval_ms=", 0) == 0) interval_set = true;
    }
    if (embedded && !interval_set)
        engine::apply_override(p.profile, "push.interval_ms=" + std::to_string(o.embedded_interval_ms));
    engine::validate_profile(p.profile);
    auto all = engine::load_scenarios(o.scenarios.empty() ? std::vector<std::string>{dirs.suite} : o.scenarios);
    for (auto& s : all) {
        bool keep = o.filters.empty();
        for (const auto& f : o.filters) keep = keep || engine::id_matches(s.id, f);
        if (keep) p.scenarios.push_back(std::move(s));
    }
    if (p.scenarios.empty()) {
        std::string what = o.filters.empty() ? "no scenario files found" : "no scenario matches the filter";
        throw ConfigError(o.scenarios.empty() ? dirs.suite : o.scenarios.front(), "", what);
    }
    return p;
}

void write_reports(const engine::RunResult& result, const RunOptions& o, std::ostream& err, int& code) {
    auto emit = [&](const std::string& path, auto writer) {
        if (path.empty()) return;
        std::ostringstream s;
        writer(result, s);
        std::string error;
        if (!reports::write_file(path, s.str(), error)) {
            err << "pushcheck: " << error << "\n";
            if (code == exit_ok) code = exit_usage;
        }
    };
    emit(o.json_file, reports::write_json);
    emit(o.junit_file, reports::write_junit);
    emit(o.html_file, reports::write_html);
}

int run_command(const RunOptions& o, const ConsoleStyle& style, std::ostream& out, std::ostream& err) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string started_at = iso_now();
    const bool embedded = o.target.empty();
    Prepared prep;
    drivers::TargetOptions target;
    std::vector<std::string> driver_names =
        o.driver == "both" ? std::vector<std::string>{"async", "sync"} : std::vector<std::string>{o.driver};
    std::vector<std::unique_ptr<engine::ScenarioRunner>> runners;
    EmbeddedServer server;
    try {
        prep = prepare(o, embedded);
        for (const auto& h : o.headers) target.headers.push_back(parse_header(h));
        check_writable(o.json_file, "--json");
        check_writable(o.junit_file, "--junit");
        check_writable(o.html_file, "--html");
        engine::RunOptions ro;
        ro.timeout_scale = o.timeout_scale;
        ro.max_message_bytes = o.max_message_bytes;
        ro.max_json_depth = o.max_json_depth;
        // Bind every scenario before any I/O so that a bad reference fails fast (exit 2).
        for (const auto& d : driver_names) {
            ro.driver = d;
            for (const auto& s : prep.scenarios)
                runners.push_back(std::make_unique<engine::ScenarioRunner>(s, prep.profile, ro));
        }
    } catch (const ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }

    std::string url_text = o.target;
    if (embedded) {
        std::vector<std::string> rooms = prep.profile.values["rooms"]["valid"].get<std::vector<std::string>>();
        auto interval = std::chrono::milliseconds(prep.profile.values["push"]["interval_ms"].get<int>());
        if (auto why = server.start(interval, rooms); !why.empty()) {
            err << "pushcheck: cannot start the embedded reference server: " << why << "\n";
            return exit_unreachable;
        }
        url_text = server.url();
    }
    std::string url_error;
    auto url = net::parse_url(url_text, url_error);
    if (!url) {
        err << "pushcheck: --target: " << url_error << "\n";
        return exit_usage;
    }
    target.url = *url;
    target.ca_file = o.ca_file;
    target.insecure = o.insecure;
    target.max_message_bytes = o.max_message_bytes;
    target.user_agent = std::string("pushcheck/") + PUSHCHECK_VERSION;

    reports::ConsoleOptions copt{style.color, o.quiet, o.verbose};
    if (!o.quiet)
        out << fmt::format("pushcheck {} -> {}{} ({} scenarios, profile {}, driver {})\n", PUSHCHECK_VERSION,
                           target.url.str(), embedded ? " (embedded reference server)" : "",
                           prep.scenarios.size(), prep.profile.name, o.driver)
            << std::flush;

    // Results are stored per runner index; lines are printed as scenarios finish.
    std::vector<std::optional<engine::ScenarioResult>> results(runners.size());
    std::map<const engine::Session*, std::size_t> index;
    for (std::size_t i = 0; i < runners.size(); ++i) index[runners[i].get()] = i;
    std::mutex mu;
    std::size_t finished = 0;
    auto on_done = [&](engine::Session& s) {
        std::lock_guard lock(mu);
        std::size_t i = index.at(&s);
        results[i] = runners[i]->result();
        ++finished;
        if (style.tty) out << "\r\033[K";
        reports::print_scenario_line(*results[i], copt, out);
        if (style.tty && finished < runners.size())
            out << fmt::format("[{}/{}] running...", finished, runners.size());
        out << std::flush;
    };

    const int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(prep.scenarios.size());
    // Scenarios tagged "exclusive" (bursts such as the join storm) run after the others:
    // on one driver thread their bursts would delay the arrival timestamps of concurrent
    // scenarios and skew their timing checks.
    auto exclusive = [](const engine::Scenario& s) {
        return std::find(s.tags.begin(), s.tags.end(), "exclusive") != s.tags.end();
    };
    for (bool phase : {false, true}) {
        std::vector<std::thread> threads;
        for (std::size_t d = 0; d < driver_names.size(); ++d) {
            std::vector<engine::Session*> sessions;
            for (std::size_t i = 0; i < prep.scenarios.size(); ++i)
                if (exclusive(prep.scenarios[i]) == phase)
                    sessions.push_back(runners[d * prep.scenarios.size() + i].get());
            if (sessions.empty()) continue;
            auto driver =
                driver_names[d] == "sync" ? drivers::make_sync_driver(target) : drivers::make_async_driver(target);
            threads.emplace_back([driver = std::move(driver), sessions, jobs, &on_done] {
                driver->run(sessions, jobs, on_done);
            });
        }
        for (auto& t : threads) t.join();
    }
    if (style.tty) out << "\r\033[K" << std::flush;

    engine::RunResult result;
    result.pushcheck_version = PUSHCHECK_VERSION;
    result.target = target.url.str();
    result.embedded = embedded;
    result.profile_name = prep.profile.name;
    result.profile = prep.profile.values;
    result.drivers = driver_names;
    result.started_at = started_at;
    result.hostname = host_name();
    bool any_connected = false, any_refused = false;
    std::string refusal;
    for (auto& r : results) {
        if (!r) continue;  // every runner is done when run() returns; guard anyway
        for (const auto& e : r->transcript.events) {
            if (e.kind == engine::EventKind::connected) any_connected = true;
            if (e.kind == engine::EventKind::connect_failed && !e.reached && refusal.empty()) {
                any_refused = true;
                refusal = e.data;
            }
        }
        result.scenarios.push_back(std::move(*r));
    }
    result.target_unreachable = !any_connected && any_refused;
    result.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    result.recompute_summary();

    int code = result.summary.fail > 0 ? exit_failed : exit_ok;
    if (result.target_unreachable) code = exit_unreachable;
    write_reports(result, o, err, code);
    reports::print_summary(result, copt, out);
    if (result.target_unreachable)
        err << "pushcheck: target unreachable: no connection to " << target.url.str()
            << " could be made (" << refusal << ")\n";
    return code;
}

} // namespace pushcheck::run
