#include "pushcheck/run/app.hpp"

#include "load.hpp"
#include "run.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace pushcheck::run {

namespace {

// Options every command that reads scenarios shares.
void add_suite_options(CLI::App& cmd, RunOptions& o) {
    cmd.add_option("--scenarios", o.scenarios,
                   "Scenario file or folder to run instead of the suite (repeatable; default: the installed suite)");
    cmd.add_option("--add-scenarios", o.extra_scenarios,
                   "Scenario file or folder to run in addition to the suite (repeatable)");
    cmd.add_option("--filter", o.filters,
                   "Only scenarios whose id matches this glob (repeatable); '!GLOB' leaves matching ones out");
    cmd.add_option("--exclude", o.excludes, "Leave out scenarios whose id matches this glob (repeatable)");
    cmd.add_option("--profile", o.profile, "Profile name or file describing the target (default: nowtime)");
    cmd.add_option("--set", o.overrides, "Override one profile value, e.g. push.interval_ms=200 (repeatable)");
}

void add_report_options(CLI::App& cmd, RunOptions& o) {
    cmd.add_option("--json", o.json_file, "Write the results document (JSON) to FILE");
    cmd.add_option("--junit", o.junit_file, "Write a JUnit XML report to FILE");
    cmd.add_option("--html", o.html_file, "Write a self-contained HTML report to FILE");
    cmd.add_flag("-q,--quiet", o.quiet, "Print only failures and the summary");
    cmd.add_flag("-v,--verbose", o.verbose, "Also print transcripts");
}

// The target, driver and run options `run` and `load` share; returns the --target option.
CLI::Option* add_target_options(CLI::App& cmd, RunOptions& o) {
    CLI::Option* target_opt = cmd.add_option(
        "--target", o.target,
        "ws[s]://[user:password@]host:port[/prefix][?query] (default: start the embedded reference server)");
    cmd.add_option("--ca-file", o.ca_file, "wss: trust the CA certificates in this PEM file")->check(CLI::ExistingFile);
    cmd.add_flag("--insecure", o.insecure, "wss: do not verify the server certificate");
    cmd.add_option("--header", o.headers, "Add 'Name: value' to every handshake (repeatable)");
    add_suite_options(cmd, o);
    cmd.add_option("--jobs", o.jobs, "Scenarios run at once (0: all)")->check(CLI::NonNegativeNumber);
    cmd.add_option("--timeout-scale", o.timeout_scale, "Multiply every deadline by F")->check(CLI::Range(0.01, 1000.0));
    cmd.add_option("--keep-events", o.keep_events,
                    "Events kept per client for the reports: its first 8, its last N and the evidence "
                    "(0: every event; default 24). Measurements always cover every event")
        ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
    cmd.add_option("--driver", o.driver, "Client driver: async, sync or both")
        ->check(CLI::IsMember({"async", "sync", "both"}));
    cmd.add_option("--threads", o.threads, "Async driver: I/O threads (0: the hardware threads)")
        ->check(CLI::Range(0, 1024));
    cmd.add_option("--max-message-bytes", o.max_message_bytes, "Largest message accepted from the target")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
    cmd.add_option("--embedded-interval-ms", o.embedded_interval_ms,
                    "Push interval of the embedded reference server")->check(CLI::Range(10, 60000));
    cmd.add_option("--source-address", o.source_addresses,
                   "Bind connections to this local address, taking the addresses given in turn (repeatable), e.g. "
                   "127.0.0.2 127.0.0.3: more connections than one address pair has ephemeral ports");
    cmd.add_option("--progress", o.progress,
                   "Live progress line (clients connected, pushes/s, p99, failures): auto (on a terminal, not "
                   "with -q), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    cmd.add_option("--shard", o.shard,
                   "Run slice K of N of every client group (K from 1), e.g. 2/4; 'pushcheck merge' combines the "
                   "N results documents");
    cmd.add_option("--server-cmd", o.server_cmd,
                    "Start the server under test with this shell command, wait until --target accepts "
                    "connections, and stop it (SIGTERM, then SIGKILL) after the run");
    cmd.add_option("--server-timeout-ms", o.server_timeout_ms,
                    "How long the --server-cmd server may take to accept connections (default 30000)")
        ->check(CLI::Range(100, 600000));
    return target_opt;
}

// Edit distance, for "did you mean" on a mistyped command.
std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

} // namespace

