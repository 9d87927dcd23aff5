// Shared pieces of the peers' self-checks: start a server process, wait with deadlines, run checks.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const WebSocket = require('./cli').need('ws');

// Starts `node script args...`, resolves once it prints `listening on HOST:PORT`.
function startServer(script, args, deadlineMs = 15000) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
    let ready = false;
    const fail = (why) => {
      if (ready) return;
      clearTimeout(t);
      proc.kill('SIGKILL');
      reject(new Error(`${why}; stderr: ${err.trim()}`));
    };
    const t = setTimeout(() => fail(`no 'listening on' line within ${deadlineMs} ms`), deadlineMs);
    proc.on('exit', (code) => fail(`server exited with ${code} before listening`));
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^listening on (\S+):(\d+)\s*$/m.exec(out);
      if (!m || ready) return;
      ready = true;
      clearTimeout(t);
      const stop = async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        const done = await Promise.race([exited, delay(5000).then(() => null)]);
        if (!done) { proc.kill('SIGKILL'); await exited; }
      };
      resolve({ proc, host: m[1], port: Number(m[2]), hostport: `${m[1]}:${m[2]}`, stderr: () => err, stop });
    });
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// Rejects with `what` if `promise` has not settled within `ms`.
function within(ms, what, promise) {
  let t;
  const timeout = new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

// Everything one client received, in order, with arrival times; waits scan forward from a cursor.
class Inbox {
  constructor() { this.items = []; this.cursor = 0; this.waiters = new Set(); }

  push(item) {
    this.items.push({ at: Date.now(), seq: this.items.length, ...item });
    for (const w of [...this.waiters]) w();
  }

  // Resolves with the first item after the cursor that satisfies pred, moving the cursor past it.
  next(pred, ms, what) {
    let scan;
    const found = new Promise((resolve) => {
      scan = () => {
        for (let i = this.cursor; i < this.items.length; i++) {
          if (pred(this.items[i])) {
            this.cursor = i + 1;
            this.waiters.delete(scan);
            resolve(this.items[i]);
            return;
          }
        }
      };
      this.waiters.add(scan);
      scan();
    });
    return within(ms, what, found).finally(() => this.waiters.delete(scan));
  }

  // Resolves with n successive items satisfying pred.
  async take(n, pred, ms, what) {
    const got = [];
    const end = Date.now() + ms;
    while (got.length < n) got.push(await this.next(pred, Math.max(1, end - Date.now()), `${what} (${got.length + 1} of ${n})`));
    return got;
  }

  // Items received after `item` on this connection: stream order, not clock time (ms ties under load).
  after(item, pred = () => true) { return this.items.slice(item.seq + 1).filter(pred); }

  all(pred = () => true) { return this.items.filter(pred); }

  // Moves the cursor past everything received so far.
  skip() { this.cursor = this.items.length; }
}

// A plain WebSocket client whose text frames land in an Inbox; `auto` answers matching frames at once.
// `pings` also records WebSocket ping frames (as {wsPing: true, text: ''}); `autoPong: false` leaves them unanswered.
function rawClient(url, { auto = [], protocols = [], autoPong = true, pings = false } = {}) {
  const ws = new WebSocket(url, protocols, { autoPong });
  const inbox = new Inbox();
  if (pings) ws.on('ping', () => inbox.push({ text: '', wsPing: true }));
  let closedAt = null;
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => reject(new Error(`handshake answered with HTTP ${res.statusCode}`)));
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => { closedAt = Date.now(); resolve({ code, reason: reason.toString(), at: closedAt }); }));
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const text = data.toString();
    for (const [re, reply] of auto) if (re.test(text)) ws.send(reply);
    inbox.push({ text, binary: isBinary });
  });
  const json = (item) => { try { return JSON.parse(item.text); } catch { return undefined; } };
  return { ws, inbox, opened, closed, json, isClosed: () => closedAt !== null, send: (t) => ws.send(t), terminate: () => ws.terminate() };
}

