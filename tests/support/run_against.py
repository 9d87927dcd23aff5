#!/usr/bin/python3
"""Starts a server process, waits for its `listening on HOST:PORT` line, runs
`pushcheck run --target ws://HOST:PORT` against it and checks the verdicts.

usage: run_against.py --pushcheck BIN [--expect ID=VERDICT ...] [--no-fail] [--exit N]
                      [--json FILE] [-- pushcheck args] -- SERVER COMMAND...
Exits 0 when every expectation holds, 1 otherwise (printing why)."""
import argparse
import fnmatch
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time


def wait_listening(proc, deadline_s):
    """Reads the server's stdout until `listening on HOST:PORT`; returns HOST:PORT."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    end = time.monotonic() + deadline_s
    buf = b""
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening: {buf.decode(errors='replace')}")
        for _ in sel.select(timeout=max(0.0, end - time.monotonic())):
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("server closed stdout before listening")
            buf += chunk
            for line in buf.decode(errors="replace").splitlines():
                if line.startswith("listening on "):
                    return line[len("listening on "):].strip()
    raise RuntimeError(f"no 'listening on' line within {deadline_s} s: {buf.decode(errors='replace')}")


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: run_against.py OPTIONS [-- PUSHCHECK ARGS] -- SERVER COMMAND")
    # The last "--" separates the server command; an earlier one starts pushcheck args.
    seps = [i for i, a in enumerate(argv) if a == "--"]
    server_cmd = argv[seps[-1] + 1:]
    extra = argv[seps[0] + 1:seps[-1]] if len(seps) > 1 else []
    p = argparse.ArgumentParser()
    p.add_argument("--pushcheck", required=True)
    p.add_argument("--expect", action="append", default=[], help="ID=VERDICT (ID may be a glob)")
    p.add_argument("--no-fail", action="store_true", help="no scenario may have the verdict fail")
    p.add_argument("--exit", type=int, default=None, help="expected exit code of pushcheck")
    p.add_argument("--json", default=None)
    p.add_argument("--scheme", default="ws")
    p.add_argument("--junit-xsd", default=None, help="also write JUnit and validate it with xmllint")
    p.add_argument("--results-schema", default=None, help="validate the JSON results with jsonschema")
    p.add_argument("--max-seconds", type=float, default=None, help="pushcheck must finish within this")
    p.add_argument("--no-pass", action="store_true", help="no scenario may pass")
    p.add_argument("--no-http-status", action="store_true", help="no event may carry an HTTP status")
    p.add_argument("--expect-text", default=None, help="every connect_failed event's text contains this")
    a = p.parse_args(argv[:seps[0]])

    proc = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        hostport = wait_listening(proc, 30)
        out = a.json or os.path.join(tempfile.mkdtemp(prefix="pushcheck-"), "results.json")
        cmd = [a.pushcheck, "run", "--target", f"{a.scheme}://{hostport}", "--json", out, "-q"] + extra
        junit = os.path.join(os.path.dirname(out), "junit.xml")
        if a.junit_xsd:
            cmd += ["--junit", junit, "--html", os.path.join(os.path.dirname(out), "report.html")]
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        wall = time.monotonic() - t0
        print(r.stdout)
        print(r.stderr, file=sys.stderr)
        print(f"pushcheck wall time: {wall:.1f} s", flush=True)
        problems = []
        if r.returncode not in (0, 1, 2, 3):
            problems.append(f"pushcheck crashed or was killed: exit {r.returncode}")
        if "ERROR: AddressSanitizer" in r.stderr or "runtime error:" in r.stderr:
            problems.append("sanitizer report in pushcheck's output")
        if a.max_seconds is not None and wall > a.max_seconds:
            problems.append(f"pushcheck took {wall:.1f} s, more than {a.max_seconds} s")
        if a.junit_xsd:
            x = subprocess.run(["xmllint", "--noout", "--schema", a.junit_xsd, junit], capture_output=True, text=True)
            if x.returncode != 0:
                problems.append("JUnit report does not validate: " + x.stderr[-2000:])
        if a.exit is not None and r.returncode != a.exit:
            problems.append(f"pushcheck exited {r.returncode}, expected {a.exit}")
        with open(out) as f:
            doc = json.load(f)
        if a.results_schema:
            import jsonschema
            with open(a.results_schema) as f:
                schema = json.load(f)
            try:
                jsonschema.validate(doc, schema)
            except jsonschema.ValidationError as e:
                problems.append(f"results JSON does not validate at {list(e.absolute_path)}: {e.message}")
        verdicts = {}
        for s in doc["scenarios"]:
            verdicts.setdefault(s["id"], []).append((s["driver"], s["verdict"], s.get("reason", "")))
        if a.no_pass:
            for sid, vs in verdicts.items():
                for drv, v, why in vs:
                    if v == "pass":
                        problems.append(f"{sid} [{drv}] passed against a target that answers nothing")
        events = [e for s in doc["scenarios"] for e in s.get("transcript", [])]
        if a.no_http_status:
            for e in events:
                if e.get("http_status", 0) != 0:
                    problems.append(f"an event carries http_status {e['http_status']}: {e.get('data', '')}")
                    break
        if a.expect_text is not None:
            failed = [e for e in events if e["kind"] == "connect_failed"]
            if not failed:
                problems.append("no connect_failed event in the transcripts")
            for e in failed:
                if a.expect_text not in e.get("data", ""):
                    problems.append(f"connect_failed text {e.get('data', '')!r} lacks {a.expect_text!r}")
                    break
        if a.no_fail:
            for sid, vs in verdicts.items():
                for drv, v, why in vs:
                    if v in ("fail", "harness_error"):
                        problems.append(f"{sid} [{drv}] is {v}: {why}")
        # Each scenario is held to the last --expect pattern that matches its id.
        for pat in {e.split("=", 1)[0] for e in a.expect}:
            if not any(fnmatch.fnmatch(sid, pat) for sid in verdicts):
                problems.append(f"no scenario matches {pat}")
        for sid, vs in verdicts.items():
            want = None
            for e in a.expect:
                pat, w = e.split("=", 1)
                if fnmatch.fnmatch(sid, pat):
                    want = w
            for drv, v, why in vs:
                if want is not None and v != want:
                    problems.append(f"{sid} [{drv}] is {v}, expected {want}: {why}")
        for pr in problems:
            print("FAILED: " + pr)
        print(f"summary: {doc['summary']}")
        return 1 if problems else 0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except Exception:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