int main_entry(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool handle_signals) {
    CLI::App app{"pushcheck: conformance and latency checks for room-based WebSocket push servers", "pushcheck"};
    app.set_version_flag("--version", std::string("pushcheck ") + PUSHCHECK_VERSION);
    app.require_subcommand(1, 1);

    RunOptions o;
    o.handle_signals = handle_signals;
    static const std::vector<std::string> commands = {"run", "load", "merge", "list", "validate", "report"};
    // The first word that is not an option must be a command: name a mistyped one.
    if (!args.empty() && !args[0].empty() && args[0][0] != '-' &&
        std::find(commands.begin(), commands.end(), args[0]) == commands.end()) {
        err << "pushcheck: unknown command '" << args[0] << "'";
        std::string best;
        std::size_t best_d = 3;
        for (const auto& c : commands)
            if (auto d = distance(args[0], c); d < best_d) best_d = d, best = c;
        if (!best.empty()) err << "; did you mean '" << best << "'?";
        err << "\nCommands: run, load, merge, list, validate, report. Run 'pushcheck --help' for usage.\n";
        return exit_usage;
    }
    auto* run = app.add_subcommand("run", "Run the conformance suite against a target (default: the embedded reference server)");
    CLI::Option* target_opt = add_target_options(*run, o);
    add_report_options(*run, o);

    LoadOptions lo;
    auto* load = app.add_subcommand(
        "load", "Load test: N clients join, are held and judged by delivery and latency (the same engine and reports)");
    CLI::Option* load_target_opt = add_target_options(*load, o);
    load->add_option("--clients", lo.clients, "Clients to connect")->required()->check(CLI::Range(1, 1000000));
    load->add_option("--rooms", lo.rooms,
                     "Rooms to spread the clients over, e.g. /nowtime or '/room-{1..100}' (repeatable; default: the "
                     "profile's first room)");
    load->add_option("--ramp", lo.ramp, "Connections per second per room (default 0: all at once)")
        ->check(CLI::Range(0.0, 1e6));
    load->add_option("--duration", lo.duration_s, "Seconds the clients are held (default 10)")->check(CLI::Range(0.1, 86400.0));
    load->add_option("--churn", lo.churn,
                     "Share of clients that leave with the close request and rejoin, then drop and rejoin (0-1)")
        ->check(CLI::Range(0.0, 1.0));
    load->add_option("--stalled", lo.stalled,
                     "Members of the first room that stop reading after a third of the run and flood the server; "
                     "the others are judged while they are stuck")
        ->check(CLI::Range(0, 1000000));
    load->add_option("--max-missed", lo.max_missed, "Missed pushes tolerated before the run fails (default 0)")
        ->check(CLI::NonNegativeNumber);
    load->add_flag("--print-scenario", lo.print_scenario, "Print the scenario this load test runs, and exit");
    add_report_options(*load, o);

    std::string format = "text";
    auto* list = app.add_subcommand("list", "Print the scenarios (id, level, title)");
    add_suite_options(*list, o);
    list->add_option("--format", format, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));

    std::vector<std::string> files;
    auto* validate = app.add_subcommand("validate", "Check scenario and profile files without running anything");
    validate->add_option("files", files, "Scenario or profile files, or folders of them")->required();
    validate->add_option("--profile", o.profile, "Profile to bind scenarios to (default: nowtime)");

    std::string results;
    auto* report = app.add_subcommand("report", "Render reports from a saved results document");
    report->add_option("results", results, "RESULTS.json written by pushcheck run --json")->required();
    add_report_options(*report, o);

    std::vector<std::string> shard_files;
    auto* merge = app.add_subcommand("merge", "Combine the results documents of the shards of one run (--shard K/N)");
    merge->add_option("results", shard_files, "RESULTS.json of every shard, written with --shard K/N --json")->required();
    add_report_options(*merge, o);

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp& e) {
        out << app.help();
        return exit_ok;
    } catch (const CLI::CallForAllHelp& e) {
        out << app.help("", CLI::AppFormatMode::All);
        return exit_ok;
    } catch (const CLI::CallForVersion& e) {
        out << e.what() << "\n";
        return exit_ok;
    } catch (const CLI::ParseError& e) {
        err << "pushcheck: " << e.what() << "\n";
        err << "Run 'pushcheck --help' (or 'pushcheck COMMAND --help') for usage.\n";
        return exit_usage;
    }

    if (*run || *load) {
        o.target_given = (*run ? target_opt : load_target_opt)->count() > 0;
        if (o.target_given && blank(o.target)) {
            err << "pushcheck: --target is empty (an unset variable?); give a ws:// or wss:// URL, or leave "
                   "--target out to test the embedded reference server\n";
            return exit_usage;
        }
        if (!o.server_cmd.empty() && !o.target_given) {
            err << "pushcheck: --server-cmd needs --target: the URL where the started server accepts connections\n";
            return exit_usage;
        }
        if (o.server_cmd.empty() == false && blank(o.server_cmd)) {
            err << "pushcheck: --server-cmd is empty\n";
            return exit_usage;
        }
    }

    ConsoleStyle style;
    if (&out == &std::cout) {
        style.tty = ::isatty(STDOUT_FILENO) != 0;
        style.color = style.tty && std::getenv("NO_COLOR") == nullptr;
    }
    if (o.progress != "auto") style.tty = o.progress == "always";
    try {
        if (*run) return run_command(o, style, out, err);
        if (*load) return load_command(o, lo, style, out, err);
        if (*list) return list_command(o, format, out, err);
        if (*validate) return validate_command(o, files, out, err);
        if (*report) return report_command(o, results, style, out, err);
        if (*merge) return merge_command(o, shard_files, style, out, err);
    } catch (const std::exception& e) {
        err << "pushcheck: internal error: " << e.what() << "\n";
        return exit_usage;
    }
    return exit_usage;
}

} // namespace pushcheck::run
