#!/usr/bin/python3
"""Sync third-party client (websocket-client): reads the welcome and pushes, sends the
close request after the tenth message, then expects the bye and a close with code 1000."""
import json
import re
import struct
import sys

import websocket

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
WELCOME = {"status": 200, "event": "notification", "data": "Welcome"}


def check_push(msg):
    if msg.get("status") != 200 or msg.get("event") != "nowtime" or not TIMESTAMP.match(str(msg.get("data"))):
        raise SystemExit(f"not a push: {msg!r}")


def main(url):
    ws = websocket.create_connection(url, timeout=5)
    received = [json.loads(ws.recv())]
    if received[0] != WELCOME:
        raise SystemExit(f"expected the welcome, got {received[0]!r}")
    while len(received) < 10:
        msg = json.loads(ws.recv())
        check_push(msg)
        received.append(msg)
    ws.send(json.dumps({"event": "close"}))
    while True:
        msg = json.loads(ws.recv())
        if msg == {"message": "bye"}:
            break
        check_push(msg)  # pushes already on their way may come before the bye
    opcode, frame = ws.recv_data_frame(True)  # answers the close frame itself
    if opcode != websocket.ABNF.OPCODE_CLOSE:
        raise SystemExit(f"expected the close frame after the bye, got opcode {opcode}: {frame.data!r}")
    code = struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None
    if code != 1000:
        raise SystemExit(f"close code {code}, expected 1000")
    ws.close()
    print(f"websocket-client {websocket.__version__}: {len(received)} messages, bye, close 1000")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: interop_websocket_client.py ws://HOST:PORT/nowtime")
    main(sys.argv[1])
