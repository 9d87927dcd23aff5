#!/usr/bin/env node
// Self-check of the graphql-ws nowtime server: the correct server passes every check, and each
// --fault variant fails the check named for it. Exit 0 only then. Plain `ws` clients.
'use strict';
const path = require('path');
const h = require('../lib/harness');

const INTERVAL = 400;
const KEEPALIVE = 500;
const ROOM = '/nowtime';
const WAIT = 3000; // deadline of a single expected message
const PROTOCOL = 'graphql-transport-ws';

const j = (o) => JSON.stringify(o);
const subscribe = (id, room = ROOM) => j({ id, type: 'subscribe', payload: { query: `subscription { nowtime(room: ${j(room)}) { room time } }` } });

// A raw graphql-transport-ws client whose items carry the parsed message as `m`.
function client(srv, cleanups, opts = {}) {
  const c = h.rawClient(`ws://${srv.hostport}/graphql`, { protocols: [PROTOCOL], pings: true, ...opts });
  const push = c.inbox.push.bind(c.inbox);
  c.inbox.push = (item) => push({ ...item, m: item.wsPing ? undefined : c.json(item) });
  cleanups.push(c.terminate);
  return c;
}
const type = (t, id) => (x) => x.m && x.m.type === t && (id === undefined || x.m.id === id);
const push = (id) => (x) => type('next', id)(x) && x.m.payload && x.m.payload.data;

async function acked(srv, cleanups, opts) {
  const c = client(srv, cleanups, opts);
  await h.within(WAIT, 'WebSocket open', c.opened);
  c.send(j({ type: 'connection_init' }));
  const ack = await c.inbox.next(type('connection_ack'), WAIT, 'connection_ack');
  return { c, ack };
}
async function subscribed(srv, cleanups, opts) {
  const { c } = await acked(srv, cleanups, opts);
  const at = Date.now();
  c.send(subscribe('1'));
  return { c, at };
}

function pushTime(x, who) {
  const n = x.m.payload.data.nowtime;
  h.expect(n && n.room === ROOM, `${who}: payload is ${x.text}`);
  h.checkTimestamp(n.time, `${who}: nowtime.time`);
  return n.time;
}

