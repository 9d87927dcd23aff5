#!/usr/bin/env bash
# The threaded code under ThreadSanitizer: configures the `tsan` preset (build/tsan), builds
# the server's unit and integration tests and the drivers' tests, and runs them: the room
# tests (broadcasts and joins from several threads), the server on two threads, and the async
# driver on one and two threads (the `drivers.threads2.` tests spread clients over two
# io_contexts that hand events to the engine's thread). Kept out of ./ci/test because a
# second full build does not fit its 15 minutes on two cores.
# Usage: tests/integration/server/tsan.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/../../.."
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target nowtime_server_unit_tests nowtime_server_integration_tests driver_tests
ctest --preset tsan -R '^(server\.(unit|integration)|drivers\.)' "$@"
