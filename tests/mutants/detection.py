#!/usr/bin/python3
"""Prints the mutant detection matrix as Markdown from the results the mutant tests keep
(build/.../test-artifacts/mutants/FAULT.json): for each fault, the scenarios that flagged
it (fail or non_strict). usage: detection.py ARTIFACT_DIR"""
import glob
import json
import os
import sys

rows = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    doc = json.load(open(path))
    flagged = [f'`{s["id"]}` ({s["verdict"]})' for s in doc["scenarios"] if s["verdict"] in ("fail", "non_strict")]
    rows.append((os.path.basename(path)[:-5], flagged))
caught = sum(1 for _, f in rows if f)
print(f"{caught} of {len(rows)} faults detected ({100.0 * caught / max(1, len(rows)):.0f} %).\n")
print("| fault | flagged by |\n|---|---|")
for fault, flagged in rows:
    print(f"| `{fault}` | {', '.join(flagged) if flagged else '**not detected**'} |")
