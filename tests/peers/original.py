#!/usr/bin/python3
"""The nowtime server the way the widely copied Python example writes it (websockets 10.4):
a room set per path, but one timer per connection, the welcome says "Welcom", a listener
that dies on input that is not JSON, and unknown rooms closed without a message.
Prints `listening on HOST:PORT` once it accepts connections."""
import argparse
import asyncio
import datetime
import json
import sys

import websockets

ROOMS = {"/nowtime": set()}


async def push(ws, interval):
    # One timer per connection: every member gets its own timestamps.
    while True:
        now = datetime.datetime.utcnow().isoformat() + "Z"
        await ws.send(json.dumps({"status": 200, "event": "nowtime", "data": now}))
        await asyncio.sleep(interval)


async def listen(ws, stop_pushing):
    async for message in ws:
        data = json.loads(message)  # raises on text that is not JSON: the listener dies
        if data.get("event") == "close":
            stop_pushing()
            await ws.send(json.dumps({"message": "bye"}))
            await ws.close()
            return


async def handler(ws, path, interval):
    room = ROOMS.get(path)
    if room is None:
        await ws.close()
        return
    room.add(ws)
    try:
        await ws.send(json.dumps({"status": 200, "event": "notification", "data": "Welcom"}))
        pusher = asyncio.ensure_future(push(ws, interval))
        try:
            await listen(ws, pusher.cancel)
        except (ValueError, AttributeError):
            # The listener died on input that is not a JSON object: pushes go on, and a
            # later close request is never answered, until the client goes away.
            await asyncio.gather(pusher, return_exceptions=True)
        finally:
            pusher.cancel()
    except websockets.ConnectionClosed:
        pass
    finally:
        room.discard(ws)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--interval-ms", type=int, default=3000)
    a = p.parse_args()
    interval = a.interval_ms / 1000.0
    async with websockets.serve(lambda ws, path: handler(ws, path, interval), "127.0.0.1", a.port) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