const checks = (srv, cleanups) => [
  ['handshake.subprotocol_and_ack', async () => {
    const { c, ack } = await acked(srv, cleanups);
    h.expect(c.ws.protocol === PROTOCOL, `negotiated subprotocol ${JSON.stringify(c.ws.protocol)}, expected ${PROTOCOL}`);
    h.expect(Object.keys(ack.m).every((k) => k === 'type' || k === 'payload'), `connection_ack is ${ack.text}`);
  }],

  ['subscribe.push_cadence_and_shape', async () => {
    const { c, at } = await subscribed(srv, cleanups);
    const pushes = await c.inbox.take(5, push('1'), INTERVAL * 5 + WAIT, 'next');
    h.expect(pushes[0].at - at <= INTERVAL * 1.35 + 120, `first push ${pushes[0].at - at} ms after subscribing, interval ${INTERVAL} ms`);
    pushes.forEach((p, i) => pushTime(p, `push ${i + 1}`));
    h.checkCadence(pushes.map((p) => p.at), INTERVAL, 'next');
  }],

  ['rooms.broadcast', async () => {
    const a = await subscribed(srv, cleanups);
    await a.c.inbox.next(push('1'), INTERVAL + WAIT, 'a first push to a');
    const b = await subscribed(srv, cleanups);
    const bp = await b.c.inbox.take(3, push('1'), INTERVAL * 3 + WAIT, 'pushes to b');
    for (const p of bp) {
      const time = pushTime(p, 'b');
      const twin = await a.c.inbox.next((x) => push('1')(x) && x.m.payload.data.nowtime.time === time, INTERVAL + 500, 'the same push at a').catch(() => null);
      h.expect(twin, `subscriber b received push ${time} that subscriber a never received`);
      h.expect(Math.abs(twin.at - p.at) < INTERVAL / 2, `push ${time} reached the subscribers ${Math.abs(twin.at - p.at)} ms apart`);
    }
  }],

  ['lifecycle.complete', async () => {
    // complete, then ping: the pong marks the point after which no next for that id may arrive.
    const leaver = await subscribed(srv, cleanups);
    const stayer = await subscribed(srv, cleanups);
    await leaver.c.inbox.next(push('1'), INTERVAL + WAIT, 'a push before completing');
    leaver.c.send(j({ id: '1', type: 'complete' }));
    leaver.c.send(j({ type: 'ping' }));
    const pong = await leaver.c.inbox.next(type('pong'), WAIT, 'pong after complete');
    stayer.c.inbox.skip();
    await stayer.c.inbox.take(2, push('1'), INTERVAL * 2 + WAIT, 'pushes to the subscriber that stayed');
    // A second barrier: whatever the server sent the leaver during that window is in before this pong.
    leaver.c.send(j({ type: 'ping' }));
    await leaver.c.inbox.next(type('pong'), WAIT, 'the second pong');
    const late = leaver.c.inbox.after(pong, type('next', '1'));
    h.expect(late.length === 0, `${late.length} next message(s) for id 1 after the client completed it`);
    h.expect(!leaver.c.isClosed(), 'completing a subscription closed the connection');
  }],

  ['rooms.unknown_room', async () => {
    const { c } = await acked(srv, cleanups);
    c.send(subscribe('9', '/no-such-room'));
    const err = await c.inbox.next(type('next', '9'), WAIT, 'the result for an unknown room');
    h.expect(Array.isArray(err.m.payload.errors) && err.m.payload.errors.length > 0 && !err.m.payload.data, `result for an unknown room is ${err.text}`);
    await c.inbox.next(type('complete', '9'), WAIT, 'complete after the error');
    h.expect(!c.isClosed(), 'an unknown room closed the connection');
  }],

  ['heartbeat.ping_answered', async () => {
    const { c } = await acked(srv, cleanups);
    const sent = Date.now();
    c.send(j({ type: 'ping' }));
    const pong = await c.inbox.next(type('pong'), 1000, 'pong to a ping message');
    h.expect(pong.at - sent < 1000, `pong after ${pong.at - sent} ms`);
  }],

  ['heartbeat.answering_client_stays', async () => {
    const { c, at } = await subscribed(srv, cleanups);
    const tol = KEEPALIVE * 0.35 + 150;
    const p1 = await c.inbox.next((x) => x.wsPing, KEEPALIVE * 2 + tol, 'the first keep-alive ping frame');
    const p2 = await c.inbox.next((x) => x.wsPing, KEEPALIVE + tol, 'the second keep-alive ping frame');
    h.expect(Math.abs(p2.at - p1.at - KEEPALIVE) <= tol, `keep-alive pings ${p2.at - p1.at} ms apart, interval ${KEEPALIVE} (first ${p1.at - at} ms after subscribing)`);
    await c.inbox.next(push('1'), INTERVAL + WAIT, 'a push after two keep-alive pings');
    h.expect(!c.isClosed(), 'a client that answered every ping was closed');
  }],

  ['heartbeat.silent_dropped', async () => {
    const { c } = await subscribed(srv, cleanups, { autoPong: false });
    const ping = await c.inbox.next((x) => x.wsPing, KEEPALIVE * 2 + WAIT, 'a keep-alive ping frame');
    const closed = await h.within(KEEPALIVE + 600, `the server to drop a client that did not answer its ping (keep-alive ${KEEPALIVE} ms)`, c.closed);
    h.expect(closed.at - ping.at >= KEEPALIVE / 2, `dropped ${closed.at - ping.at} ms after the ping, before the keep-alive wait`);
  }],
];

h.selfcheck({
  server: path.join(__dirname, 'server.js'),
  baseArgs: ['--port', '0', '--interval-ms', String(INTERVAL), '--keepalive-ms', String(KEEPALIVE)],
  faults: {
    'per-subscription-timer': ['rooms.broadcast'],
    'complete-ignored': ['lifecycle.complete'],
    'keepalive-off': ['heartbeat.silent_dropped'],
  },
  checks,
  transcripts: path.join(__dirname, 'transcripts'),
}).then((rc) => process.exit(rc), (e) => { console.error(`selfcheck: ${e.stack}`); process.exit(1); });
