#!/usr/bin/env node
// nowtime over GraphQL subscriptions (npm graphql-ws on ws, protocol graphql-transport-ws):
// the subscription `nowtime(room:)` is the room; one ticker per room feeds every subscriber.
// Prints `listening on HOST:PORT` once it accepts connections. Wire format: docs/peers.md.
'use strict';
const { serverOptions, announce, need } = require('../lib/cli');

const { WebSocketServer } = need('ws');
const { useServer } = need('graphql-ws/use/ws');
const { buildSchema, GraphQLError } = need('graphql');

const FAULTS = {
  // One timer per subscription instead of one per room: subscribers get different pushes.
  'per-subscription-timer': 'rooms: each subscription gets its own timer, so subscribers of one room get different pushes',
  // The subscription's return() forgets to detach it from its room: pushes go on after complete.
  'complete-ignored': 'lifecycle: a client complete is accepted but next messages for that id go on',
  // No keep-alive: a peer that stopped answering WebSocket pings is never dropped.
  'keepalive-off': 'heartbeat: no server keep-alive, silent clients are never dropped',
};

const opt = serverOptions('graphql/server.js', FAULTS, {
  '--keepalive-ms': { type: 'int', def: 12000, min: 1 },
  '--rooms': { type: 'list', def: ['/nowtime'] },
});

const schema = buildSchema(`
  type Push { room: String!, time: String! }
  type Query { rooms: [String!]! }
  type Subscription { nowtime(room: String!): Push! }
`);

// room -> set of listeners; one ticker per room hands the same payload object to each.
const rooms = new Map(opt.rooms.map((r) => [r, new Set()]));
const payload = (room) => ({ nowtime: { room, time: new Date().toISOString() } });
if (opt.fault !== 'per-subscription-timer') {
  for (const [room, listeners] of rooms) {
    setInterval(() => { const p = payload(room); for (const l of listeners) l(p); }, opt.intervalMs);
  }
}

// An AsyncIterator over one room's pushes; return() detaches it (graphql-ws calls it on complete).
function roomIterator(room) {
  const queue = [];
  let wake = null;
  let done = false;
  const listener = (p) => { if (wake) { const w = wake; wake = null; w({ value: p, done: false }); } else queue.push(p); };
  let timer = null;
  if (opt.fault === 'per-subscription-timer') timer = setInterval(() => listener(payload(room)), opt.intervalMs);
  else rooms.get(room).add(listener);
  const detach = () => { clearInterval(timer); rooms.get(room).delete(listener); };
  return {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => { wake = resolve; });
    },
    return() {
      if (opt.fault !== 'complete-ignored') {
        done = true;
        detach();
        queue.length = 0;
        if (wake) { const w = wake; wake = null; w({ value: undefined, done: true }); }
      }
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(e) { done = true; detach(); return Promise.reject(e); },
    [Symbol.asyncIterator]() { return this; },
  };
}

const roots = {
  query: { rooms: () => [...rooms.keys()] },
  subscription: {
    nowtime: ({ room }) => {
      if (!rooms.has(room)) throw new GraphQLError(`Unknown room: ${room}`, { extensions: { code: 'UNKNOWN_ROOM' } });
      return roomIterator(room);
    },
  },
};

const wss = new WebSocketServer({ host: '127.0.0.1', port: opt.port, path: '/graphql' });
useServer({ schema, roots }, wss, opt.fault === 'keepalive-off' ? 0 : opt.keepaliveMs);

wss.on('listening', () => announce(wss.address(), opt.fault, FAULTS));
