"""REST calls, then a WebSocket upgrade, all on one keep-alive connection, as a client that
pools connections (Node's fetch and WebSocket) makes them.

  keepalive.py PORT TOKEN SPRITE MODE

MODE: `plain` (a GET, then the upgrade), `chunked` (a PUT with a chunked body, then the
upgrade), `pipelined` (the GET and the upgrade sent in one write). Prints one line per answer
("http <status>"), then "ws <status>", then the exec's output and "exit <code>".
"""
import base64
import os
import socket
import sys

port, token, sprite, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
buffered = b""


def recv_until(marker):
    global buffered
    while marker not in buffered:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed; had: %r" % buffered[:200])
        buffered += chunk
    head, buffered = buffered.split(marker, 1)
    return head


def recv_exactly(n):
    global buffered
    while len(buffered) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("connection closed in a body")
        buffered += chunk
    data, buffered = buffered[:n], buffered[n:]
    return data


def read_response():
    head = recv_until(b"\r\n\r\n").decode()
    lines = head.split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    if status != 101:
        if headers.get("transfer-encoding") == "chunked":
            while True:
                size = int(recv_until(b"\r\n").split(b";")[0], 16)
                recv_exactly(size + 2)
                if size == 0:
                    break
        else:
            recv_exactly(int(headers.get("content-length", "0")))
    return status, headers


auth = "Authorization: Bearer %s\r\n" % token
get = ("GET /v1/sprites/%s HTTP/1.1\r\nHost: localhost\r\n%s\r\n" % (sprite, auth)).encode()
body = b'{"labels": ["keepalive"]}'
chunked = ("PUT /v1/sprites/%s HTTP/1.1\r\nHost: localhost\r\n%sContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % (sprite, auth)).encode() + b"%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (
               len(body), body)
key = base64.b64encode(os.urandom(16)).decode()
upgrade = ("GET /v1/sprites/%s/exec?cmd=echo&cmd=hello-from-the-same-connection&path=echo&stdin=false HTTP/1.1\r\n"
           "Host: localhost\r\n%sUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n" % (sprite, auth, key)).encode()

if mode == "pipelined":
    sock.sendall(get + upgrade)
    print("http", read_response()[0], flush=True)
else:
    sock.sendall(chunked if mode == "chunked" else get)
    print("http", read_response()[0], flush=True)
    sock.sendall(upgrade)
status, _ = read_response()
print("ws", status, flush=True)
if status != 101:
    sys.exit(0)
out = b""
while True:
    b0, b1 = recv_exactly(2)
    length = b1 & 0x7F
    if length == 126:
        length = int.from_bytes(recv_exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(recv_exactly(8), "big")
    payload = recv_exactly(length)
    opcode = b0 & 0x0F
    if opcode == 2 and payload[:1] == b"\x01":
        out += payload[1:]
    elif opcode == 2 and payload[:1] == b"\x03":
        print(out.decode().strip())
        print("exit", payload[1])
        break
    elif opcode == 8:
        print(out.decode().strip())
        print("closed")
        break
