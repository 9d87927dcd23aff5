// The one exception type for bad input: scenario files, profiles, overrides.
#pragma once
#include <stdexcept>
#include <string>

namespace pushcheck::engine {

/// Bad user input, with the place (file, line:col or JSON pointer) and the problem.
/// `where` is "LINE:COL" or a JSON pointer ("/steps/2/step") or empty.
/// pushcheck turns it into exit code 2.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string file, std::string where, std::string problem)
        : std::runtime_error(file + separator(where) + where + ": " + problem),
          file_(std::move(file)), where_(std::move(where)), problem_(std::move(problem)) {}
    const std::string& file() const { return file_; }
    const std::string& where() const { return where_; }
    const std::string& problem() const { return problem_; }

private:
    // "file:3:14: problem" for a line:column, "file: /steps/2: problem" for a JSON pointer.
    static const char* separator(const std::string& where) {
        if (where.empty()) return "";
        return where[0] >= '0' && where[0] <= '9' ? ":" : ": ";
    }
    std::string file_, where_, problem_;
};

} // namespace pushcheck::engine
