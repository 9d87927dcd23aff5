#!/usr/bin/python3
"""Async third-party client (websockets): reads the welcome and pushes, sends the close
request after the tenth message, then expects the bye and a close with code 1000."""
import asyncio
import json
import re
import sys

import websockets

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
WELCOME = {"status": 200, "event": "notification", "data": "Welcome"}


def check_push(msg):
    if msg.get("status") != 200 or msg.get("event") != "nowtime" or not TIMESTAMP.match(str(msg.get("data"))):
        raise SystemExit(f"not a push: {msg!r}")


async def main(url):
    async with websockets.connect(url, open_timeout=5, close_timeout=5) as ws:
        received = [json.loads(await asyncio.wait_for(ws.recv(), 5))]
        if received[0] != WELCOME:
            raise SystemExit(f"expected the welcome, got {received[0]!r}")
        while len(received) < 10:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            check_push(msg)
            received.append(msg)
        await ws.send(json.dumps({"event": "close"}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if msg == {"message": "bye"}:
                break
            check_push(msg)  # pushes already on their way may come before the bye
        try:
            extra = await asyncio.wait_for(ws.recv(), 5)
            raise SystemExit(f"message after the bye: {extra!r}")
        except websockets.ConnectionClosedOK as closed:
            code = closed.rcvd.code if closed.rcvd else None
            if code != 1000:
                raise SystemExit(f"close code {code}, expected 1000")
    print(f"websockets {websockets.__version__}: {len(received)} messages, bye, close 1000")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: interop_websockets.py ws://HOST:PORT/nowtime")
    asyncio.run(main(sys.argv[1]))
