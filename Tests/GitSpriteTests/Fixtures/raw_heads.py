"""Sends request heads sprite-host must refuse, over raw sockets, and prints what comes back.

usage: raw_heads.py PORT
Each case prints: NAME STATUS SECONDS CLOSED (STATUS is "none" when no answer came).
"""
import socket
import sys
import time

port = int(sys.argv[1])


def attempt(name, chunks, pause=0.0, wait=15.0):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    start = time.monotonic()
    try:
        for chunk in chunks:
            s.sendall(chunk)
            if pause:
                time.sleep(pause)
    except OSError:
        pass  # the host may close while we still send
    data = b""
    closed = False
    try:
        while True:
            got = s.recv(65536)
            if not got:
                closed = True
                break
            data += got
    except socket.timeout:
        pass
    except OSError:
        closed = True
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
    print(name, status, "%.1f" % (time.monotonic() - start), "closed" if closed else "open", flush=True)
    s.close()


# a 100 KB request line, never finished
attempt("long-line", [b"GET /v1/sprites/x/exec?cmd=" + b"a" * (100 * 1024)])
# 100 KB of header lines, never finished
attempt("big-head", [b"GET /v1/sprites HTTP/1.1\r\nHost: h\r\n"] + [b"X-Pad: " + b"p" * 1000 + b"\r\n"] * 100)
# whole heads, each in one piece: a request line over the limit, a head over it (the HTTP
# decoder behind refused these without a word, leaving the connection open)
for size in (70, 90, 120):
    attempt("whole-line-%dk" % size, [b"GET /v1/sprites?x=" + b"a" * (size * 1024) + b" HTTP/1.1\r\nHost: h\r\n\r\n"])
for size in (75, 90, 120):
    attempt("whole-head-%dk" % size, [b"GET /v1/sprites HTTP/1.1\r\nHost: h\r\n"] + [b"X-Pad: " + b"p" * 1000 + b"\r\n"] * size + [b"\r\n"])
# a head that stops half way (the host's timeout is set short for the test)
attempt("stalled", [b"GET /v1/sprites HTTP/1.1\r\nHost: h\r\n"])
# one byte at a time, forever: the deadline counts from the first byte
attempt("slow", [b"GET /v1/sprites HTTP/1.1\r\n"] + [b"X: y\r\n"] * 40, pause=0.25)
