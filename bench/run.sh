#!/usr/bin/env bash
# Runs the micro benches (Release build) with 5 repetitions and prints medians, the
# machine, and the ratios of each bench to its peer.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target pushcheck_bench >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
out=$(mktemp)
build/bin/pushcheck_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
med = {b["run_name"]: b["real_time"] for b in d["benchmarks"] if b.get("aggregate_name") == "median"}
unit = {b["run_name"]: b["time_unit"] for b in d["benchmarks"]}
for name, t in med.items():
    print(f"{name:45s} median {t:12.1f} {unit[name]}")
pairs = [("BM_ParseMessage", "BM_ParseMessage_PlainNlohmann"),
         ("BM_HistogramPercentiles/1000", "BM_RawSamplesPercentiles/1000"),
         ("BM_HistogramPercentiles/100000", "BM_RawSamplesPercentiles/100000"),
         ("BM_RoomBroadcastShared/100", "BM_PerMemberSerialise/100"),
         ("BM_RoomBroadcastShared/10000", "BM_PerMemberSerialise/10000")]
for ours, peer in pairs:
    if ours in med and peer in med:
        print(f"ratio {ours} / {peer}: {med[ours] / med[peer]:.2f}")
PY
rm -f "$out"
