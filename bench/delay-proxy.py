#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by DELAY_MS in each direction, keeping order and
adding no bandwidth cap: a WAN-like round trip (2 x DELAY_MS) in front of a local service.
Usage: delay-proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS [CONNECT_RTTS]  (prints the port
when ready; LISTEN_PORT 0 picks one). CONNECT_RTTS (default 0) round trips pass after a connection
is accepted before the first byte of the client goes on: what a new connection costs before it
carries a request (1 for TCP's handshake, 2 with TLS 1.3's on top, as the real service's edge)."""
import asyncio
import sys


async def pipe(reader, writer, delay, not_before=0.0):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((max(loop.time(), not_before) + delay, data or None))
            if not data:
                break
    except OSError:
        queue.put_nowait((loop.time() + delay, None))
    await sender


async def main():
    listen, host, port, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) / 1000
    handshake = (int(sys.argv[5]) if len(sys.argv) > 5 else 0) * 2 * delay

    async def handle(client_reader, client_writer):
        ready = asyncio.get_running_loop().time() + handshake
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, delay, ready), pipe(server_reader, client_writer, delay),
            return_exceptions=True)
        for w in (client_writer, server_writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
