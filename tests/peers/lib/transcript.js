#!/usr/bin/env node
// A scripted raw WebSocket client that logs every frame: the evidence behind docs/peers.md.
// usage: transcript.js SCRIPT.json [--start SERVER.js [SERVER ARGS...]] | transcript.js SCRIPT.json --url ws://...
// SCRIPT: { "path": "/socket.io/?EIO=4&transport=websocket", "protocols": ["optional-subprotocol"],
//           "auto": [["^2$", "3"]],                  // answer a matching frame at once
//           "steps": [ {"send": "40"}, {"expect": "^40", "within_ms": 2000}, {"expect_close": 3000} ] }
// "auto_pong": false makes the client ignore WebSocket ping frames.
// A step may also be {"quiet_ms": N}: nothing but auto-answered frames may arrive for N ms.
'use strict';
const fs = require('fs');
const path = require('path');
const WebSocket = require('./cli').need('ws');
const { startServer } = require('./harness');

async function main() {
  const argv = process.argv.slice(2);
  if (argv.length < 3) throw new Error('usage: transcript.js SCRIPT.json (--url URL | --start SERVER.js ARGS...)');
  const script = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
  let server = null;
  let base;
  if (argv[1] === '--url') base = argv[2];
  else if (argv[1] === '--start') {
    server = await startServer(path.resolve(argv[2]), argv.slice(3));
    base = `ws://${server.hostport}`;
  } else throw new Error(`unknown option ${argv[1]}`);
  try {
    await run(base + (script.path || '/'), script, (line) => console.log(line));
  } finally {
    if (server) await server.stop();
  }
}

// Plays `script` against `url`, passing each logged line to `print`; rejects on the first unmet step.
function run(url, script, print) {
  const t0 = Date.now();
  const log = (dir, text) => print(`${String(Date.now() - t0).padStart(6)} ms ${dir} ${text}`);
  // auto_pong false: the client stops answering WebSocket-level pings (a silent peer).
  const ws = new WebSocket(url, script.protocols || [], { autoPong: script.auto_pong !== false });
  const frames = [];
  let closed = null;
  let wake = () => {};
  ws.on('unexpected-response', (req, res) => { log('!!', `HTTP ${res.statusCode}`); closed = { code: -1 }; wake(); });
  ws.on('open', () => { log('==', `open ${url}${ws.protocol ? ` subprotocol ${ws.protocol}` : ''}`); wake(); });
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? `<binary ${data.length} bytes>` : data.toString();
    log('<-', text);
    for (const [re, reply] of script.auto || []) {
      if (new RegExp(re).test(text)) { log('->', `${reply}   (auto)`); ws.send(reply); return; }
    }
    frames.push(text);
    wake();
  });
  ws.on('close', (code, reason) => { log('==', `close ${code} ${JSON.stringify(reason.toString())}`); closed = { code }; wake(); });
  ws.on('error', (e) => log('!!', `error ${e.message}`));
  ws.on('ping', (data) => log('<-', `(WebSocket ping frame${data.length ? ` ${data.toString()}` : ''})${script.auto_pong === false ? ' not answered' : ''}`));

  const until = (pred, ms, what) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    const poll = () => { const v = pred(); if (v) { clearTimeout(t); resolve(v); } else wake = poll; };
    poll();
  });

  return (async () => {
    await until(() => ws.readyState === WebSocket.OPEN || closed, 5000, 'open');
    for (const step of script.steps) {
      if (step.send !== undefined) { log('->', step.send); ws.send(step.send); }
      else if (step.expect !== undefined) {
        const re = new RegExp(step.expect);
        await until(() => { const i = frames.findIndex((f) => re.test(f)); if (i < 0) return null; frames.splice(0, i + 1); return true; },
          step.within_ms || 3000, `frame matching /${step.expect}/`);
      } else if (step.quiet_ms !== undefined) {
        frames.length = 0;
        await new Promise((r) => setTimeout(r, step.quiet_ms));
        if (frames.length) throw new Error(`frames arrived during a quiet period: ${frames.join(' | ')}`);
      } else if (step.expect_close !== undefined) {
        await until(() => closed, step.expect_close, 'close');
      } else if (step.close !== undefined) {
        log('->', `close ${step.close}`); ws.close(step.close);
        await until(() => closed, 3000, 'close');
      } else throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  })().finally(() => { if (!closed) ws.terminate(); });
}

if (require.main === module) main().catch((e) => { console.error(`transcript: ${e.message}`); process.exit(1); });

module.exports = { run };
