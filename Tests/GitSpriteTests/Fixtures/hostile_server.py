"""A Sprites API server that answers with what a broken or hostile server might send.

Usage: python hostile_server.py    (prints its port on the first line)
- any HTTP request: 429 with Retry-After: inf and retry_after_seconds: 1e308
- a WebSocket upgrade (exec): session_info, then an exit status far outside 0..255
"""
import base64, hashlib, json, socket, sys, threading

def serve(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return conn.close()
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in head.split("\r\n")[1:] if ":" in l}
    if headers.get("upgrade", "").lower() == "websocket":
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
        for message in ({"type": "session_info", "session_id": "1", "tty": False},
                        {"type": "exit", "exit_code": 99999999999999}):
            payload = json.dumps(message).encode()
            conn.sendall(bytes([0x81, len(payload)]) + payload)
        try:
            conn.recv(65536)
        except OSError:
            pass
    else:
        body = json.dumps({"error": "rate_limited", "message": "slow down", "retry_after_seconds": 1e308}).encode()
        conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: inf\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    conn.close()

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1])
sys.stdout.flush()
while True:
    c, _ = listener.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
