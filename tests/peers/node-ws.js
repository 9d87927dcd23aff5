#!/usr/bin/env node
// A nowtime server on Node.js `ws` (Debian node-ws) with one ticker per room.
// Prints `listening on HOST:PORT` once it accepts connections.
'use strict';
const { WebSocketServer } = require('/usr/share/nodejs/ws');

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const port = Number(opt('--port', 5000));
const interval = Number(opt('--interval-ms', 3000));

const rooms = new Map([['/nowtime', new Set()]]);
const wss = new WebSocketServer({ host: '127.0.0.1', port });

for (const members of rooms.values()) {
  setInterval(() => {
    const payload = JSON.stringify({ status: 200, event: 'nowtime', data: new Date().toISOString() });
    for (const ws of members) if (ws.readyState === ws.OPEN) ws.send(payload);
  }, interval);
}

wss.on('connection', (ws, req) => {
  const path = req.url.split('?')[0];
  const members = rooms.get(path);
  if (!members) {
    ws.send(JSON.stringify({ status: 404, event: 'notification', data: 'Unknown url' }));
    ws.close(1008, 'unknown room');
    return;
  }
  ws.send(JSON.stringify({ status: 200, event: 'notification', data: 'Welcome' }));
  members.add(ws);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let msg;
    try { msg = JSON.parse(data.toString()); } catch { return; }
    if (msg && typeof msg === 'object' && !Array.isArray(msg) && msg.event === 'close') {
      members.delete(ws);
      ws.send(JSON.stringify({ message: 'bye' }));
      ws.close(1000);
    }
  });
  ws.on('close', () => members.delete(ws));
  ws.on('error', () => members.delete(ws));
});

wss.on('listening', () => {
  const a = wss.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
process.on('SIGTERM', () => process.exit(0));
