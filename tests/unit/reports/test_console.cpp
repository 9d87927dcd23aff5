// Console output: golden files for the plain, coloured, quiet and verbose forms.
#include "fixture.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace pushcheck;
using namespace pushcheck::test;

namespace {
std::string console(const engine::RunResult& run, reports::ConsoleOptions o) {
    std::ostringstream out;
    for (const auto& s : run.scenarios) reports::print_scenario_line(s, o, out);
    reports::print_summary(run, o, out);
    return out.str();
}
// Golden files show escape sequences as "\e[" so a diff stays readable.
std::string visible_escapes(std::string s) {
    for (std::size_t p = 0; (p = s.find('\x1b', p)) != std::string::npos;) s.replace(p, 1, "\\e");
    return s;
}
} // namespace

TEST_CASE("console output matches the golden files", "[console]") {
    const auto run = make_run();
    check_golden("console.txt", console(run, {}));
    check_golden("console-color.txt", visible_escapes(console(run, {.color = true})));
    check_golden("console-quiet.txt", console(run, {.quiet = true}));
    check_golden("console-verbose.txt", console(run, {.verbose = true}));
}

TEST_CASE("console colours only when asked, quiet hides passes", "[console]") {
    const auto run = make_run();
    const std::string plain = console(run, {});
    CHECK(plain.find('\x1b') == std::string::npos);
    CHECK(console(run, {.color = true}).find("\x1b[1;31mFAIL") != std::string::npos);
    const std::string quiet = console(run, {.quiet = true});
    CHECK(quiet.find("lifecycle.welcome") == std::string::npos);
    CHECK(quiet.find("lifecycle.close_bye") != std::string::npos);
    CHECK(quiet.find("result FAIL") != std::string::npos);
    // A failure shows its reason and its last transcript events.
    CHECK(plain.find("last 5 of 6 events (* evidence):") != std::string::npos);
    CHECK(console(run, {.verbose = true}).find("transcript (9 events):") != std::string::npos);
}

TEST_CASE("hostile text cannot drive the terminal", "[console][hostile]") {
    const std::string out = console(make_hostile_run(), {.verbose = true});
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\r') == std::string::npos);
    CHECK(out.find("\\x1b[31m") != std::string::npos);
}

TEST_CASE("console names the failing step or check", "[console]") {
    const std::string plain = console(make_run(), {});
    CHECK(plain.find("              steps/3 expect: at /message: expected \"bye\"") != std::string::npos);
    CHECK(plain.find("              checks/0 interval: gap 3 of 9 was 312.0 ms") != std::string::npos);
    CHECK(plain.find("              steps/4 expect: the close request after a non-JSON text") != std::string::npos);
}

TEST_CASE("console's transcript tail includes the evidence that lies before it", "[console]") {
    const std::string plain = console(make_run(), {});
    // push.cadence: 10 events, evidence 2 and 3, the tail is 5..9.
    CHECK(plain.find("evidence and last 5 of 10 events (* evidence):") != std::string::npos);
    CHECK(plain.find("*  +500.000 ms  m1    <- text 64 B") != std::string::npos);
    CHECK(plain.find("*  +812.000 ms  m1    <- text 64 B") != std::string::npos);
    CHECK(plain.find("   ... 1 event not shown") != std::string::npos);
}

TEST_CASE("console summary says the run was interrupted", "[console][interrupted]") {
    const std::string out = console(make_interrupted_run(), {});
    CHECK(out.find("interrupted by SIGINT: 2 scenario runs did not finish and are not in the results") != std::string::npos);
}
