#!/usr/bin/env node
// Self-check of the Socket.IO nowtime server: the correct server passes every check, and each
// --fault variant fails the check named for it. Exit 0 only then.
'use strict';
const path = require('path');
const { io } = require('../lib/cli').need('socket.io-client');
const h = require('../lib/harness');

const INTERVAL = 400;
const PING_INTERVAL = 500;
const PING_TIMEOUT = 400;
const ROOM = '/nowtime';
const WAIT = 3000; // deadline of a single expected message
const EIO_PATH = '/socket.io/?EIO=4&transport=websocket';

// A socket.io-client whose events land in an Inbox as {event, args}.
function sioClient(srv, cleanups) {
  const socket = io(`http://${srv.hostport}`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: WAIT });
  const inbox = new h.Inbox();
  socket.onAny((event, ...args) => inbox.push({ event, args }));
  socket.on('connect', () => inbox.push({ event: 'connect', args: [] }));
  socket.on('connect_error', (e) => inbox.push({ event: 'connect_error', args: [e.message] }));
  socket.on('disconnect', (reason) => inbox.push({ event: 'disconnect', args: [reason] }));
  cleanups.push(() => socket.close());
  return { socket, inbox };
}
const on = (event) => (x) => x.event === event;

// Connects and joins ROOM; resolves with the ack and the welcome.
async function join(c, room = ROOM) {
  await c.inbox.next(on('connect'), WAIT, 'connect');
  const ack = await h.within(WAIT, 'the join ack', c.socket.emitWithAck('join', room));
  const welcome = room === ROOM ? await c.inbox.next(on('welcome'), WAIT, 'welcome') : null;
  return { ack, welcome };
}

function checkPush(x, who) {
  h.expect(x.args.length === 1 && x.args[0] && typeof x.args[0] === 'object', `${who}: nowtime carries ${JSON.stringify(x.args)}`);
  h.expect(x.args[0].room === ROOM, `${who}: push for room ${JSON.stringify(x.args[0].room)}`);
  h.checkTimestamp(x.args[0].time, `${who}: push time`);
}

