"""Loopback relays for tests; each prints the port it listens on as its first line.

  relay.py tls CERT KEY UPSTREAM_PORT   a TLS front: terminates TLS with CERT/KEY and relays
                                        each connection to 127.0.0.1:UPSTREAM_PORT
  relay.py proxy LOG                    an HTTP proxy: forwards absolute-form requests and
                                        opens CONNECT tunnels; logs each request line to LOG
"""
import socket
import ssl
import sys
import threading
from urllib.parse import urlsplit

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(32)
lock = threading.Lock()


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


def both_ways(client, upstream):
    threading.Thread(target=relay, args=(upstream, client), daemon=True).start()
    relay(client, upstream)


def tls_front(client, context, upstream_port):
    try:
        secure = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        client.close()
        return
    both_ways(secure, socket.create_connection(("127.0.0.1", upstream_port)))


def proxy(client, log):
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
    both_ways(client, upstream)


if sys.argv[1] == "tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    serve, extra = tls_front, (context, int(sys.argv[4]))
else:
    serve, extra = proxy, (open(sys.argv[2], "a"),)
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,) + extra, daemon=True).start()
