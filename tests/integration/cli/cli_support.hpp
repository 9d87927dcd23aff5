// pushcheck's command line run in-process, for the CLI tests.
#pragma once
#include "pushcheck/run/app.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace cli_test {

struct Outcome {
    int code;
    std::string out, err;
};

inline Outcome cli(std::vector<std::string> args) {
    std::ostringstream out, err;
    int code = pushcheck::run::main_entry(args, out, err);
    return {code, out.str(), err.str()};
}

} // namespace cli_test
