"""A Sprites API server that answers with what a broken or hostile server might send.

Usage: python hostile_server.py [MODE]    (prints its port on the first line)

Plain HTTP requests, by MODE:
- ratelimit (default): 429 with Retry-After: inf and retry_after_seconds: 1e308
- invalid-json: 200 with a body that is not JSON
- wrong-types: 200 with JSON whose fields have the wrong types
- huge: 200 with a 100 MiB JSON body
- truncated: 200 whose body stops half-way (Content-Length promises more)
- unknown-status: 200 with sprites in a status no client knows
- html-502: 502 with a proxy's HTML page
- empty: 200 with an empty body
- unauthorized: 401 with a JSON error
- escaping-list: a sprite whose /fs/list of any path lists a file named ../escaped (and /fs/read
  answers "x")
- kill-hangs: a sprite; a session kill (POST .../kill) is never answered
- go-server: as the service's own (Go) server answers: no checkpoints is `null`, a checkpoint
  that fails ends in {"type": "error", "error": "…"}, a service defined without arguments has
  "args": null, "needs": null and no state
A WebSocket upgrade (exec) in kill-hangs: no signal capability; session_info, stdout "ready",
then, once a kill has arrived, exit status 130 (the command ended by the Ctrl-C)
A WebSocket upgrade (exec), by MODE:
- non-utf8: stdout that is not UTF-8, then exit status 0
- cut: some stdout, then the connection closes without an exit frame
- otherwise: session_info, then an exit status far outside 0..255
"""
import base64, hashlib, json, socket, sys, threading, time

MODE = sys.argv[1] if len(sys.argv) > 1 else "ratelimit"
NON_UTF8 = b"\xff\xfe bytes \xc3\x28 that are not UTF-8 \x80\n"
KILLED = threading.Event()


def frame(opcode, payload):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + n.to_bytes(8, "big")
    return head + payload


def sprite(name, status):
    return {"id": "s-" + name, "name": name, "organization": "o", "url": "https://" + name + ".example",
            "status": status, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def http_answer(conn, path):
    def send(status, body, content_type="application/json", length=None):
        length = len(body) if length is None else length
        conn.sendall(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                     % (status.encode(), content_type.encode(), length) + body)

    if MODE == "invalid-json":
        send("200 OK", b'{"sprites": [{"name": "app-main", "status": ')
    elif MODE == "wrong-types":
        send("200 OK", json.dumps({"sprites": "none", "name": 42, "status": ["cold"], "has_more": "no"}).encode())
    elif MODE == "huge":
        filler = b" " * (1 << 20)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % (100 * len(filler) + 2))
        try:
            conn.sendall(b"{")
            for _ in range(100):
                conn.sendall(filler)
            conn.sendall(b"}")
        except OSError:
            pass
    elif MODE == "truncated":
        body = json.dumps({"sprites": [sprite("app-main", "warm")], "has_more": False}).encode()
        send("200 OK", body[: len(body) // 2], length=len(body))
    elif MODE == "unknown-status":
        one = sprite("app-main", "hibernating")
        one["labels"] = ["git-sprite", "repo=app"]
        body = one if path.split("?")[0].rstrip("/") != "/v1/sprites" else {"sprites": [one], "has_more": False}
        send("200 OK", json.dumps(body).encode())
    elif MODE == "html-502":
        send("502 Bad Gateway", b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
             b"<p>The upstream server returned an invalid response.</p></body></html>\n", "text/html")
    elif MODE == "empty":
        send("200 OK", b"")
    elif MODE == "escaping-list":
        route, _, query = path.partition("?")
        listed = next((v for k, _, v in (p.partition("=") for p in query.split("&")) if k == "path"), "/")
        listed = listed.replace("%2F", "/")
        if route.endswith("/fs/list"):
            entry = {"name": "../escaped", "path": "/home/sprite/workspace/t/x", "type": "file", "size": 1,
                     "mode": "0644", "modTime": "2026-01-01T00:00:00Z", "isDir": False}
            send("200 OK", json.dumps({"path": listed, "count": 1, "entries": [entry]}).encode())
        elif route.endswith("/fs/read"):
            send("200 OK", b"x", "application/octet-stream")
        else:
            send("200 OK", json.dumps(sprite("box", "warm")).encode())
    elif MODE == "kill-hangs":
        if path.split("?")[0].endswith("/kill"):
            KILLED.set()
            time.sleep(3600)
        else:
            send("200 OK", json.dumps(sprite("box", "warm")).encode())
    elif MODE == "go-server":
        route = path.split("?")[0]
        if route.endswith("/checkpoints"):
            send("200 OK", b"null")
        elif route.endswith("/checkpoint"):
            send("200 OK", b'{"type":"info","data":"Creating checkpoint..."}\n'
                 b'{"type":"error","error":"Checkpoint failed: disk full"}\n', "application/x-ndjson")
        elif route.endswith("/services"):
            send("200 OK", json.dumps([{"name": "web", "cmd": "python3", "args": None, "needs": None}]).encode())
        else:
            send("200 OK", json.dumps(sprite("box", "warm")).encode())
    elif MODE == "unauthorized":
        send("401 Unauthorized", json.dumps({"error": "unauthorized", "message": "invalid token"}).encode())
    conn.close()


def websocket(conn, headers):
    accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                           .encode()).digest()).decode()
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    conn.sendall(frame(1, json.dumps({"type": "session_info", "session_id": "1", "tty": False}).encode()))
    if MODE == "non-utf8":
        conn.sendall(frame(2, b"\x01" + NON_UTF8))
        conn.sendall(frame(2, b"\x02" + NON_UTF8))
        conn.sendall(frame(2, b"\x03\x00"))
    elif MODE == "kill-hangs":
        conn.sendall(frame(2, b"\x01ready\n"))
        KILLED.wait()
        conn.sendall(frame(1, json.dumps({"type": "exit", "exit_code": 130}).encode()))
    elif MODE == "cut":
        conn.sendall(frame(2, b"\x01partial output\n"))
        conn.close()
        return
    else:
        conn.sendall(frame(1, json.dumps({"type": "exit", "exit_code": 99999999999999}).encode()))
    try:
        conn.recv(65536)
    except OSError:
        pass
    conn.close()


def serve(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return conn.close()
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    lines = head.split("\r\n")
    path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    if headers.get("upgrade", "").lower() == "websocket":
        websocket(conn, headers)
    elif MODE == "ratelimit":
        body = json.dumps({"error": "rate_limited", "message": "slow down", "retry_after_seconds": 1e308}).encode()
        conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: inf\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        conn.close()
    else:
        http_answer(conn, path)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1])
sys.stdout.flush()
while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
