#!/usr/bin/python3
"""pushcheck as a user runs it, as a separate process: target URLs (prefix, credentials,
query, scheme case), TLS trust problems, Ctrl-C / SIGTERM, and --server-cmd.

usage: cli_process.py --pushcheck BIN --server BIN --mutant BIN CASE"""
import argparse
import base64
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

A = None
PROBLEMS = []


def check(cond, what):
    if not cond:
        PROBLEMS.append(what)
        print("FAILED: " + what, flush=True)


def start_server(*extra, interval_ms=400):
    """nowtime-server on a free port; returns (proc, 'HOST:PORT')."""
    p = subprocess.Popen([A.server, "--port", "0", "--interval-ms", str(interval_ms), "--log-level", "warn", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    end = time.monotonic() + 30
    buf = b""
    while time.monotonic() < end:
        for _ in sel.select(timeout=max(0.0, end - time.monotonic())):
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("server ended before listening: " + buf.decode(errors="replace"))
            buf += chunk
            for line in buf.decode(errors="replace").splitlines():
                if line.startswith("listening on "):
                    return p, line[len("listening on "):].strip()
    raise RuntimeError("no 'listening on' line within 30 s")


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=5)
    except Exception:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def pushcheck(*args, timeout=120):
    r = subprocess.run([A.pushcheck, "run", *args], capture_output=True, text=True, timeout=timeout)
    print(f"$ pushcheck run {' '.join(args)}\n-> exit {r.returncode}\n{r.stdout}{r.stderr}", flush=True)
    return r


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def reports(tmp):
    return {"json": os.path.join(tmp, "r.json"), "junit": os.path.join(tmp, "r.xml"), "html": os.path.join(tmp, "r.html")}


def report_args(files):
    return ["--json", files["json"], "--junit", files["junit"], "--html", files["html"]]


def slurp(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


# ------------------------------------------------------------------ cases

def case_target_path(tmp):
    """The URL the server's docs print (ws://host:port/nowtime) names the room: it is not
    dialled as /nowtime/nowtime, and the note and the dialled URL say what happened."""
    p, hp = start_server()
    try:
        files = reports(tmp)
        r = pushcheck("--target", f"ws://{hp}/nowtime", "--set", "push.interval_ms=400",
                      "--filter", "handshake.join_welcome", *report_args(files))
        check(r.returncode == 0, f"exit {r.returncode}, expected 0")
        check("note:" in r.stderr and "ends with the profile's room '/nowtime'" in r.stderr, "no note about the room in the path")
        check(f"rooms dialled: ws://{hp}/nowtime" in r.stdout, "the console does not show the dialled URL")
        doc = json.loads(slurp(files["json"]))
        check(f"ws://{hp}/nowtime" in doc.get("dialled", []), f"JSON dialled is {doc.get('dialled')}")
        urls = [e.get("handshake", {}).get("url") for s in doc["scenarios"] for e in s["transcript"]
                if e["kind"] == "connected"]
        check(urls and all(u == f"ws://{hp}/nowtime" for u in urls), f"handshake URLs in the transcript: {urls}")
        check(f"ws://{hp}/nowtime" in slurp(files["html"]), "the HTML does not show the dialled URL")
        # A trailing slash keeps the path as a prefix: /nowtime/nowtime is dialled and refused.
        r = pushcheck("--target", f"ws://{hp}/nowtime/", "--set", "push.interval_ms=400",
                      "--filter", "handshake.join_welcome", "-q")
        check(r.returncode == 1, f"trailing slash: exit {r.returncode}, expected 1 (404 on /nowtime/nowtime)")
        check("hint:" in r.stderr and f"ws://{hp}/nowtime/nowtime" in r.stderr, "no hint naming the dialled URL on a 404")
        # Scheme and host are case-insensitive.
        r = pushcheck("--target", f"WS://{hp.upper()}", "--set", "push.interval_ms=400", "--filter",
                      "handshake.join_welcome", "-q")
        check(r.returncode == 0, f"WS:// upper case: exit {r.returncode}, expected 0")
    finally:
        stop(p)


def case_credentials(tmp):
    """user:password@ is sent as Basic auth and the query with every handshake; neither the
    password nor query values appear in any output or report."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port = srv.getsockname()[1]
    requests = []

    def serve():
        srv.settimeout(30)
        try:
            while True:
                c, _ = srv.accept()
                data = b""
                c.settimeout(5)
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                requests.append(data.decode("latin-1"))
                c.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                c.close()
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    files = reports(tmp)
    r = pushcheck("--target", f"ws://alice:pa%40ss-s3cret@127.0.0.1:{port}/api?token=t0ken-s3cret&x=1",
                  "--filter", "handshake.join_welcome", *report_args(files))
    srv.close()
    check(r.returncode == 1, f"exit {r.returncode}, expected 1 (the server answered 401)")
    check(requests, "no request reached the server")
    if requests:
        first = requests[0]
        check(first.startswith("GET /api/nowtime?token=t0ken-s3cret&x=1 HTTP/1.1"), f"request line: {first.splitlines()[0]}")
        auth = "Basic " + base64.b64encode(b"alice:pa@ss-s3cret").decode()
        check(f"Authorization: {auth}" in first or f"authorization: {auth}" in first.lower().replace(auth.lower(), auth),
              "no Basic auth header with the decoded credentials")
    everything = r.stdout + r.stderr + "".join(slurp(f) for f in files.values())
    for secret in ("s3cret", "pa%40ss", "pa@ss"):
        check(secret not in everything, f"'{secret}' leaked into the output or reports")
    check("401" in r.stdout + slurp(files["json"]), "the 401 is not reported")


def make_cert(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def case_tls(tmp):
    """Trust problems exit 3 with a hint; a bad local CA file exits 2; the right CA passes."""
    cert, key = make_cert(tmp)
    p, hp = start_server("--tls-cert", cert, "--tls-key", key)
    plain, php = start_server()
    try:
        common = ["--set", "push.interval_ms=400", "--filter", "handshake.join_welcome", "-q"]
        r = pushcheck("--target", f"wss://{hp}", *common)
        check(r.returncode == 3, f"untrusted certificate: exit {r.returncode}, expected 3")
        check("--ca-file" in r.stderr and "--insecure" in r.stderr, "no --ca-file / --insecure hint")
        r = pushcheck("--target", f"wss://{hp}", "--ca-file", cert, *common)
        check(r.returncode == 0, f"with --ca-file: exit {r.returncode}, expected 0")
        r = pushcheck("--target", f"wss://{hp}", "--insecure", *common)
        check(r.returncode == 0, f"with --insecure: exit {r.returncode}, expected 0")
        notcert = os.path.join(tmp, "notcert.pem")
        with open(notcert, "w") as f:
            f.write("this is not a certificate\n")
        r = pushcheck("--target", f"wss://{hp}", "--ca-file", notcert, *common)
        check(r.returncode == 2, f"--ca-file that is not a certificate: exit {r.returncode}, expected 2")
        check("--ca-file" in r.stderr and "no PEM certificate" in r.stderr, "the bad CA file is not named")
        r = pushcheck("--target", f"wss://{php}", *common)
        check(r.returncode == 3, f"wss:// to a plain server: exit {r.returncode}, expected 3")
        check("use ws://" in r.stderr, "no 'use ws://' hint for wss:// to a plain server")
    finally:
        stop(p)
        stop(plain)


def case_interrupt(tmp, sig, code):
    files = reports(tmp)
    proc = subprocess.Popen([A.pushcheck, "run", "--embedded-interval-ms", "300", *report_args(files)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait for the first finished scenario's line: a readiness signal, not a sleep.
    first = None
    end = time.monotonic() + 60
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        words = line.split()
        # A scenario line: "  PASS  id  driver  1.01 s" (or FAIL, NON-STRICT, ...).
        if len(words) >= 4 and words[-1] == "s" and words[-3] in ("async", "sync"):
            first = line
            break
    check(first is not None, "no scenario line before the signal")
    t0 = time.monotonic()
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        check(False, "pushcheck did not end within 15 s of the signal")
    took = time.monotonic() - t0
    print(out, err, f"ended {took:.2f} s after the signal", flush=True)
    check(proc.returncode == code, f"exit {proc.returncode}, expected {code}")
    check(took < 5, f"took {took:.1f} s to stop")
    check("interrupted by " + ("SIGINT" if sig == signal.SIGINT else "SIGTERM") in out, "no 'interrupted by' in the summary")
    for name, path in files.items():
        check(os.path.getsize(path) > 0, f"{name} report is empty")
    doc = json.loads(slurp(files["json"]))
    check(doc.get("interrupted", {}).get("signal") == ("SIGINT" if sig == signal.SIGINT else "SIGTERM"),
          f"JSON interrupted: {doc.get('interrupted')}")
    check(len(doc["scenarios"]) >= 1, "no finished scenario in the JSON")
    check(len(doc.get("interrupted", {}).get("unfinished", [])) >= 1, "no unfinished scenario listed")
    check("nterrupted" in slurp(files["html"]), "no interruption banner in the HTML")
    check("nterrupted" in slurp(files["junit"]), "the JUnit report does not say it was interrupted")


def case_sigint(tmp):
    case_interrupt(tmp, signal.SIGINT, 130)


def case_sigterm(tmp):
    case_interrupt(tmp, signal.SIGTERM, 143)


def case_server_cmd(tmp):
    """--server-cmd starts the server, waits for it, runs, and stops it."""
    port = free_port()
    files = reports(tmp)
    r = pushcheck("--server-cmd", f"exec {A.server} --port {port} --interval-ms 400", "--target",
                  f"ws://127.0.0.1:{port}", "--set", "push.interval_ms=400", "--filter", "handshake.*",
                  "--filter", "lifecycle.close_bye", *report_args(files))
    check(r.returncode == 0, f"exit {r.returncode}, expected 0")
    s = socket.socket()
    s.settimeout(1)
    check(s.connect_ex(("127.0.0.1", port)) != 0, "the server still accepts connections after the run")
    s.close()
    doc = json.loads(slurp(files["json"]))
    check(doc.get("server", {}).get("command", "").startswith("exec "), f"JSON server: {doc.get('server')}")
    # A command that ends before listening: exit 3 with its output.
    r = pushcheck("--server-cmd", "echo boom-from-server >&2; exit 7", "--target", f"ws://127.0.0.1:{free_port()}",
                  "--server-timeout-ms", "10000", "-q")
    check(r.returncode == 3, f"dead server: exit {r.returncode}, expected 3")
    check("boom-from-server" in r.stderr and "exit 7" in r.stderr, "the dead server's output and exit are not shown")
    # A faulty server: exit 1 and the tail of its output in the reports.
    port = free_port()
    files = reports(tmp)
    r = pushcheck("--server-cmd", f"exec {A.mutant} --port {port} --interval-ms 400 --log-level debug --fault no_welcome",
                  "--target", f"ws://127.0.0.1:{port}", "--set", "push.interval_ms=400", "--filter",
                  "handshake.join_welcome", *report_args(files))
    check(r.returncode == 1, f"faulty server: exit {r.returncode}, expected 1")
    doc = json.loads(slurp(files["json"]))
    check(doc.get("server", {}).get("log_tail", "") != "", "no server log tail in the JSON of a failed run")
    check("printed last" in r.stderr, "no server output on the console of a failed run")


def case_shard_merge(tmp):
    """Four `pushcheck load --shard K/4` processes against one server, merged, count the
    clients, connections and pushes of one run over the same 40 clients; the merged latency
    histogram is the shards' added bucket by bucket; merge refuses an incomplete set."""
    p, hp = start_server(interval_ms=200)
    try:
        common = ["--target", f"ws://{hp}", "--set", "push.interval_ms=200", "--clients", "40", "--rooms", "/nowtime",
                  "--duration", "3", "-q"]
        shards = [os.path.join(tmp, f"s{k}.json") for k in range(1, 5)]
        procs = [subprocess.Popen([A.pushcheck, "load", *common, "--shard", f"{k}/4", "--json", shards[k - 1]],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for k in range(1, 5)]
        for k, pr in enumerate(procs, 1):
            out, _ = pr.communicate(timeout=120)
            print(f"$ pushcheck load --shard {k}/4 -> exit {pr.returncode}\n{out}", flush=True)
            check(pr.returncode == 0, f"shard {k}/4: exit {pr.returncode}")
        one = os.path.join(tmp, "one.json")
        r = subprocess.run([A.pushcheck, "load", *common, "--json", one], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"the single run: exit {r.returncode}: {r.stdout}{r.stderr}")
    finally:
        stop(p)
    files = reports(tmp)
    r = subprocess.run([A.pushcheck, "merge", *shards, *report_args(files)], capture_output=True, text=True, timeout=120)
    print(f"$ pushcheck merge -> exit {r.returncode}\n{r.stdout}{r.stderr}", flush=True)
    check(r.returncode == 0, f"merge: exit {r.returncode}, expected 0")
    check("4 shards merged" in r.stdout, "the merge summary does not say it merged 4 shards")
    m, o = json.loads(slurp(files["json"])), json.loads(slurp(one))
    parts = [json.loads(slurp(f)) for f in shards]
    check([x["shard"] for x in parts] == [{"index": k, "count": 4} for k in range(1, 5)], "shard members in the JSON")
    check(sum(x["clients"]["total"] for x in parts) == 40, "the shards do not split 40 clients")
    check(m.get("merged_from") == shards, f"merged_from: {m.get('merged_from')}")
    for key in ("total", "connected", "failed"):
        check(m["clients"][key] == o["clients"][key], f"clients.{key}: merged {m['clients'][key]}, one run {o['clients'][key]}")
    check(m["connections"] == o["connections"], f"connections: merged {m['connections']}, one run {o['connections']}")
    check(m["messages"]["missed"] == 0 and o["messages"]["missed"] == 0, "missed pushes")
    check(m["messages"]["duplicates"] == 0, "duplicates")
    # Each client gets one push per 200 ms for 3 s: the runs may differ by a tick's phase per client.
    check(abs(m["messages"]["received"] - o["messages"]["received"]) <= 40,
          f"received: merged {m['messages']['received']}, one run {o['messages']['received']}")
    check(m["messages"]["received"] == sum(x["messages"]["received"] for x in parts), "received is not the shards' sum")

    def delivery(doc):
        return next(f for f in doc["scenarios"][0]["findings"] if f["name"] == "delivery")["measurements"]
    added = {}
    for x in parts:
        for i, n in delivery(x)["latency_histogram"]["buckets"]:
            added[i] = added.get(i, 0) + n
    merged_h = delivery(m)["latency_histogram"]
    check({i: n for i, n in merged_h["buckets"]} == added, "the merged histogram is not the shards' added")
    check(merged_h["count"] == m["messages"]["received"], "histogram count != pushes received")
    check(abs(merged_h["count"] - delivery(o)["latency_histogram"]["count"]) <= 40, "histogram counts differ from one run")
    check("<testsuite" in slurp(files["junit"]) and "shards merged" in slurp(files["html"]), "merged JUnit/HTML")
    import jsonschema
    schema = json.loads(slurp(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "reports",
                                           "results.schema.json")))
    for name, doc in [("shard 1", parts[0]), ("merged", m)]:
        try:
            jsonschema.validate(doc, schema)
        except jsonschema.ValidationError as e:
            check(False, f"the {name} results document does not follow results.schema.json: {e.message}")
    # Three of four shards, a plain run, a shard twice: exit 2 naming the problem.
    r = subprocess.run([A.pushcheck, "merge", *shards[:3]], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "missing: 4/4" in r.stderr, f"incomplete set: exit {r.returncode} {r.stderr}")
    r = subprocess.run([A.pushcheck, "merge", *shards[:3], one], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "not a shard" in r.stderr, f"plain run: exit {r.returncode} {r.stderr}")
    r = subprocess.run([A.pushcheck, "load", *common, "--shard", "5/4"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "--shard" in r.stderr, f"--shard 5/4: exit {r.returncode} {r.stderr}")


def case_source_address(tmp):
    """--source-address spreads connections over local addresses: a server that admits 10
    connections per client address refuses half of 20 clients from one address, and takes
    all 20 from two (both drivers); an address this machine lacks is a usage error."""
    p, hp = start_server("--max-connections-per-address", "10", interval_ms=200)
    try:
        common = ["--target", f"ws://{hp}", "--set", "push.interval_ms=200", "--clients", "20", "--duration", "1", "-q"]

        def load(*extra):
            out = os.path.join(tmp, "load.json")
            if os.path.exists(out):
                os.remove(out)
            r = subprocess.run([A.pushcheck, "load", *common, "--json", out, *extra], capture_output=True, text=True,
                               timeout=120)
            print(f"$ pushcheck load {' '.join(extra)} -> exit {r.returncode}\n{r.stdout}{r.stderr}", flush=True)
            return r, (json.loads(slurp(out)) if os.path.exists(out) else {})
        r, doc = load()
        check(r.returncode == 1, f"one address: exit {r.returncode}, expected 1 (the server admits 10 per address)")
        check(doc.get("clients", {}).get("connected") == 10, f"one address: {doc.get('clients')}")
        for driver in ("async", "sync"):
            r, doc = load("--driver", driver, "--source-address", "127.0.0.2", "--source-address", "127.0.0.3")
            check(r.returncode == 0, f"two addresses ({driver}): exit {r.returncode}, expected 0")
            check(doc.get("clients", {}).get("connected") == 20, f"two addresses ({driver}): {doc.get('clients')}")
    finally:
        stop(p)
    for bad, words in (("192.0.2.77", "cannot bind to 192.0.2.77"), ("not-an-ip", "is not an IPv4 or IPv6 address")):
        r = subprocess.run([A.pushcheck, "load", "--clients", "2", "--duration", "1", "--source-address", bad],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 2 and words in r.stderr, f"--source-address {bad}: exit {r.returncode}: {r.stderr}")


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--pushcheck", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--mutant", required=True)
    p.add_argument("case")
    A = p.parse_args()
    fn = globals().get("case_" + A.case)
    if fn is None:
        sys.exit(f"unknown case {A.case}")
    with tempfile.TemporaryDirectory(prefix="pushcheck-cli-") as tmp:
        fn(tmp)
    print(f"{A.case}: {'FAILED' if PROBLEMS else 'ok'}")
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
