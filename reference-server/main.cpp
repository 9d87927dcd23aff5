// nowtime-server: the reference room-push server (all logic lives in nowtime_server).
#include "nowtime/cli.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    try {
        return nowtime::server_main(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nowtime-server: %s\n", e.what());
        return 1;
    }
}
