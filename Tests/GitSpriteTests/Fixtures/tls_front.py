"""A TLS front for sprite-host on loopback, so tests can speak https:// and wss:// to it.

Usage: tls_front.py CERT KEY UPSTREAM_PORT
Listens on 127.0.0.1 (a free port, printed as the first line), terminates TLS with CERT/KEY,
and relays each connection's bytes both ways to 127.0.0.1:UPSTREAM_PORT.
"""
import socket
import ssl
import sys
import threading

cert, key, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)

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
    try:
        secure = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        client.close()
        return
    plain = socket.create_connection(("127.0.0.1", upstream))
    threading.Thread(target=relay, args=(plain, secure), daemon=True).start()
    relay(secure, plain)


while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
