#!/usr/bin/python3
"""Mutant: the Python `websockets` nowtime server of tests/peers/broadcast.py with the most
common broadcast bug: the room's ticker awaits each member's send in turn, so one member
that stops reading (its send buffer full) blocks the loop and the whole room stops receiving.
Everything else is broadcast.py's. Prints `listening on HOST:PORT` once it accepts connections."""
import asyncio
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
import broadcast  # noqa: E402  (the correct server this mutant differs from in one function)
import websockets  # noqa: E402


async def head_of_line_ticker(room, interval):
    while True:
        await asyncio.sleep(interval)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        msg = json.dumps({"status": 200, "event": "nowtime", "data": now})
        for ws in list(room):
            try:
                await ws.send(msg)  # the fault: waits until this member's buffer drains
            except websockets.ConnectionClosed:
                pass


broadcast.ticker = head_of_line_ticker

if __name__ == "__main__":
    asyncio.run(broadcast.main())
