#!/usr/bin/env node
// nowtime over Socket.IO v4 (npm socket.io): join a room by emitting `join`, one ticker per
// room emits `nowtime` to it, `close` is answered by `bye` and a disconnect.
// Prints `listening on HOST:PORT` once it accepts connections. Wire format: docs/peers.md.
'use strict';
const http = require('http');
const { serverOptions, announce, need } = require('../lib/cli');

const { Server } = need('socket.io');

const FAULTS = {
  // One timer per connection, emitting to that socket only: members get different timestamps.
  'per-socket-timer': 'rooms: each member gets its own timer, so members of one room get different pushes',
  // The close handler says bye but forgets to leave the room and to disconnect.
  'push-after-close': 'lifecycle: bye is sent but the socket stays in its room and connected; pushes go on',
  // Pings go out, but a client that never answers is kept forever (a zombie member).
  'ping-timeout-ignored': 'heartbeat: pingTimeout is advertised but never enforced; silent clients are never dropped',
};

const opt = serverOptions('socketio/server.js', FAULTS, {
  '--ping-interval-ms': { type: 'int', def: 25000, min: 1 },
  '--ping-timeout-ms': { type: 'int', def: 20000, min: 1 },
  '--rooms': { type: 'list', def: ['/nowtime'] },
});

const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: opt.pingIntervalMs,
  pingTimeout: opt.pingTimeoutMs,
  serveClient: false,
});

const push = (room) => ({ room, time: new Date().toISOString() });
const rooms = new Set(opt.rooms);

if (opt.fault !== 'per-socket-timer') {
  // One ticker per room: every member receives the same packet at the same tick.
  for (const room of rooms) setInterval(() => io.to(room).emit('nowtime', push(room)), opt.intervalMs);
}

if (opt.fault === 'ping-timeout-ignored') {
  // The engine still pings, but its pong deadline is never armed.
  io.engine.on('connection', (raw) => { raw.resetPingTimeout = () => {}; });
}

io.on('connection', (socket) => {
  let joined = null;
  let timer = null;
  socket.on('join', (room, ack) => {
    const answer = typeof ack === 'function' ? ack : () => {};
    if (joined !== null) {
      const err = { status: 409, message: 'Already joined', room: joined };
      answer(err);
      socket.emit('error', err);
      return;
    }
    if (typeof room !== 'string' || !rooms.has(room)) {
      const err = { status: 404, message: 'Unknown room', room: typeof room === 'string' ? room : null };
      answer(err);
      socket.emit('error', err);
      socket.disconnect(true);
      return;
    }
    joined = room;
    socket.join(room);
    answer({ status: 200, room });
    socket.emit('welcome', { status: 200, message: 'Welcome', room });
    if (opt.fault === 'per-socket-timer') timer = setInterval(() => socket.emit('nowtime', push(room)), opt.intervalMs);
  });
  socket.on('close', () => {
    socket.emit('bye', { message: 'bye' });
    if (opt.fault === 'push-after-close') return;
    clearInterval(timer);
    if (joined !== null) socket.leave(joined);
    socket.disconnect(true);
  });
  socket.on('disconnect', () => clearInterval(timer));
});

httpServer.listen(opt.port, '127.0.0.1', () => announce(httpServer.address(), opt.fault, FAULTS));
