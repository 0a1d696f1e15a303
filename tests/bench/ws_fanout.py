#!/usr/bin/env python3
"""ws_fanout.py PORT TOKEN CLIENTS SECONDS -- CLIENTS WebSocket clients on
trades.BTC-USDT of a running quantd: messages delivered per second in all,
and for each trade the spread from the first client that got it to each
other (p50, p99, max): what fanning one message out to every subscriber
costs.  The clients share one Python process, whose own speed is part of
the figure (it is the slower side: the server's queues never filled)."""
import asyncio
import json
import sys
import time

import websockets

PORT, TOKEN, N, SECS = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
first = {}
spreads = []
count = 0
closed = 0


async def client(ready, go):
    global count, closed
    async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT, max_queue=None) as ws:
        await ws.send(json.dumps({"op": "auth", "token": TOKEN}))
        await ws.recv()
        await ws.send(json.dumps({"op": "subscribe", "channel": "trades.BTC-USDT"}))
        ready()
        await go.wait()
        end = time.monotonic() + SECS
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                m = await asyncio.wait_for(ws.recv(), left)
                now = time.monotonic()
                if '"type":"trade"' not in m:
                    continue
                d = json.loads(m)
                if d.get("type") != "trade":
                    continue
                d = d["data"]
                k = d["id"]
                count += 1
                if k in first:
                    spreads.append(now - first[k])
                else:
                    first[k] = now
        except asyncio.TimeoutError:
            pass
        except websockets.ConnectionClosed:
            closed += 1


async def main():
    go = asyncio.Event()
    n_ready = 0

    def ready():
        nonlocal n_ready
        n_ready += 1
        if n_ready == N:
            go.set()
    tasks = []
    for i in range(N):
        tasks.append(asyncio.create_task(client(ready, go)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    t0 = None
    await go.wait()
    t0 = time.monotonic()
    await asyncio.gather(*tasks)
    el = time.monotonic() - t0
    spreads.sort()
    pct = lambda q: spreads[min(len(spreads) - 1, int(q * len(spreads)))] * 1000 if spreads else float("nan")
    print("ws fan-out: %d clients on one channel, %.0f s: %d messages delivered, %.0f msgs/s (%d distinct trades, %.1f per second to each client); "
          "spread first->other client p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d clients closed early"
          % (N, el, count, count / el, len(first), len(first) / el, pct(0.5), pct(0.99),
             spreads[-1] * 1000 if spreads else float("nan"), closed))

asyncio.run(main())
