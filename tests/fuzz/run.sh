#!/usr/bin/env bash
# Runs every libFuzzer target for FUZZ_SECONDS (60) each, with clang, ASan and UBSan, in
# build/fuzz. New inputs that reach new code are added to tests/fuzz/corpus/<target>/;
# a crash leaves its input in build/fuzz/artifacts/ and makes this script exit 1.
# Usage: tests/fuzz/run.sh [target...]
#   (targets: http_request ws_frames scenario_loader profile_loader matcher timestamp framing frame_scanner)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_request ws_frames scenario_loader profile_loader matcher timestamp framing frame_scanner)
command -v clang++ >/dev/null || { echo "run.sh: clang++ is needed (apt-get install clang)" >&2; exit 2; }
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DPUSHCHECK_FUZZ=ON -DPUSHCHECK_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build/fuzz --target "${targets[@]/#/fuzz_}"
mkdir -p build/fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  echo "run.sh: fuzzing $t for $seconds s"
  mkdir -p "tests/fuzz/corpus/$t"
  build/fuzz/bin/fuzz_$t -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build/fuzz/artifacts/"$t"- "tests/fuzz/corpus/$t" || status=1
done
exit $status
