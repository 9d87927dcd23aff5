#!/usr/bin/env bash
# The threaded server and room tests under ThreadSanitizer: configures the `tsan` preset
# (build/tsan), builds the server's unit and integration tests, and runs them. Kept out of
# ./ci/test because a second full build does not fit its 15 minutes on two cores.
# Usage: tests/integration/server/tsan.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/../../.."
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target nowtime_server_unit_tests nowtime_server_integration_tests
ctest --preset tsan -R '^server\.(unit|integration)' "$@"
