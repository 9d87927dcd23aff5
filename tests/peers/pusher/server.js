#!/usr/bin/env node
// A join-by-message JSON push server in the style of Pusher Channels (protocol 7), on npm `ws`:
// subscribe to a channel by message, one ticker per channel pushes nowtime, pusher:ping/pong both ways.
// Prints `listening on HOST:PORT` once it accepts connections. Wire format: docs/peers.md.
'use strict';
const crypto = require('crypto');
const { serverOptions, announce, need } = require('../lib/cli');

const { WebSocketServer } = need('ws');

const FAULTS = {
  // Push data sent as a JSON object instead of a JSON-encoded string (JSON.stringify forgotten).
  'data-object': 'push shape: data of nowtime is an object, not a JSON string',
  // The unsubscribe handler removes the socket from the wrong set: pushes go on.
  'unsubscribe-ignored': 'lifecycle: pusher:unsubscribe is accepted but pushes continue',
  // Only the server's own pings are handled; a client's pusher:ping gets no pusher:pong.
  'ping-unanswered': 'heartbeat: a client pusher:ping is never answered with pusher:pong',
};

const opt = serverOptions('pusher/server.js', FAULTS, {
  '--ping-interval-ms': { type: 'int', def: 120000, min: 1 },
  '--pong-timeout-ms': { type: 'int', def: 30000, min: 1 },
  '--app-key': { type: 'string', def: 'app-key' },
  '--channels': { type: 'list', def: ['nowtime'] },
});

const channels = new Map(opt.channels.map((c) => [c, new Set()]));
const activityTimeoutS = Math.max(1, Math.ceil(opt.pingIntervalMs / 1000));
const text = (msg) => JSON.stringify(msg);
const error = (code, message) => text({ event: 'pusher:error', data: { code, message } });

for (const [channel, members] of channels) {
  // One ticker per channel: one serialised message, sent to every subscriber.
  setInterval(() => {
    const body = { time: new Date().toISOString() };
    const msg = text({ event: 'nowtime', channel, data: opt.fault === 'data-object' ? body : JSON.stringify(body) });
    for (const ws of members) if (ws.readyState === ws.OPEN) ws.send(msg);
  }, opt.intervalMs);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: opt.port });

wss.on('connection', (ws, req) => {
  const path = req.url.split('?')[0];
  if (path !== `/app/${opt.appKey}`) {
    const key = path.startsWith('/app/') ? path.slice(5) : path;
    ws.send(error(4001, `App key ${key} does not exist`));
    ws.close(4001, 'App key does not exist');
    return;
  }
  const mine = new Set();
  const leaveAll = () => { for (const c of mine) channels.get(c).delete(ws); mine.clear(); };
  let pingTimer = null;
  let pongTimer = null;
  const schedulePing = () => {
    pingTimer = setTimeout(() => {
      ws.send(text({ event: 'pusher:ping', data: {} }));
      pongTimer = setTimeout(() => {
        leaveAll();
        ws.send(error(4201, 'Pong reply not received'));
        ws.close(4201, 'Pong reply not received');
      }, opt.pongTimeoutMs);
    }, opt.pingIntervalMs);
  };
  const stopTimers = () => { clearTimeout(pingTimer); clearTimeout(pongTimer); };

  const socketId = `${crypto.randomInt(1, 1e9)}.${crypto.randomInt(1, 1e9)}`;
  ws.send(text({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeoutS }) }));
  schedulePing();

  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let msg;
    try { msg = JSON.parse(data.toString()); } catch { return; }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return;
    const d = msg.data && typeof msg.data === 'object' ? msg.data : {};
    switch (msg.event) {
      case 'pusher:subscribe': {
        const members = channels.get(d.channel);
        if (!members) {
          ws.send(error(4300, `Unknown channel: ${typeof d.channel === 'string' ? d.channel : JSON.stringify(d.channel)}`));
          return;
        }
        members.add(ws);
        mine.add(d.channel);
        ws.send(text({ event: 'pusher_internal:subscription_succeeded', channel: d.channel, data: '{}' }));
        return;
      }
      case 'pusher:unsubscribe':
        if (opt.fault === 'unsubscribe-ignored') { mine.delete(d.channel); return; }
        if (channels.has(d.channel)) channels.get(d.channel).delete(ws);
        mine.delete(d.channel);
        return;
      case 'pusher:ping':
        if (opt.fault !== 'ping-unanswered') ws.send(text({ event: 'pusher:pong', data: {} }));
        return;
      case 'pusher:pong':
        if (pongTimer !== null) { stopTimers(); pongTimer = null; schedulePing(); }
        return;
      default:
        // Unknown events (client events included) are ignored.
    }
  });
  ws.on('close', () => { stopTimers(); leaveAll(); });
  ws.on('error', () => { stopTimers(); leaveAll(); });
});

wss.on('listening', () => announce(wss.address(), opt.fault, FAULTS));
