#include "support.hpp"

#include "fixture.hpp"
#include "pushcheck/reports/reporters.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace pushcheck::test {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string artifact_dir() {
    fs::create_directories(PUSHCHECK_ARTIFACT_DIR);
    return PUSHCHECK_ARTIFACT_DIR;
}

std::string write_artifact(const std::string& name, const std::string& text) {
    std::string path = artifact_dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string normalise(const std::string& text) {
    std::string out = text;
    const std::string v = fixture_version();
    for (std::size_t p = 0; (p = out.find(v, p)) != std::string::npos; p += 9) out.replace(p, v.size(), "@VERSION@");
    return out;
}

void check_golden(const std::string& name, const std::string& actual_raw) {
    const std::string actual = normalise(actual_raw);
    const std::string path = std::string(PUSHCHECK_GOLDEN_DIR) + "/" + name;
    const char* update = std::getenv("PUSHCHECK_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary) << actual;
        WARN("golden file rewritten: " << path);
        return;
    }
    INFO("golden file " << path << " (regenerate with PUSHCHECK_UPDATE_GOLDEN=1 and review the diff)");
    REQUIRE(fs::exists(path));
    const std::string expected = read_text(path);
    if (expected == actual) return;
    const std::string actual_path = write_artifact(name + ".actual", actual);
    // Report the first differing line so the failure says what changed.
    std::istringstream e(expected), a(actual);
    std::string le, la;
    int line = 0;
    while (true) {
        ++line;
        bool he = static_cast<bool>(std::getline(e, le)), ha = static_cast<bool>(std::getline(a, la));
        if (!he && !ha) break;
        if (le != la || he != ha) {
            std::size_t col = 0;
            while (col < le.size() && col < la.size() && le[col] == la[col]) ++col;
            const std::size_t from = col > 60 ? col - 60 : 0;
            FAIL_CHECK("first difference at line " << line << ", column " << col + 1
                                                   << "\n expected: ..." << le.substr(from, 160)
                                                   << "\n actual:   ..." << la.substr(from, 160));
            break;
        }
    }
    FAIL("output differs from " << path << "; actual output in " << actual_path);
}

int run_command(const std::string& command, const std::string& log, const std::string& err_log) {
    std::string full = "timeout 90 " + command + " >'" + log + "' " + (err_log.empty() ? "2>&1" : "2>'" + err_log + "'");
    int status = std::system(full.c_str());
    if (status == -1) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string junit_of(const engine::RunResult& run) {
    std::ostringstream s;
    reports::write_junit(run, s);
    return s.str();
}
std::string html_of(const engine::RunResult& run) {
    std::ostringstream s;
    reports::write_html(run, s);
    return s.str();
}
std::string json_of(const engine::RunResult& run) {
    std::ostringstream s;
    reports::write_json(run, s);
    return s.str();
}

} // namespace pushcheck::test
