#include "pushcheck/run/app.hpp"

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
    cmd.add_option("--scenarios", o.scenarios, "Scenario file or folder (repeatable; default: the installed suite)");
    cmd.add_option("--filter", o.filters, "Only scenarios whose id matches this glob (repeatable)");
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

} // namespace

int main_entry(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    CLI::App app{"pushcheck: conformance and latency checks for room-based WebSocket push servers", "pushcheck"};
    app.set_version_flag("--version", std::string("pushcheck ") + PUSHCHECK_VERSION);
    app.require_subcommand(1, 1);

    RunOptions o;
    auto* run = app.add_subcommand("run", "Run the conformance suite against a target (default: the embedded reference server)");
    run->add_option("--target", o.target, "ws://host:port or wss://host:port (default: start the embedded reference server)");
    run->add_option("--ca-file", o.ca_file, "wss: trust the CA certificates in this PEM file")->check(CLI::ExistingFile);
    run->add_flag("--insecure", o.insecure, "wss: do not verify the server certificate");
    run->add_option("--header", o.headers, "Add 'Name: value' to every handshake (repeatable)");
    add_suite_options(*run, o);
    run->add_option("--jobs", o.jobs, "Scenarios run at once (0: all)")->check(CLI::NonNegativeNumber);
    run->add_option("--timeout-scale", o.timeout_scale, "Multiply every deadline by F")->check(CLI::PositiveNumber);
    run->add_option("--driver", o.driver, "Client driver: async, sync or both")
        ->check(CLI::IsMember({"async", "sync", "both"}));
    run->add_option("--max-message-bytes", o.max_message_bytes, "Largest message accepted from the target")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
    run->add_option("--embedded-interval-ms", o.embedded_interval_ms,
                    "Push interval of the embedded reference server")->check(CLI::Range(10, 60000));
    add_report_options(*run, o);

    std::string format = "text";
    auto* list = app.add_subcommand("list", "Print the scenarios (id, level, title)");
    add_suite_options(*list, o);
    list->add_option("--format", format, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));

    std::vector<std::string> files;
    auto* validate = app.add_subcommand("validate", "Check scenario and profile files without running anything");
    validate->add_option("files", files, "Scenario or profile files")->required();
    validate->add_option("--profile", o.profile, "Profile to bind scenarios to (default: nowtime)");

    std::string results;
    auto* report = app.add_subcommand("report", "Render reports from a saved results document");
    report->add_option("results", results, "RESULTS.json written by pushcheck run --json")->required();
    add_report_options(*report, o);

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

    ConsoleStyle style;
    if (&out == &std::cout) {
        style.tty = ::isatty(STDOUT_FILENO) != 0;
        style.color = style.tty && std::getenv("NO_COLOR") == nullptr;
    }
    try {
        if (*run) return run_command(o, style, out, err);
        if (*list) return list_command(o, format, out, err);
        if (*validate) return validate_command(o, files, out, err);
        if (*report) return report_command(o, results, style, out, err);
    } catch (const std::exception& e) {
        err << "pushcheck: internal error: " << e.what() << "\n";
        return exit_usage;
    }
    return exit_usage;
}

} // namespace pushcheck::run
