#!/usr/bin/python3
"""A nowtime server on Python websockets with one ticker per room and websockets.broadcast.
Prints `listening on HOST:PORT` once it accepts connections."""
import argparse
import asyncio
import datetime
import json

import websockets

ROOMS = {"/nowtime": set()}
BYE = json.dumps({"message": "bye"})


async def ticker(room, interval):
    while True:
        await asyncio.sleep(interval)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        websockets.broadcast(room, json.dumps({"status": 200, "event": "nowtime", "data": now}))


async def handler(ws, path):
    room = ROOMS.get(path)
    if room is None:
        await ws.send(json.dumps({"status": 404, "event": "notification", "data": "Unknown url"}))
        await ws.close(1008, "unknown room")
        return
    await ws.send(json.dumps({"status": 200, "event": "notification", "data": "Welcome"}))
    room.add(ws)
    try:
        async for message in ws:
            try:
                data = json.loads(message)
            except (ValueError, TypeError):
                continue
            if isinstance(data, dict) and data.get("event") == "close":
                room.discard(ws)
                await ws.send(BYE)
                await ws.close(1000)
                return
    except websockets.ConnectionClosed:
        pass
    finally:
        room.discard(ws)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--interval-ms", type=int, default=3000)
    a = p.parse_args()
    async with websockets.serve(handler, "127.0.0.1", a.port) as server:
        for room in ROOMS.values():
            asyncio.ensure_future(ticker(room, a.interval_ms / 1000.0))
        print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
