// The file report formats and writing a report to disk.
#include "pushcheck/reports/reporters.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace pushcheck::reports {

const std::vector<FileWriter>& file_writers() {
    static const std::vector<FileWriter> writers{
        {"junit", &write_junit},
        {"html", &write_html},
        {"json", &write_json},
    };
    return writers;
}

const FileWriter* find_writer(std::string_view format) {
    for (const auto& w : file_writers())
        if (w.format == format) return &w;
    return nullptr;
}

bool write_file(const std::string& path, const std::string& text, std::string& error) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path p(path);
    if (p.has_parent_path()) {
        fs::create_directories(p.parent_path(), ec);
        if (ec) {
            error = path + ": cannot create directory " + p.parent_path().string() + ": " + ec.message();
            return false;
        }
    }
    // Write beside the target and rename, so a reader never sees half a report.
    fs::path tmp = p;
    tmp += ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) {
            error = path + ": cannot open for writing: " + std::strerror(errno);
            return false;
        }
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        f.flush();
        if (!f) {
            error = path + ": write failed: " + std::strerror(errno);
            fs::remove(tmp, ec);
            return false;
        }
    }
    fs::rename(tmp, p, ec);
    if (ec) {
        error = path + ": cannot replace: " + ec.message();
        fs::remove(tmp, ec);
        return false;
    }
    return true;
}

} // namespace pushcheck::reports
