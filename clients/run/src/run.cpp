#include "run.hpp"
#include "load.hpp"

#include "embedded.hpp"
#include "server_process.hpp"
#include "signals.hpp"
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/error.hpp"
#include "pushcheck/engine/runner.hpp"
#include "pushcheck/net/ca.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "pushcheck/run/app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

namespace pushcheck::run {

namespace {

using engine::ConfigError;
using Clock = std::chrono::steady_clock;

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

bool iequals(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Opens every report file before the run so that a bad path is a usage error, not lost work.
void check_writable(const std::string& path, const char* flag) {
    if (path.empty()) return;
    std::string error;
    if (!reports::write_file(path, "", error)) throw ConfigError(flag, "", error);
}

// The sync driver runs one thread per client: a scenario above its limit is refused up front.
void check_sync_limit(const std::vector<engine::Scenario>& scenarios) {
    for (const auto& s : scenarios) {
        std::size_t clients = 0;
        for (const auto& d : s.clients) clients += d.count > 0 ? static_cast<std::size_t>(d.count) : 1;
        if (clients > drivers::kSyncMaxClients)
            throw ConfigError("--driver", "",
                              fmt::format("scenario '{}' has {} clients, more than the sync driver's limit of {} "
                                          "(one thread per client, see docs/drivers.md); run it with --driver async",
                                          s.id, clients, drivers::kSyncMaxClients));
    }
}

std::string quoted_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "'" : ", '") + x + "'";
    return s;
}

std::vector<std::string> rooms_of(const engine::Profile& p, const char* key) {
    std::vector<std::string> rooms;
    if (const auto* v = p.find(key); v && v->is_array())
        for (const auto& r : *v)
            if (r.is_string()) rooms.push_back(r.get<std::string>());
    return rooms;
}

// Where the target URL points: a path that already ends with one of the profile's rooms
// names that room, so the prefix is what comes before it (a trailing '/' keeps it literal).
struct ResolvedTarget {
    net::Url url;
    std::string note;
};

ResolvedTarget resolve_target(const std::string& text, const engine::Profile& profile) {
    std::string error;
    auto url = net::parse_url(text, error);
    if (!url) throw ConfigError("--target", "", error);
    ResolvedTarget r{*url, ""};
    if (url->path.empty() || url->trailing_slash) return r;
    for (const auto& room : rooms_of(profile, "rooms.valid")) {
        std::string path = room.substr(0, room.find('?'));
        if (path.size() <= 1 || url->path.size() < path.size() ||
            url->path.compare(url->path.size() - path.size(), path.size(), path) != 0)
            continue;
        r.url.path = url->path.substr(0, url->path.size() - path.size());
        r.note = fmt::format(
            "the --target path '{}' ends with the profile's room '{}', so rooms are dialled under {} (e.g. {}); "
            "end the URL with '/' to use '{}' itself as the prefix",
            url->path, path, r.url.str(), r.url.room_url(room), url->path);
        break;
    }
    return r;
}

struct Selection {
    std::vector<std::string> include, exclude;
};

Selection selection_of(const RunOptions& o) {
    Selection s;
    for (const auto& f : o.filters) {
        if (!f.empty() && f[0] == '!') s.exclude.push_back(f.substr(1));
        else s.include.push_back(f);
    }
    s.exclude.insert(s.exclude.end(), o.excludes.begin(), o.excludes.end());
    return s;
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
    std::vector<std::string> sources = o.scenarios.empty() ? std::vector<std::string>{dirs.suite} : o.scenarios;
    sources.insert(sources.end(), o.extra_scenarios.begin(), o.extra_scenarios.end());
    auto all = engine::load_scenarios(sources);
    const Selection sel = selection_of(o);
    for (auto& s : all) {
        bool keep = sel.include.empty();
        for (const auto& f : sel.include) keep = keep || engine::id_matches(s.id, f);
        for (const auto& f : sel.exclude) keep = keep && !engine::id_matches(s.id, f);
        if (keep) p.scenarios.push_back(std::move(s));
    }
    if (p.scenarios.empty()) {
        if (all.empty()) throw ConfigError(sources.front(), "", "no scenario files found");
        std::string what = "no scenario matches";
        if (!sel.include.empty()) what += " --filter " + quoted_list(sel.include);
        if (!sel.exclude.empty()) what += std::string(sel.include.empty() ? "" : " and") + " outside the exclusions " +
                                          quoted_list(sel.exclude);
        what += " (" + std::to_string(all.size()) + " scenarios loaded; 'pushcheck list' shows their ids)";
        throw ConfigError("--filter", "", what);
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

namespace {

/// Everything one `pushcheck run` holds while it runs; results are guarded by `mu` because
/// driver threads and the signal watcher both reach them.
struct RunState {
    const RunOptions& o;
    const ConsoleStyle& style;
    std::ostream& out;
    std::ostream& err;
    Clock::time_point t0 = Clock::now();
    std::string started_at = iso_now();
    bool embedded = false;
    Prepared prep;
    drivers::TargetOptions target;
    std::vector<std::string> driver_names;
    std::vector<std::string> dialled;
    std::vector<std::unique_ptr<engine::ScenarioRunner>> runners;
    std::vector<std::size_t> order;  // runner indices in print order
    std::unique_ptr<ServerProcess> server;

    std::mutex mu;
    std::vector<std::optional<engine::ScenarioResult>> results;
    std::size_t printed = 0, finished = 0;

    // The live line (a TTY, not -q): redrawn every second once the run is 2 s old.
    std::condition_variable progress_cv;
    bool progress_stop = false;
    std::string progress_text;            // the last line drawn
    std::uint64_t progress_received = 0;  // messages received when it was drawn
    Clock::time_point progress_at{};

    bool live_line() const { return style.tty && !o.quiet; }

    /// "[3/22] 1834/2000 clients connected, 19950 pushes/s, p99 12.3 ms, 0 failed" (under mu).
    void update_progress() {
        std::uint64_t clients = 0, open = 0, received = 0, failed = 0;
        std::int64_t p99 = -1;
        for (std::size_t i = 0; i < runners.size(); ++i) {
            if (!runners[i]) {  // not applicable: never run
                continue;
            }
            const engine::LiveFigures f = runners[i]->live();
            received += f.received;
            if (results[i]) {
                failed += results[i]->verdict == engine::Verdict::fail || results[i]->verdict == engine::Verdict::harness_error;
                continue;
            }
            failed += f.failed;
            if (f.done) continue;
            clients += f.clients;
            open += f.open;
            p99 = std::max(p99, f.p99_us);
        }
        const Clock::time_point now = Clock::now();
        const double dt = std::chrono::duration<double>(now - (progress_at == Clock::time_point{} ? t0 : progress_at)).count();
        const double rate = dt > 0 ? static_cast<double>(received - progress_received) / dt : 0;
        progress_at = now;
        progress_received = received;
        progress_text = fmt::format("[{}/{}] {}/{} clients connected, {:.0f} pushes/s, p99 {}, {} failed", finished,
                                    runners.size(), open, clients, rate,
                                    p99 < 0 ? std::string("-") : fmt::format("{:.1f} ms", static_cast<double>(p99) / 1000.0),
                                    failed);
    }

    /// The progress thread: redraws the line every second until progress_stop.
    void progress_loop() {
        std::unique_lock lock(mu);
        while (!progress_cv.wait_for(lock, std::chrono::seconds(1), [this] { return progress_stop; })) {
            if (stopped || Clock::now() - t0 < std::chrono::seconds(2)) continue;
            update_progress();
            out << "\r\033[K" << progress_text << std::flush;
        }
    }
    std::optional<engine::Shard> shard;  // --shard
    bool stopped = false;  // a signal took over, or the run is being reported: print nothing more

    RunState(const RunOptions& opts, const ConsoleStyle& st, std::ostream& o_, std::ostream& e_)
        : o(opts), style(st), out(o_), err(e_) {}

    reports::ConsoleOptions console() const { return {style.color, o.quiet, o.verbose}; }

    /// Prints the scenario lines that are ready, in a stable order (scenario, then driver). Under mu.
    void print_ready() {
        while (printed < order.size() && results[order[printed]]) reports::print_scenario_line(*results[order[printed++]], console(), out);
    }

    // Called on a driver thread when a session is done.
    void on_done(std::size_t i) {
        std::lock_guard lock(mu);
        if (stopped) return;
        results[i] = runners[i]->result();
        auto& r = *results[i];
        r.started_ms = std::max(0.0, std::chrono::duration<double, std::milli>(Clock::now() - t0).count() - r.duration_ms);
        ++finished;
        if (live_line()) out << "\r\033[K";
        // Lines come in a stable order (scenario, then driver), whatever finishes first.
        print_ready();
        if (live_line() && finished < runners.size())
            out << (progress_text.empty() ? fmt::format("[{}/{}] running...", finished, runners.size()) : progress_text);
        out << std::flush;
    }

    // The run result from what finished so far; `take` moves the results out (end of run).
    engine::RunResult assemble(bool take) {
        engine::RunResult result;
        result.pushcheck_version = PUSHCHECK_VERSION;
        result.target = target.url.str();
        result.embedded = embedded;
        result.profile_name = prep.profile.name;
        result.profile = prep.profile.values;
        result.drivers = driver_names;
        result.started_at = started_at;
        result.hostname = host_name();
        result.dialled = dialled;
        result.shard = shard;
        bool any_connected = false, any_http = false, any_failed = false;
        for (std::size_t k : order) {
            if (!results[k]) continue;
            for (const auto& e : results[k]->transcript.events) {
                if (e.kind == engine::EventKind::connected) any_connected = true;
                if (e.kind == engine::EventKind::connect_failed) {
                    any_failed = true;
                    any_http = any_http || e.reached;
                }
            }
            if (take) result.scenarios.push_back(std::move(*results[k]));
            else result.scenarios.push_back(*results[k]);
        }
        // Unreachable: nothing ever upgraded and nothing answered with HTTP (DNS, TCP, TLS,
        // or a peer that is not an HTTP server).
        result.target_unreachable = !any_connected && !any_http && any_failed;
        if (server) {
            engine::ServerProcess sp;
            sp.command = server->command();
            sp.pid = server->pid();
            sp.exit = server->exit_text();
            sp.log_tail = server->tail();
            result.server = std::move(sp);
        }
        result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        result.recompute_summary();
        return result;
    }

    // The first connect failure of the run, and whether every one was an HTTP 404.
    std::pair<std::string, bool> failure_hint(const engine::RunResult& result) const {
        std::string first;
        bool all_404 = true, any = false;
        for (const auto& s : result.scenarios)
            for (const auto& e : s.transcript.events) {
                if (e.kind == engine::EventKind::connected) all_404 = false;
                if (e.kind != engine::EventKind::connect_failed) continue;
                any = true;
                if (first.empty()) first = e.data;
                if (e.http_status != 404) all_404 = false;
            }
        return {first, any && all_404};
    }

    int finish(engine::RunResult& result, int code) {
        if (o.load_figures) add_load_figures(result, o.load_options, o.load_rooms);
        write_reports(result, o, err, code);
        reports::print_summary(result, console(), out);
        if (o.load_figures && !o.quiet) print_load_figures(result, out);
        auto [first, all_404] = failure_hint(result);
        if (result.target_unreachable)
            err << "pushcheck: target unreachable: no WebSocket connection to " << target.url.str()
                << " could be made (" << first << ")\n";
        else if (all_404 || (result.summary.pass == 0 && !target.url.path.empty()))
            err << "pushcheck: hint: " << (all_404 ? "every handshake was refused with HTTP 404" : "no scenario passed")
                << "; is the path of --target right? Rooms were dialled as "
                << (dialled.empty() ? target.url.str() : dialled.front()) << "\n";
        if (result.server && (code != exit_ok) && !result.server->log_tail.empty())
            err << "pushcheck: the server under test (" << result.server->exit << ") printed last:\n"
                << result.server->log_tail << (result.server->log_tail.back() == '\n' ? "" : "\n");
        return code;
    }

    // A signal arrived: report what finished, stop the server, and leave at once. A signal
    // after the run ended is ignored: its reports are being written already.
    void interrupt(int sig) {
        std::lock_guard lock(mu);
        if (stopped) return;
        stopped = true;
        if (live_line()) out << "\r\033[K";
        engine::Interruption in;
        in.signal = signal_name(sig);
        for (std::size_t k : order)
            if (!results[k]) in.unfinished.push_back({prep.scenarios[k % prep.scenarios.size()].id, driver_names[k / prep.scenarios.size()]});
        if (server) server->stop(std::chrono::milliseconds(2000));
        engine::RunResult result = assemble(false);
        result.interrupted = in;
        out << "\n";  // the summary says it was interrupted and what did not finish
        finish(result, 128 + sig);
        out << std::flush;
        err << std::flush;
        std::_Exit(128 + sig);
    }
};

} // namespace

std::shared_ptr<drivers::SourceAddresses> source_addresses(const std::vector<std::string>& given) {
    auto s = std::make_shared<drivers::SourceAddresses>();
    for (const auto& a : given) {
        sockaddr_storage ss{};
        socklen_t len = 0;
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
        if (::inet_pton(AF_INET, a.c_str(), &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            len = sizeof *v4;
        } else if (::inet_pton(AF_INET6, a.c_str(), &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            len = sizeof *v6;
        } else {
            throw ConfigError("--source-address", "", "'" + a + "' is not an IPv4 or IPv6 address");
        }
        // Bound once here, so that an address this machine does not have fails now, not per connection.
        int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int r = fd < 0 ? -1 : ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len);
        const int err = errno;
        if (fd >= 0) ::close(fd);
        if (r < 0)
            throw ConfigError("--source-address", "", "cannot bind to " + a + ": " + std::strerror(err) +
                                                          " (is it an address of this machine?)");
        s->addresses.push_back(a);
    }
    return s;
}

engine::ScenarioResult not_applicable(const engine::Scenario& s, const std::string& driver, const engine::Profile& profile) {
    engine::ScenarioResult r{s.id, s.group(), s.title, s.description, s.file, s.level, driver};
    r.verdict = engine::Verdict::not_applicable;
    const auto missing = engine::missing_sections(s, profile.values);
    r.reason = fmt::format("not applicable: it requires {} and profile {} has no such section", fmt::join(missing, ", "),
                           profile.name);
    if (std::find(missing.begin(), missing.end(), engine::kJsonFrames) != missing.end())
        r.reason += fmt::format(" (json_frames: its framing, {}, is not JSON text)", profile.values.value("framing", "json"));
    return r;
}

int exit_code_of(const engine::RunResult& result, bool load_run) {
    if (result.target_unreachable) return exit_unreachable;
    if (result.summary.fail > 0) return exit_failed;
    if (load_run && result.summary.harness_error > 0) return exit_failed;
    return exit_ok;
}

engine::Shard parse_shard(const std::string& text) {
    static const std::regex re(R"(^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$)");
    std::smatch m;
    if (std::regex_match(text, m, re)) {
        const unsigned k = static_cast<unsigned>(std::stoul(m[1])), n = static_cast<unsigned>(std::stoul(m[2]));
        if (k >= 1 && k <= n && n <= 100000) return {k, n};
    }
    throw ConfigError("--shard", "", "expected K/N with 1 <= K <= N <= 100000 (slice K of N, e.g. 2/4), got '" + text + "'");
}

int run_command(const RunOptions& o, const ConsoleStyle& style, std::ostream& out, std::ostream& err) {
    RunState st(o, style, out, err);
    // Before any thread starts, so that every thread inherits the blocked signals.
    std::unique_ptr<SignalWatcher> watcher;
    if (o.handle_signals) watcher = std::make_unique<SignalWatcher>([&st](int sig) { st.interrupt(sig); });

    st.embedded = o.target.empty();
    st.driver_names = o.driver == "both" ? std::vector<std::string>{"async", "sync"} : std::vector<std::string>{o.driver};
    EmbeddedServer embedded_server;
    std::string target_note;
    try {
        st.prep = prepare(o, st.embedded);
        for (const auto& h : o.headers) st.target.headers.push_back(parse_header(h));
        if (!o.ca_file.empty())
            if (auto why = net::check_ca_file(o.ca_file); !why.empty()) throw ConfigError("--ca-file", "", why);
        if (!o.source_addresses.empty()) st.target.sources = source_addresses(o.source_addresses);
        check_writable(o.json_file, "--json");
        check_writable(o.junit_file, "--junit");
        check_writable(o.html_file, "--html");
        if (!st.embedded) {
            auto resolved = resolve_target(o.target, st.prep.profile);
            st.target.url = resolved.url;
            target_note = resolved.note;
        }
        engine::RunOptions ro;
        ro.timeout_scale = o.timeout_scale;
        ro.max_message_bytes = o.max_message_bytes;
        ro.max_json_depth = o.max_json_depth;
        ro.keep_first = o.keep_events == 0 ? 0 : 8;
        ro.keep_last = o.keep_events;
        ro.keep_clients = o.keep_events == 0 ? 0 : o.keep_clients;
        if (!o.shard.empty()) {
            st.shard = parse_shard(o.shard);
            ro.shard_index = st.shard->index - 1;
            ro.shard_count = st.shard->count;
        }
        if (o.driver != "async") check_sync_limit(st.prep.scenarios);
        // Bind every scenario before any I/O so that a bad reference fails fast (exit 2).
        for (const auto& d : st.driver_names) {
            ro.driver = d;
            for (const auto& s : st.prep.scenarios)
                st.runners.push_back(engine::missing_sections(s, st.prep.profile.values).empty()
                                         ? std::make_unique<engine::ScenarioRunner>(s, st.prep.profile, ro)
                                         : nullptr);  // not applicable to this profile: reported, not run
        }
    } catch (const ConfigError& e) {
        err << "pushcheck: " << e.what() << "\n";
        return exit_usage;
    }

    if (st.embedded) {
        auto rooms = rooms_of(st.prep.profile, "rooms.valid");
        auto interval = std::chrono::milliseconds(st.prep.profile.values["push"]["interval_ms"].get<int>());
        if (auto why = embedded_server.start(interval, rooms); !why.empty()) {
            err << "pushcheck: cannot start the embedded reference server: " << why << "\n";
            return exit_unreachable;
        }
        std::string error;
        st.target.url = *net::parse_url(embedded_server.url(), error);
    }
    const net::Url& url = st.target.url;
    if (url.has_userinfo &&
        std::none_of(st.target.headers.begin(), st.target.headers.end(),
                     [](const auto& h) { return iequals(h.first, "Authorization"); }))
        st.target.headers.emplace_back("Authorization", net::basic_auth(url));
    st.target.ca_file = o.ca_file;
    st.target.insecure = o.insecure;
    st.target.max_message_bytes = o.max_message_bytes;
    st.target.user_agent = std::string("pushcheck/") + PUSHCHECK_VERSION;
    for (const char* key : {"rooms.valid", "rooms.invalid"})
        for (const auto& room : rooms_of(st.prep.profile, key)) st.dialled.push_back(url.room_url(room));

    if (!target_note.empty()) err << "pushcheck: note: " << target_note << "\n";
    if (!o.server_cmd.empty()) {
        st.server = std::make_unique<ServerProcess>();
        std::string why = st.server->start(o.server_cmd);
        if (why.empty()) why = st.server->wait_ready(url.host, url.port, std::chrono::milliseconds(o.server_timeout_ms));
        if (!why.empty()) {
            st.server->stop();
            err << "pushcheck: --server-cmd: " << why << "\n";
            std::string tail = st.server->tail();
            if (!tail.empty()) err << "pushcheck: the server command printed:\n" << tail << (tail.back() == '\n' ? "" : "\n");
            engine::RunResult result = st.assemble(true);
            result.target_unreachable = true;
            int code = exit_unreachable;
            write_reports(result, o, err, code);
            return code;
        }
    }

    if (!o.quiet) {
        out << fmt::format("pushcheck {} -> {}{} ({} scenarios, profile {}, driver {})\n", PUSHCHECK_VERSION, url.str(),
                           st.embedded ? " (embedded reference server)" : "", st.prep.scenarios.size(),
                           st.prep.profile.name, o.driver);
        out << "rooms dialled: ";
        for (std::size_t i = 0; i < st.dialled.size(); ++i) out << (i ? ", " : "") << st.dialled[i];
        out << "\n" << std::flush;
    }

    const std::size_t n = st.prep.scenarios.size();
    // Scenarios tagged "exclusive" (bursts such as the join storm) run after the others:
    // on one driver thread their bursts would delay the arrival timestamps of concurrent
    // scenarios and skew their timing checks.
    auto exclusive = [](const engine::Scenario& s) {
        return std::find(s.tags.begin(), s.tags.end(), "exclusive") != s.tags.end();
    };
    for (bool phase : {false, true})
        for (std::size_t i = 0; i < n; ++i)
            if (exclusive(st.prep.scenarios[i]) == phase)
                for (std::size_t d = 0; d < st.driver_names.size(); ++d) st.order.push_back(d * n + i);
    st.results.resize(st.runners.size());
    for (std::size_t k = 0; k < st.runners.size(); ++k)
        if (!st.runners[k]) {
            st.results[k] = not_applicable(st.prep.scenarios[k % n], st.driver_names[k / n], st.prep.profile);
            ++st.finished;
        }
    std::map<const engine::Session*, std::size_t> index;
    for (std::size_t i = 0; i < st.runners.size(); ++i)
        if (st.runners[i]) index[st.runners[i].get()] = i;
    auto on_done = [&](engine::Session& s) { st.on_done(index.at(&s)); };

    const int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(n);
    std::thread progress;
    if (st.live_line()) progress = std::thread([&st] { st.progress_loop(); });
    for (bool phase : {false, true}) {
        std::vector<std::thread> threads;
        for (std::size_t d = 0; d < st.driver_names.size(); ++d) {
            std::vector<engine::Session*> sessions;
            for (std::size_t i = 0; i < n; ++i)
                if (exclusive(st.prep.scenarios[i]) == phase && st.runners[d * n + i])
                    sessions.push_back(st.runners[d * n + i].get());
            if (sessions.empty()) continue;
            auto driver = st.driver_names[d] == "sync" ? drivers::make_sync_driver(st.target)
                                                       : drivers::make_async_driver(st.target, o.threads);
            threads.emplace_back([driver = std::move(driver), sessions, jobs, &on_done] {
                driver->run(sessions, jobs, on_done);
            });
        }
        for (auto& t : threads) t.join();
    }
    if (progress.joinable()) {
        {
            std::lock_guard lock(st.mu);
            st.progress_stop = true;
        }
        st.progress_cv.notify_all();
        progress.join();
    }
    if (st.live_line()) out << "\r\033[K" << std::flush;

    std::unique_lock lock(st.mu);
    st.print_ready();  // what no driver reported (scenarios that were not applicable)
    st.stopped = true;
    if (st.server) st.server->stop();
    engine::RunResult result = st.assemble(true);
    const int code = exit_code_of(result, o.load_figures);
    if (o.load_figures && code == exit_failed && result.summary.fail == 0)
        err << "pushcheck: the load run ended in a harness error, so delivery and latency were not judged: "
            << (result.scenarios.empty() ? std::string("no result") : result.scenarios.front().reason) << "\n";
    return st.finish(result, code);
}

} // namespace pushcheck::run
