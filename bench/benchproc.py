"""Process helpers shared by bench/compare and bench/harness (Linux /proc only).

Every process started through start() or run() is registered and killed when the script
exits, also on an exception or SIGTERM/SIGINT; every wait has a deadline.
"""
import atexit, os, platform, re, signal, subprocess, sys, threading, time, urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
_started = []  # Popen objects still to be stopped


def _kill_all():
    for p in _started:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # each child leads its own process group
            except OSError:
                pass


def _on_signal(signum, _frame):
    _kill_all()
    sys.exit(128 + signum)


atexit.register(_kill_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def popen(argv, **kw):
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    _started.append(p)
    return p


def stop(p, grace=10):
    """SIGTERM to the process group, SIGKILL after `grace` seconds."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)
        except OSError:
            pass
    if p in _started:
        _started.remove(p)


def start_server(argv, cwd=None, timeout=20):
    """Starts a server that prints `listening on HOST:PORT`; returns (Popen, port)."""
    p = popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
    found = {}

    def read():
        for line in p.stdout:
            m = re.search(r"listening on [^ ]*:(\d+)", line)
            if m:
                found["port"] = int(m.group(1))
                break
        for _ in p.stdout:  # keep draining so the server never blocks on a full pipe
            pass

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + timeout
    while time.time() < deadline and "port" not in found and p.poll() is None:
        time.sleep(0.02)
    if "port" not in found:
        stop(p)
        raise SystemExit(f"{argv[0]} did not print 'listening on' within {timeout} s")
    return p, found["port"]


def cpu_s(pid):
    """User + system CPU seconds of a live process (all its threads)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    try:
        return int(open(f"/proc/{pid}/statm").read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree(pid):
    """The process and its live descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except OSError:
            pass
    return out


class Sampler(threading.Thread):
    """Samples every `period` s: the RSS sum of a process tree (peak kept) and, if given,
    a callable (e.g. a server's room members; its maximum is kept)."""

    def __init__(self, pid, period=0.1, probe=None, probe_period=0.2):
        super().__init__(daemon=True)
        self.pid, self.period, self.probe, self.probe_period = pid, period, probe, probe_period
        self.peak_rss = 0
        self.probe_max = 0
        self._halt = threading.Event()

    def run(self):
        next_probe = 0.0
        while not self._halt.is_set():
            self.peak_rss = max(self.peak_rss, sum(rss_bytes(p) for p in tree(self.pid)))
            if self.probe and time.time() >= next_probe:
                next_probe = time.time() + self.probe_period
                try:
                    self.probe_max = max(self.probe_max, self.probe())
                except Exception:
                    pass
            self._halt.wait(self.period)

    def finish(self):
        self._halt.set()
        self.join(5)


def run(argv, timeout, sample=True, probe=None, env=None, cwd=None, log=None):
    """Runs a tool to its end. Returns dict: rc, cpu_s (wait4: the process and every child it
    reaped), peak_rss (sampled RSS sum of its process tree, bytes), probe_max, wall_s."""
    out = open(log, "w") if log else subprocess.DEVNULL
    t0 = time.time()
    p = popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    s = Sampler(p.pid, probe=probe) if sample else None
    if s:
        s.start()
    deadline = t0 + timeout
    status = ru = None
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            _, status, ru = os.wait4(p.pid, 0)
            print(f"  {argv[0]} killed after {timeout} s", file=sys.stderr)
            break
        time.sleep(0.05)
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting
    if p in _started:
        _started.remove(p)
    try:
        os.killpg(p.pid, signal.SIGKILL)  # anything the tool left behind
    except OSError:
        pass
    if s:
        s.finish()
    if log:
        out.close()
    return {"rc": p.returncode, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss": s.peak_rss if s else 0,
            "probe_max": s.probe_max if s else 0, "wall_s": time.time() - t0}


def metrics(port, timeout=2):
    """Prometheus text of GET /metrics as {name or name{labels}: float}."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def wait_quiet(max_load, poll=60, limit=1200):
    """Waits (up to `limit` s) until the 1-minute load average is at most max_load."""
    deadline = time.time() + limit
    while float(loadavg()) > max_load and time.time() < deadline:
        print(f"load average {loadavg()} > {max_load}, waiting", file=sys.stderr, flush=True)
        time.sleep(poll)
    return loadavg()


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (f"{when}, {os.cpu_count()} cores ({cpu}), Linux {platform.release()}, "
            f"load average {' '.join(open('/proc/loadavg').read().split()[:3])} at the start")
