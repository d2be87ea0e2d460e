"""The host's share of an exec round trip: one raw socket per exec of `true`, no client
start-up, no libcurl. Prints the median time to the 101 and to the exit frame.
Usage: SPRITES_API_URL=http://127.0.0.1:PORT SPRITES_TOKEN=… python3 bench/exec-floor.py SPRITE [RUNS]"""
import base64, os, socket, statistics, struct, sys, time
from urllib.parse import urlsplit

sprite, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40
url = urlsplit(os.environ["SPRITES_API_URL"])
token = os.environ["SPRITES_TOKEN"]


def once():
    start = time.perf_counter()
    s = socket.create_connection((url.hostname, url.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /v1/sprites/{sprite}/exec?cmd=true&path=true&dir=/tmp&stdin=false HTTP/1.1\r\n"
               f"Host: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode())
    buf, upgraded, exited = b"", None, None
    while exited is None:
        data = s.recv(65536)
        if not data:
            raise SystemExit("the host closed the connection before the exit")
        buf += data
        if upgraded is None and b"\r\n\r\n" in buf:
            upgraded = time.perf_counter()
            buf = buf.split(b"\r\n\r\n", 1)[1]
        while upgraded is not None and len(buf) >= 2:
            op, n, h = buf[0] & 0xF, buf[1] & 0x7F, 2
            if n == 126:
                n, h = struct.unpack(">H", buf[2:4])[0], 4
            elif n == 127:
                n, h = struct.unpack(">Q", buf[2:10])[0], 10
            if len(buf) < h + n:
                break
            payload, buf = buf[h:h + n], buf[h + n:]
            if op == 2 and payload[:1] == b"\x03":  # the exit frame
                exited = time.perf_counter()
    s.close()
    return (upgraded - start) * 1000, (exited - start) * 1000


once()
times = [once() for _ in range(runs)]
print(f"{statistics.median(t[0] for t in times):.2f} {statistics.median(t[1] for t in times):.2f}")
