#!/usr/bin/env node
// Self-check of the Pusher-style server: the correct server passes every check, and each --fault
// variant fails the check named for it. Exit 0 only then. Plain `ws` clients, no Pusher SDK.
'use strict';
const path = require('path');
const h = require('../lib/harness');

const INTERVAL = 400;
const PING_INTERVAL = 500;
const PONG_TIMEOUT = 400;
const KEY = 'app-key';
const CHANNEL = 'nowtime';
const WAIT = 3000; // deadline of a single expected message

const msg = (event, data) => JSON.stringify({ event, data });
const SUBSCRIBE = msg('pusher:subscribe', { channel: CHANNEL });
const PING = msg('pusher:ping', {});
const PONG = msg('pusher:pong', {});

// A raw client on /app/KEY whose items carry the parsed message as `m`; `answer` pongs server pings.
function client(srv, cleanups, { key = KEY, answer = true } = {}) {
  const c = h.rawClient(`ws://${srv.hostport}/app/${key}?protocol=7&client=js&version=8.4.0`,
    { auto: answer ? [[/^\{"event":"pusher:ping"/, PONG]] : [] });
  const push = c.inbox.push.bind(c.inbox);
  c.inbox.push = (item) => push({ ...item, m: c.json(item) });
  cleanups.push(c.terminate);
  return c;
}
const ev = (event, channel) => (x) => x.m && x.m.event === event && (channel === undefined || x.m.channel === channel);

async function subscribed(srv, cleanups, opts) {
  const c = client(srv, cleanups, opts);
  await h.within(WAIT, 'WebSocket open', c.opened);
  await c.inbox.next(ev('pusher:connection_established'), WAIT, 'pusher:connection_established');
  c.send(SUBSCRIBE);
  const ok = await c.inbox.next(ev('pusher_internal:subscription_succeeded', CHANNEL), WAIT, 'subscription_succeeded');
  return { c, ok };
}

// The timestamp inside a push, whose data must be a JSON-encoded string.
function pushTime(x, who) {
  h.expect(typeof x.m.data === 'string', `${who}: data of nowtime is ${JSON.stringify(x.m.data)}, not a JSON-encoded string`);
  let d;
  try { d = JSON.parse(x.m.data); } catch { h.expect(false, `${who}: data ${x.m.data} is not JSON`); }
  h.checkTimestamp(d && d.time, `${who}: data.time`);
  return d.time;
}

const checks = (srv, cleanups) => [
  ['connection.established', async () => {
    const c = client(srv, cleanups);
    await h.within(WAIT, 'WebSocket open', c.opened);
    const first = await c.inbox.next(() => true, WAIT, 'the first message');
    h.expect(first.m && first.m.event === 'pusher:connection_established', `first message is ${first.text}`);
    h.expect(typeof first.m.data === 'string', `connection_established data is not a JSON string: ${first.text}`);
    const d = JSON.parse(first.m.data);
    h.expect(/^\d+\.\d+$/.test(d.socket_id), `socket_id ${JSON.stringify(d.socket_id)} is not DIGITS.DIGITS`);
    h.expect(Number.isInteger(d.activity_timeout) && d.activity_timeout > 0, `activity_timeout ${JSON.stringify(d.activity_timeout)}`);
  }],

  ['subscribe.succeeded', async () => {
    const { ok } = await subscribed(srv, cleanups);
    h.expect(ok.m.data === '{}', `subscription_succeeded data is ${JSON.stringify(ok.m.data)}, expected the string "{}"`);
  }],

  ['push.cadence_and_shape', async () => {
    const { c, ok } = await subscribed(srv, cleanups);
    const pushes = await c.inbox.take(5, ev('nowtime', CHANNEL), INTERVAL * 5 + WAIT, 'nowtime');
    h.expect(pushes[0].at - ok.at <= INTERVAL * 1.35 + 120, `first push ${pushes[0].at - ok.at} ms after subscribing, interval ${INTERVAL} ms`);
    pushes.forEach((p, i) => pushTime(p, `push ${i + 1}`));
    h.checkCadence(pushes.map((p) => p.at), INTERVAL, 'nowtime');
  }],

  ['channels.broadcast', async () => {
    const a = await subscribed(srv, cleanups);
    await a.c.inbox.next(ev('nowtime', CHANNEL), INTERVAL + WAIT, 'a first push to a');
    const b = await subscribed(srv, cleanups);
    const bp = await b.c.inbox.take(3, ev('nowtime', CHANNEL), INTERVAL * 3 + WAIT, 'pushes to b');
    for (const p of bp) {
      const twin = await a.c.inbox.next((x) => ev('nowtime', CHANNEL)(x) && x.text === p.text, INTERVAL + 500, 'the same push at a').catch(() => null);
      h.expect(twin, `member b received ${p.text} that member a never received`);
      h.expect(Math.abs(twin.at - p.at) < INTERVAL / 2, `one push reached the members ${Math.abs(twin.at - p.at)} ms apart`);
    }
  }],

  ['lifecycle.unsubscribe', async () => {
    // unsubscribe, then ping: the pong marks the point after which no push may reach the leaver.
    const leaver = await subscribed(srv, cleanups);
    const stayer = await subscribed(srv, cleanups);
    await leaver.c.inbox.next(ev('nowtime', CHANNEL), INTERVAL + WAIT, 'a push before unsubscribing');
    leaver.c.send(msg('pusher:unsubscribe', { channel: CHANNEL }));
    leaver.c.send(PING);
    const pong = await leaver.c.inbox.next(ev('pusher:pong'), WAIT, 'pong after unsubscribe');
    stayer.c.inbox.skip();
    await stayer.c.inbox.take(2, ev('nowtime', CHANNEL), INTERVAL * 2 + WAIT, 'pushes to the member that stayed');
    // A second barrier: whatever the server sent the leaver during that window is in before this pong.
    leaver.c.send(PING);
    await leaver.c.inbox.next(ev('pusher:pong'), WAIT, 'the second pong');
    const late = leaver.c.inbox.after(pong, ev('nowtime'));
    h.expect(late.length === 0, `${late.length} push(es) reached the client after it unsubscribed`);
    h.expect(!leaver.c.isClosed(), 'unsubscribing closed the connection');
  }],

  ['channels.unknown', async () => {
    const c = client(srv, cleanups);
    await c.inbox.next(ev('pusher:connection_established'), WAIT, 'connection_established');
    c.send(msg('pusher:subscribe', { channel: 'no-such-channel' }));
    const err = await c.inbox.next(ev('pusher:error'), WAIT, 'pusher:error for an unknown channel');
    h.expect(err.m.data && Number.isInteger(err.m.data.code) && typeof err.m.data.message === 'string', `pusher:error is ${err.text}`);
    h.expect(c.inbox.all(ev('pusher_internal:subscription_succeeded')).length === 0, 'an unknown channel was reported subscribed');
  }],

  ['app.unknown_key', async () => {
    const c = client(srv, cleanups, { key: 'wrong-key' });
    const err = await c.inbox.next(ev('pusher:error'), WAIT, 'pusher:error for an unknown app key');
    h.expect(err.m.data && err.m.data.code === 4001, `pusher:error is ${err.text}, expected code 4001`);
    const closed = await h.within(WAIT, 'the close after an unknown app key', c.closed);
    h.expect(closed.code === 4001, `closed with ${closed.code}, expected 4001`);
  }],

  ['heartbeat.client_ping_answered', async () => {
    const { c } = await subscribed(srv, cleanups);
    const sent = Date.now();
    c.send(PING);
    const pong = await c.inbox.next(ev('pusher:pong'), 1000, 'pusher:pong to a client ping');
    h.expect(pong.at - sent < 1000, `pong after ${pong.at - sent} ms`);
  }],

  ['heartbeat.ponging_client_stays', async () => {
    const { c, ok } = await subscribed(srv, cleanups);
    const tol = PING_INTERVAL * 0.35 + 150;
    const p1 = await c.inbox.next(ev('pusher:ping'), PING_INTERVAL + tol + 100, 'the first server ping');
    h.expect(p1.at - ok.at <= PING_INTERVAL + tol, `first ping ${p1.at - ok.at} ms after subscribing, interval ${PING_INTERVAL}`);
    const p2 = await c.inbox.next(ev('pusher:ping'), PING_INTERVAL + tol, 'the second server ping');
    h.expect(Math.abs(p2.at - p1.at - PING_INTERVAL) <= tol, `pings ${p2.at - p1.at} ms apart, interval ${PING_INTERVAL}`);
    await c.inbox.next(ev('nowtime', CHANNEL), INTERVAL + WAIT, 'a push after two heartbeats');
    h.expect(!c.isClosed(), 'a client that answered every ping was closed');
  }],

  ['heartbeat.silent_dropped', async () => {
    const { c } = await subscribed(srv, cleanups, { answer: false });
    const ping = await c.inbox.next(ev('pusher:ping'), PING_INTERVAL * 2 + WAIT, 'a server ping');
    const closed = await h.within(PONG_TIMEOUT + 600, `the server to drop a client that did not pong (timeout ${PONG_TIMEOUT} ms)`, c.closed);
    h.expect(closed.code === 4201, `closed with ${closed.code}, expected 4201`);
    h.expect(closed.at - ping.at >= PONG_TIMEOUT / 2, `dropped ${closed.at - ping.at} ms after the ping, before the pong timeout`);
  }],
];

h.selfcheck({
  server: path.join(__dirname, 'server.js'),
  baseArgs: ['--port', '0', '--interval-ms', String(INTERVAL), '--ping-interval-ms', String(PING_INTERVAL), '--pong-timeout-ms', String(PONG_TIMEOUT)],
  faults: {
    'data-object': ['push.cadence_and_shape'],
    'unsubscribe-ignored': ['lifecycle.unsubscribe'],
    'ping-unanswered': ['heartbeat.client_ping_answered'],
  },
  checks,
  transcripts: path.join(__dirname, 'transcripts'),
}).then((rc) => process.exit(rc), (e) => { console.error(`selfcheck: ${e.stack}`); process.exit(1); });
