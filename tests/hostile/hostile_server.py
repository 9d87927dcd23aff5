#!/usr/bin/python3
"""A deliberately hostile WebSocket "server" for pushcheck's robustness tests. It speaks
raw TCP so it can break every rule. Prints `listening on HOST:PORT`.

usage: hostile_server.py --mode MODE [--port 0]"""
import argparse
import base64
import hashlib
import json
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MODES = ["drop", "tls_alert", "not_http", "http_200", "silent", "huge_message", "deep_json", "invalid_utf8",
         "stall_mid_frame", "masked_frames", "hostile_payloads", "reset_after_welcome",
         "slow_headers", "bad_accept", "bad_frame_on_close"]


def read_request(conn, deadline=5.0):
    conn.settimeout(deadline)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    return data.decode("latin-1")


def accept_key(request):
    for line in request.split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip().encode()
            return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    return ""


def frame(payload, opcode=1, fin=True, mask=False, length=None):
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if mask:
        key = b"\x01\x02\x03\x04"
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


def handshake(conn, request, accept=None):
    key = accept if accept is not None else accept_key(request)
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Accept: {key}\r\n\r\n").encode())


def welcome():
    return json.dumps({"status": 200, "event": "notification", "data": "Welcome"}).encode()


def serve(conn, mode):
    try:
        request = read_request(conn)
        if request is None:
            return
        if mode == "drop":
            return  # read the upgrade request, answer nothing, close
        if mode == "tls_alert":
            # What a TLS server answers to plaintext: an alert record (protocol_version).
            conn.sendall(b"\x15\x03\x03\x00\x02\x02\x46")
            return
        if mode == "not_http":
            conn.sendall(b"\x00\xffSSH-2.0-definitely-not-http\r\n\x07\x08")
            return
        if mode == "http_200":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return
        if mode == "silent":
            time.sleep(30)
            return
        if mode == "slow_headers":
            for b in b"HTTP/1.1 101 Switching Protocols\r\n":
                conn.sendall(bytes([b]))
                time.sleep(0.5)
            return
        if mode == "bad_accept":
            handshake(conn, request, accept="d3Jvbmcga2V5")
            time.sleep(5)
            return
        handshake(conn, request)
        if mode == "huge_message":
            conn.sendall(frame(b"x" * (3 << 20)))
        elif mode == "deep_json":
            conn.sendall(frame(b"[" * 100000 + b"]" * 100000))
        elif mode == "invalid_utf8":
            conn.sendall(frame(b'{"event":"\xff\xfe\xc3\x28"}'))
        elif mode == "stall_mid_frame":
            conn.sendall(frame(b"", length=100)[:2] + b'{"status":')
        elif mode == "masked_frames":
            conn.sendall(frame(welcome(), mask=True))
        elif mode == "hostile_payloads":
            conn.sendall(frame(welcome()))
            nasty = '<script>alert(1)</script> & ]]> "quotes" \'single\' \x01\x07\x1b[31m'
            conn.sendall(frame(json.dumps({"status": 200, "event": nasty, "data": nasty}).encode()))
            conn.sendall(frame(b"<b>not json</b> ]]> \x00\x01"))
            conn.sendall(frame(b"\xff\xfe<&>", opcode=2))
        elif mode == "bad_frame_on_close":
            # Answers the client's close frame with a text frame that is not UTF-8, then
            # holds the connection: the client's read fails while its own close is under way.
            conn.sendall(frame(welcome()))
            conn.settimeout(30)
            data = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
                if len(data) >= 2 and data[0] & 0x0F == 8:
                    break
                if len(data) >= 2:  # skip a whole client frame (masked, short)
                    n = data[1] & 0x7F
                    if len(data) >= 6 + n:
                        data = data[6 + n:]
            conn.sendall(frame(b"\xff\xfe\xfd"))
        elif mode == "reset_after_welcome":
            conn.sendall(frame(welcome()))
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        time.sleep(30)  # hold the connection; the harness must give up on its own deadline
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=MODES)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(512)
    print(f"listening on 127.0.0.1:{srv.getsockname()[1]}", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, a.mode), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
