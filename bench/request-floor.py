"""The host's cost of one plain HTTP request on a new connection, beside the exec's (exec-floor.py):
a raw socket per request, no client start-up. Prints the median time to the reply's head.
Usage: SPRITES_API_URL=http://127.0.0.1:PORT SPRITES_TOKEN=… python3 bench/request-floor.py PATH [RUNS]
(a PATH no route serves, such as /nothing, is answered 404 before any route runs)"""
import os, socket, statistics, sys, time
from urllib.parse import urlsplit

path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300
url = urlsplit(os.environ["SPRITES_API_URL"])
token = os.environ["SPRITES_TOKEN"]


def once():
    start = time.perf_counter()
    s = socket.create_connection((url.hostname, url.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
               "Connection: close\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        data = s.recv(65536)
        if not data:
            raise SystemExit("the host closed the connection before its reply")
        head += data
    done = time.perf_counter()
    s.close()
    return (done - start) * 1000


once()
print(f"{statistics.median(once() for _ in range(runs)):.2f}")
