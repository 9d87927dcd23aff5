// nowtime-mutant: the reference server with one or more deliberate protocol defects
// (--fault NAME), for checking that the conformance suite catches each of them.
// Test-only: never installed.
#include "nowtime/cli.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    try {
        return nowtime::server_main(argc, argv, {"nowtime-mutant", /*allow_faults=*/true});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nowtime-mutant: %s\n", e.what());
        return 1;
    }
}
