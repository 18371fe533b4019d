#!/usr/bin/env python3
"""delayproxy.py — a TCP proxy on loopback that delays every chunk by a fixed
time in each direction, to give benchmarks a real round-trip latency (the
kernel's netem is not available here).

usage: delayproxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
Only 127.0.0.0/8 addresses are accepted. Order of bytes is preserved.
"""
import asyncio
import sys
import time


def loopback(host):
    if not host.startswith("127."):
        sys.exit("delayproxy: only 127.0.0.0/8 addresses are allowed")
    return host


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((time.monotonic() + delay, data))
    except OSError:
        pass
    queue.put_nowait((0, None))
    try:
        await task
    except OSError:
        pass


async def main():
    lhost, lport, thost, tport, delay_ms = sys.argv[1:6]
    loopback(lhost)
    loopback(thost)
    delay = float(delay_ms) / 1000.0

    async def handle(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection(thost, int(tport))
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, swriter, delay), pump(sreader, cwriter, delay))
        for w in (cwriter, swriter):
            try:
                w.close()
            except OSError:
                pass

    server = await asyncio.start_server(handle, lhost, int(lport))
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    asyncio.run(main())
