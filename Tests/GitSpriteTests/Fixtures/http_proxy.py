"""An HTTP proxy on loopback for tests: forwards absolute-form requests and opens CONNECT
tunnels, and logs each request line to LOG.

Usage: http_proxy.py LOG     (prints the port it listens on as the first line)
"""
import socket
import sys
import threading
from urllib.parse import urlsplit

log = open(sys.argv[1], "a")
lock = threading.Lock()
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(32)
print(listener.getsockname()[1], flush=True)


def relay(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.close()
            except OSError:
                pass


def serve(client):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(4096)
        if not chunk:
            client.close()
            return
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    line = head.split(b"\r\n")[0].decode()
    with lock:
        log.write(line + "\n")
        log.flush()
    method, target, _ = line.split(" ")
    if method == "CONNECT":
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            upstream.sendall(rest)
    else:
        url = urlsplit(target)
        upstream = socket.create_connection((url.hostname, url.port or 80))
        path = url.path + ("?" + url.query if url.query else "")
        # one request per connection keeps the relay simple
        head = head.replace(target.encode(), path.encode(), 1) + b"\r\nConnection: close"
        upstream.sendall(head + b"\r\n\r\n" + rest)
    threading.Thread(target=relay, args=(upstream, client), daemon=True).start()
    relay(client, upstream)


while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
