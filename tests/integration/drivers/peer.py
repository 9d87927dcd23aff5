#!/usr/bin/python3
"""Test peer for the driver tests: a Python `websockets` server whose behaviour is chosen
by the last segment of the request path (query parameters tune it). It prints
`listening on PORT` once ready and exits when its stdin closes (the test process died).

Paths:
  /nowtime?interval=MS&count=N  welcome, then N pushes (N < 0: forever) every MS ms;
                                {"event":"close"} -> {"message":"bye"} + close 1000
  /echo                         sends every message back
  /headers                      sends the request headers (and "_path") as JSON, then echoes
  /big?bytes=N                  sends one text message of N bytes, then waits
  /flood?count=N&size=S&every=MS  sends N text messages of S bytes (one every MS ms, 0: at once)
  /close?code=C&reason=R        closes at once with code C and reason R
  /silent                       accepts and waits (answers pings, as websockets does)
  /404, /503                    refuses the upgrade with that HTTP status
"""
import argparse
import asyncio
import datetime
import json
import os
import ssl
import sys
import threading
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import websockets


def route(path):
    parts = urlsplit(path)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1]
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return name, query


async def process_request(path, headers):
    name, _ = route(path)
    if name == "404":
        return HTTPStatus.NOT_FOUND, [("Content-Type", "text/plain")], b"no such room\n"
    if name == "503":
        return HTTPStatus.SERVICE_UNAVAILABLE, [("Content-Type", "text/plain")], b"try later\n"
    return None


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


async def nowtime(ws, q):
    interval = int(q.get("interval", "100")) / 1000.0
    count = int(q.get("count", "-1"))
    await ws.send(json.dumps({"status": 200, "event": "notification", "data": "Welcome"}))

    async def pusher():
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        try:
            while count < 0 or n < count:
                n += 1
                # Scheduled from the start, so pushes do not drift.
                await asyncio.sleep(max(0.0, start + n * interval - loop.time()))
                await ws.send(json.dumps({"status": 200, "event": "nowtime", "data": now_iso(), "n": n}))
        except websockets.ConnectionClosed:
            pass

    task = asyncio.create_task(pusher())
    try:
        async for msg in ws:
            try:
                obj = json.loads(msg)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("event") == "close":
                task.cancel()
                await ws.send(json.dumps({"message": "bye"}))
                await ws.close(1000)
                break
    finally:
        task.cancel()


async def handler(ws):
    name, q = route(ws.path)
    try:
        if name == "nowtime":
            await nowtime(ws, q)
        elif name == "echo":
            async for msg in ws:
                await ws.send(msg)
        elif name == "headers":
            reply = {k: v for k, v in ws.request_headers.raw_items()}
            reply["_path"] = ws.path
            await ws.send(json.dumps(reply))
            async for msg in ws:
                await ws.send(msg)
        elif name == "big":
            await ws.send("x" * int(q.get("bytes", "100000")))
            await ws.wait_closed()
        elif name == "flood":
            payload = "y" * int(q.get("size", "1000"))
            every = int(q.get("every", "0")) / 1000.0
            loop = asyncio.get_running_loop()
            start = loop.time()
            for i in range(int(q.get("count", "100"))):
                if every:
                    await asyncio.sleep(max(0.0, start + i * every - loop.time()))
                await ws.send(payload)
            await ws.wait_closed()
        elif name == "close":
            await ws.close(int(q.get("code", "1000")), q.get("reason", ""))
        else:
            await ws.wait_closed()
    except websockets.ConnectionClosed:
        pass


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context, process_request=process_request,
                                subprotocols=["chat.v1"], max_size=None, backlog=1024,
                                ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
