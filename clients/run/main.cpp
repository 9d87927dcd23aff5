// pushcheck: conformance and latency checks for room-based WebSocket push servers.
#include "pushcheck/run/app.hpp"

#include <iostream>

int main(int argc, char** argv) {
    return pushcheck::run::main_entry(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr,
                                       /*handle_signals=*/true);
}
