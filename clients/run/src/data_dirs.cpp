#include "pushcheck/run/options.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace pushcheck::run {

// Looks next to the executable first (installed or build tree), then at the source tree.
DataDirs find_data_dirs() {
    std::vector<fs::path> roots;
    if (const char* env = std::getenv("PUSHCHECK_DATA_DIR")) roots.emplace_back(env);
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        roots.push_back(exe.parent_path().parent_path() / "share" / "pushcheck" / "scenarios");
    }
    roots.emplace_back(PUSHCHECK_SOURCE_SCENARIOS);
    for (const auto& r : roots) {
        if (fs::is_directory(r / "suite", ec) && fs::is_directory(r / "profiles", ec))
            return {(r / "suite").string(), (r / "profiles").string()};
    }
    return {std::string(PUSHCHECK_SOURCE_SCENARIOS) + "/suite",
            std::string(PUSHCHECK_SOURCE_SCENARIOS) + "/profiles"};
}

} // namespace pushcheck::run
