#!/usr/bin/env bash
# The whole suite against the embedded reference server, N times in a row, under both
# drivers: every run must have no fail, no non_strict and no harness_error (scenarios the
# nowtime profile does not apply to, such as application heartbeats, are not_applicable).
set -euo pipefail
# usage: repeat_suite.sh PUSHCHECK [RUNS] [pushcheck run options...]
pushcheck=$1; runs=${2:-10}; shift 2 || true
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  code=0
  "$pushcheck" run --driver both -q --json "$tmp/run$i.json" "$@" > "$tmp/out$i.txt" 2>&1 || code=$?
  if ! /usr/bin/python3 - "$tmp/run$i.json" "$i" "$code" "$start" <<'PY'
import json, sys, time
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
bad = [f'{x["id"]} [{x["driver"]}] {x["verdict"]}: {x["reason"]}' for x in doc["scenarios"]
       if x["verdict"] not in ("pass", "informational", "not_applicable")]
print(f'run {sys.argv[2]}: exit {sys.argv[3]}, {s["total"]} results, {s["pass"]} pass, '
      f'{s["informational"]} informational, {time.time() - float(sys.argv[4]):.1f} s')
for b in bad:
    print("  NOT PASSING: " + b)
sys.exit(1 if bad or sys.argv[3] != "0" else 0)
PY
  then cat "$tmp/out$i.txt"; exit 1; fi
done
echo "$runs runs in a row passed"