class CheckFailed extends Error {}
function expect(cond, msg) { if (!cond) throw new CheckFailed(msg); }

// Timestamp pushes: `YYYY-MM-DDTHH:MM:SS[.fff]Z`, close to this machine's clock.
function checkTimestamp(text, where) {
  expect(typeof text === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(text), `${where}: ${JSON.stringify(text)} is not an ISO 8601 UTC timestamp`);
  const skew = Math.abs(Date.parse(text) - Date.now());
  expect(skew < 2000, `${where}: timestamp ${text} is ${skew} ms away from the clock`);
}

// Gaps between successive arrivals must each be interval +- tolerance.
function checkCadence(arrivals, intervalMs, what) {
  const tol = Math.max(intervalMs * 0.35, 120);
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
  for (const g of gaps) expect(Math.abs(g - intervalMs) <= tol, `${what}: gap of ${g} ms between pushes, expected ${intervalMs} +- ${Math.round(tol)} ms (gaps ${gaps.join(', ')})`);
  return gaps;
}

// Runs named checks against one server variant; a check is an async function that throws on failure.
async function runChecks(label, checks, cleanups) {
  const results = [];
  for (const [name, fn] of checks) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - t0, why: e.message });
    } finally {
      for (const c of cleanups.splice(0)) { try { c(); } catch { /* already closed */ } }
    }
  }
  for (const r of results) console.log(`  ${label}: ${r.ok ? 'pass' : 'FAIL'} ${r.name} (${r.ms} ms)${r.ok ? '' : `: ${r.why}`}`);
  return results;
}

// The correct server must pass every check; each fault variant must fail each check named for it.
async function selfcheck({ server, baseArgs, faults, checks, transcripts }) {
  const problems = [];
  if (transcripts) problems.push(...await replayTranscripts(transcripts, server, baseArgs));
  const variants = [[null, []], ...Object.entries(faults)];
  for (const [fault, mustCatch] of variants) {
    const label = fault || 'correct';
    const args = fault ? [...baseArgs, '--fault', fault] : baseArgs;
    let srv;
    try {
      srv = await startServer(server, args);
    } catch (e) {
      problems.push(`${label}: ${e.message}`);
      continue;
    }
    const cleanups = [];
    let results;
    try {
      results = await runChecks(label, checks(srv, cleanups), cleanups);
    } finally {
      await srv.stop();
    }
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    if (!fault) {
      for (const r of results) if (!r.ok) problems.push(`correct server failed ${r.name}: ${r.why}`);
    } else {
      if (failed.length === 0) problems.push(`fault ${fault} was not detected by any check`);
      for (const m of mustCatch) if (!failed.includes(m)) problems.push(`fault ${fault} was not detected by ${m}`);
      console.log(`  ${label}: detected by ${failed.join(', ') || 'nothing'}`);
    }
  }
  for (const p of problems) console.log(`FAILED: ${p}`);
  console.log(problems.length ? `selfcheck: ${problems.length} problem(s)` : `selfcheck: ok (correct server passed every check, ${variants.length - 1} fault variants detected)`);
  return problems.length ? 1 : 0;
}

// Replays every documented frame transcript in `dir` against one correct server (docs/peers.md).
async function replayTranscripts(dir, server, args) {
  const { run } = require('./transcript');
  const problems = [];
  const srv = await startServer(server, args);
  try {
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const script = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const lines = [];
      try {
        await within(30000, `transcript ${f}`, run(`ws://${srv.hostport}${script.path || '/'}`, script, (l) => lines.push(l)));
        console.log(`  transcript ${f}: pass`);
      } catch (e) {
        console.log(`  transcript ${f}: FAIL: ${e.message}\n${lines.join('\n')}`);
        problems.push(`transcript ${f} no longer holds: ${e.message}`);
      }
    }
  } finally {
    await srv.stop();
  }
  return problems;
}

module.exports = { startServer, rawClient, delay, within, Inbox, CheckFailed, expect, checkTimestamp, checkCadence, runChecks, selfcheck };