const checks = (srv, cleanups) => [
  ['handshake.open_packet', async () => {
    const c = h.rawClient(`ws://${srv.hostport}${EIO_PATH}`);
    cleanups.push(c.terminate);
    await h.within(WAIT, 'WebSocket open', c.opened);
    const open = await c.inbox.next(() => true, WAIT, 'the open packet');
    h.expect(open.text[0] === '0', `first frame ${open.text} is not an open packet`);
    const o = JSON.parse(open.text.slice(1));
    h.expect(typeof o.sid === 'string' && o.sid.length > 0, `open packet sid: ${open.text}`);
    h.expect(Array.isArray(o.upgrades), `open packet upgrades: ${open.text}`);
    h.expect(o.pingInterval === PING_INTERVAL && o.pingTimeout === PING_TIMEOUT, `open packet advertises ping ${o.pingInterval}/${o.pingTimeout}, configured ${PING_INTERVAL}/${PING_TIMEOUT}`);
    h.expect(Number.isInteger(o.maxPayload), `open packet maxPayload: ${open.text}`);
    c.send('40');
    const conn = await c.inbox.next(() => true, WAIT, 'the namespace connect answer');
    h.expect(/^40\{/.test(conn.text) && typeof JSON.parse(conn.text.slice(2)).sid === 'string', `answer to 40 is ${conn.text}`);
  }],

  ['join.ack_and_welcome', async () => {
    const c = sioClient(srv, cleanups);
    const { ack, welcome } = await join(c);
    h.expect(ack && ack.status === 200 && ack.room === ROOM, `join ack is ${JSON.stringify(ack)}`);
    const w = welcome.args[0];
    h.expect(w && w.status === 200 && w.room === ROOM && typeof w.message === 'string', `welcome is ${JSON.stringify(welcome.args)}`);
  }],

  ['push.cadence', async () => {
    const c = sioClient(srv, cleanups);
    const { welcome } = await join(c);
    const pushes = await c.inbox.take(5, on('nowtime'), INTERVAL * 5 + WAIT, 'nowtime');
    h.expect(pushes[0].at - welcome.at <= INTERVAL * 1.35 + 120, `first push ${pushes[0].at - welcome.at} ms after the welcome, interval ${INTERVAL} ms`);
    pushes.forEach((p, i) => checkPush(p, `push ${i + 1}`));
    h.checkCadence(pushes.map((p) => p.at), INTERVAL, 'nowtime');
    h.expect(c.socket.connected, 'client was disconnected while receiving pushes');
  }],

  ['rooms.broadcast', async () => {
    const a = sioClient(srv, cleanups);
    await join(a);
    await a.inbox.next(on('nowtime'), INTERVAL + WAIT, 'a first push to a');
    const b = sioClient(srv, cleanups);
    await join(b);
    const bp = await b.inbox.take(3, on('nowtime'), INTERVAL * 3 + WAIT, 'pushes to b');
    for (const p of bp) {
      const time = p.args[0] && p.args[0].time;
      const twin = await a.inbox.next((x) => x.event === 'nowtime' && x.args[0] && x.args[0].time === time, INTERVAL + 500,
        `push ${time} (received by b) at a`).catch(() => null);
      h.expect(twin, `member b received push ${time} that member a never received: one room, different pushes`);
      h.expect(Math.abs(twin.at - p.at) < INTERVAL / 2, `push ${time} reached the members ${Math.abs(twin.at - p.at)} ms apart`);
    }
  }],

  ['lifecycle.close_bye', async () => {
    const leaver = sioClient(srv, cleanups);
    const stayer = sioClient(srv, cleanups);
    await join(leaver);
    await join(stayer);
    leaver.socket.emit('close');
    const bye = await leaver.inbox.next(on('bye'), WAIT, 'bye');
    h.expect(bye.args[0] && bye.args[0].message === 'bye', `bye is ${JSON.stringify(bye.args)}`);
    const disc = await leaver.inbox.next(on('disconnect'), WAIT, 'the server-side disconnect after bye');
    h.expect(disc.args[0] === 'io server disconnect', `disconnect reason ${disc.args[0]}, expected io server disconnect`);
    await stayer.inbox.take(2, on('nowtime'), INTERVAL * 2 + WAIT, 'pushes to the member that stayed');
    const late = leaver.inbox.after(bye, on('nowtime'));
    h.expect(late.length === 0, `${late.length} push(es) reached the leaver after its bye`);
  }],

  ['rooms.unknown_room', async () => {
    const c = sioClient(srv, cleanups);
    const { ack } = await join(c, '/no-such-room');
    h.expect(ack && ack.status === 404, `join ack for an unknown room is ${JSON.stringify(ack)}`);
    const err = await c.inbox.next(on('error'), WAIT, 'the error event');
    h.expect(err.args[0] && err.args[0].status === 404, `error event is ${JSON.stringify(err.args)}`);
    await c.inbox.next(on('disconnect'), WAIT, 'the disconnect after an unknown room');
    const pushes = c.inbox.all(on('nowtime'));
    h.expect(pushes.length === 0, `${pushes.length} push(es) for an unknown room`);
  }],

  ['heartbeat.answered_client_stays', async () => {
    // Raw client that answers every ping: two pings at the advertised interval, still connected after.
    const c = h.rawClient(`ws://${srv.hostport}${EIO_PATH}`, { auto: [[/^2$/, '3']] });
    cleanups.push(c.terminate);
    await h.within(WAIT, 'WebSocket open', c.opened);
    const open = await c.inbox.next((x) => x.text[0] === '0', WAIT, 'the open packet');
    c.send('40');
    await c.inbox.next((x) => x.text.startsWith('40'), WAIT, 'namespace connect');
    c.send(`42["join","${ROOM}"]`);
    await c.inbox.next((x) => x.text.startsWith('42["welcome"'), WAIT, 'welcome');
    const tol = PING_INTERVAL * 0.35 + 150;
    const p1 = await c.inbox.next((x) => x.text === '2', PING_INTERVAL + tol, 'the first ping');
    h.expect(p1.at - open.at >= PING_INTERVAL / 2, `first ping ${p1.at - open.at} ms after open, interval ${PING_INTERVAL}`);
    const p2 = await c.inbox.next((x) => x.text === '2', PING_INTERVAL + tol, 'the second ping');
    h.expect(Math.abs(p2.at - p1.at - PING_INTERVAL) <= tol, `pings ${p2.at - p1.at} ms apart, interval ${PING_INTERVAL}`);
    await c.inbox.next((x) => x.text.startsWith('42["nowtime"'), INTERVAL + WAIT, 'a push after two heartbeats');
    h.expect(!c.isClosed(), 'a client that answered every ping was closed');
  }],

  ['heartbeat.silent_dropped', async () => {
    // Raw client that never answers pings: closed within pingTimeout of the first ping.
    const c = h.rawClient(`ws://${srv.hostport}${EIO_PATH}`);
    cleanups.push(c.terminate);
    await h.within(WAIT, 'WebSocket open', c.opened);
    c.send('40');
    await c.inbox.next((x) => x.text.startsWith('40'), WAIT, 'namespace connect');
    c.send(`42["join","${ROOM}"]`);
    await c.inbox.next((x) => x.text.startsWith('42["welcome"'), WAIT, 'welcome');
    const ping = await c.inbox.next((x) => x.text === '2', PING_INTERVAL * 2 + WAIT, 'a ping');
    const slack = 600;
    const closed = await h.within(PING_TIMEOUT + slack, `the server to drop a client that did not answer its ping (pingTimeout ${PING_TIMEOUT} ms)`, c.closed);
    h.expect(closed.at - ping.at >= PING_TIMEOUT / 2, `dropped ${closed.at - ping.at} ms after the ping, before pingTimeout ${PING_TIMEOUT}`);
  }],
];

h.selfcheck({
  server: path.join(__dirname, 'server.js'),
  baseArgs: ['--port', '0', '--interval-ms', String(INTERVAL), '--ping-interval-ms', String(PING_INTERVAL), '--ping-timeout-ms', String(PING_TIMEOUT)],
  faults: {
    'per-socket-timer': ['rooms.broadcast'],
    'push-after-close': ['lifecycle.close_bye'],
    'ping-timeout-ignored': ['heartbeat.silent_dropped'],
  },
  checks,
  transcripts: path.join(__dirname, 'transcripts'),
}).then((rc) => process.exit(rc), (e) => { console.error(`selfcheck: ${e.stack}`); process.exit(1); });
