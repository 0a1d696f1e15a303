#!/usr/bin/python3
"""fake_binance.py PORTFILE -- a loopback Binance spot public API: the
WebSocket stream endpoint (/ws, SUBSCRIBE requests, trade / aggTrade /
kline_1m / bookTicker streams as documented) and REST /api/v3/klines,
generating a deterministic market of its own.  Writes "WSPORT HTTPPORT" to
PORTFILE.

Test controls (HTTP): GET /fake/trades?symbol=BTCUSDT -> every trade
generated, JSON; GET /fake/klines?symbol=BTCUSDT -> its closed 1m candles;
POST /fake/drop -> cut every WebSocket connection (no close frame);
POST /fake/drop?hold=S -> and refuse new ones for S seconds;
POST /fake/garbage -> send every connection malformed messages;
POST /fake/limit?status=429&retry_after=S&count=N -> answer the next N REST
kline requests with that status (and a Retry-After of S seconds if given);
GET /fake/rest_log -> [time, status] of every REST kline request served;
POST /fake/stall?s=S -> the WebSockets stay open but send nothing for S s.
Environment: FAKE_HISTORY_MIN=N starts the market with N closed 1m candles
of history (candles only: no trades) for the REST klines to serve.
FAKE_ALIGN_MS=1 sends each trade right at the millisecond its time says
(the end-to-end latency bench measures from it).
"""
import asyncio
import http.server
import json
import os
import random
import sys
import threading
import time
import urllib.parse

import websockets

SYMBOLS = {"BTCUSDT": 30000.0, "ETHUSDT": 2000.0}
lock = threading.Lock()
trades = {s: [] for s in SYMBOLS}        # (id, ts, price, qty, maker)
candles = {s: {} for s in SYMBOLS}       # open_ms -> [o, h, l, c, v, qv, n]
conns = set()
hold_until = 0.0
stall_until = 0.0     # connections stay open, nothing is sent on them


def stalled():
    return time.time() < stall_until
rng = random.Random(7)
loop = None


def fmt(x):
    return "%.8f" % x


def kline_msg(sym, t, c, closed):
    o, h, l, cl, v, qv, n = c
    return {"e": "kline", "E": int(time.time() * 1000), "s": sym,
            "k": {"t": t, "T": t + 59999, "s": sym, "i": "1m", "f": 0,
                  "L": 0, "o": fmt(o), "c": fmt(cl), "h": fmt(h),
                  "l": fmt(l), "v": fmt(v), "n": n, "x": closed,
                  "q": fmt(qv), "V": "0", "Q": "0", "B": "0"}}


async def broadcast(stream, msg):
    if stalled():
        return
    text = json.dumps(msg)
    for ws in list(conns):
        if stream in ws.subs:
            try:
                await ws.send(text)
            except Exception:
                pass


async def publish_binance(sym, tid, now, p, q, maker, prev, m):
    low = sym.lower()
    await broadcast(low + "@trade", {
        "e": "trade", "E": now, "s": sym, "t": tid,
        "p": fmt(p), "q": fmt(q), "T": now, "m": maker, "M": True})
    await broadcast(low + "@aggTrade", {
        "e": "aggTrade", "E": now, "s": sym, "a": tid,
        "p": fmt(p), "q": fmt(q), "f": tid, "l": tid,
        "T": now, "m": maker, "M": True})
    await broadcast(low + "@bookTicker", {
        "u": tid, "s": sym, "b": fmt(p - 0.01), "B": "1.0",
        "a": fmt(p + 0.01), "A": "2.0"})
    if prev is not None and prev != m:
        await broadcast(low + "@kline_1m",
                        kline_msg(sym, prev, candles[sym][prev], True))


publish = publish_binance


def history(minutes):
    """Closed 1m candles for the `minutes` before the current one."""
    start = int(time.time() * 1000) // 60000 * 60000 - minutes * 60000
    for sym in SYMBOLS:
        p = SYMBOLS[sym]
        for k in range(minutes):
            o = p
            h = l = p
            for _ in range(4):
                p = round(p * (1 + rng.uniform(-5e-4, 5e-4)), 2)
                h = max(h, p)
                l = min(l, p)
            v = round(rng.uniform(0.1, 5), 6)
            candles[sym][start + k * 60000] = [o, h, l, p, v, p * v, 4]
        SYMBOLS[sym] = p


async def market():
    last_min = {s: None for s in SYMBOLS}
    tid = {s: 1000 for s in SYMBOLS}
    align = os.environ.get("FAKE_ALIGN_MS") == "1"
    while True:
        now = int(time.time() * 1000)
        if align:
            # Spin to the next millisecond: the trade's time is when it
            # leaves, within the spin's few microseconds.
            now += 1
            while time.time() * 1000 < now:
                pass
        for sym in SYMBOLS:
            with lock:
                p = SYMBOLS[sym] = round(SYMBOLS[sym] * (1 + rng.uniform(-5e-4, 5e-4)), 2)
                q = round(rng.uniform(0.001, 0.5), 6)
                maker = rng.random() < 0.5
                tid[sym] += 1
                trades[sym].append((tid[sym], now, p, q, maker))
                m = now - now % 60000
                c = candles[sym].get(m)
                if c is None:
                    candles[sym][m] = [p, p, p, p, q, p * q, 1]
                else:
                    c[1] = max(c[1], p)
                    c[2] = min(c[2], p)
                    c[3] = p
                    c[4] += q
                    c[5] += p * q
                    c[6] += 1
                prev = last_min[sym]
                last_min[sym] = m
            await publish(sym, tid[sym], now, p, q, maker, prev, m)
        await asyncio.sleep(0.01)


async def ws_handler_binance(ws, path=None):
    if time.time() < hold_until:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    conns.add(ws)
    try:
        async for text in ws:
            try:
                req = json.loads(text)
            except ValueError:
                await ws.send(json.dumps({"error": {"code": 2, "msg": "Invalid JSON"}}))
                continue
            if req.get("method") == "SUBSCRIBE":
                ws.subs.update(req.get("params", []))
                await ws.send(json.dumps({"result": None, "id": req.get("id")}))
            elif req.get("method") == "UNSUBSCRIBE":
                ws.subs.difference_update(req.get("params", []))
                await ws.send(json.dumps({"result": None, "id": req.get("id")}))
    except websockets.ConnectionClosed:
        pass
    finally:
        conns.discard(ws)


async def drop_all():
    for ws in list(conns):
        ws.transport.abort()


async def garbage_all():
    for ws in list(conns):
        for g in ["{not json", "[1,2", '{"e":"trade","s":"BTCUSDT"}']:
            await ws.send(g)


# Each symbol's filters as /api/v3/exchangeInfo lists them today (spot
# BTCUSDT and ETHUSDT: 8-decimal text, NOTIONAL rather than the legacy
# MIN_NOTIONAL).
FILTERS = {
    "BTCUSDT": ("BTC", "USDT", "0.01000000", "0.00001000", "5.00000000"),
    "ETHUSDT": ("ETH", "USDT", "0.01000000", "0.00010000", "5.00000000"),
}
instr_log = []       # the query string of each instrument list request


def binance_symbol(sym):
    base, quote, tick, lot, notional = FILTERS[sym]
    return {
        "symbol": sym, "status": "TRADING", "baseAsset": base,
        "baseAssetPrecision": 8, "quoteAsset": quote, "quotePrecision": 8,
        "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS",
                       "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                       "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True,
        "cancelReplaceAllowed": True, "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick,
             "maxPrice": "1000000.00000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": lot,
             "maxQty": "9000.00000000", "stepSize": lot},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000",
             "maxQty": "100.00000000", "stepSize": "0.00000000"},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10,
             "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10,
             "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE",
             "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
             "askMultiplierUp": "5", "askMultiplierDown": "0.2",
             "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": notional,
             "applyMinToMarket": True, "maxNotional": "9000000.00000000",
             "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}],
        "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER",
                                            "EXPIRE_BOTH"]}


def get_binance(h):
    """GET /api/v3/exchangeInfo: every symbol, or those of `symbol` or
    the JSON array `symbols` (an unknown one is the venue's -1121)."""
    u = urllib.parse.urlparse(h.path)
    if u.path != "/api/v3/exchangeInfo":
        return False
    q = dict(urllib.parse.parse_qsl(u.query))
    with lock:
        instr_log.append(u.query)
    try:
        want = (json.loads(q["symbols"]) if "symbols" in q else
                [q["symbol"]] if "symbol" in q else sorted(SYMBOLS))
    except ValueError:
        want = None
    if not isinstance(want, list) or any(w not in SYMBOLS for w in want):
        h.reply(400, {"code": -1121, "msg": "Invalid symbol."})
        return True
    h.reply(200, {
        "timezone": "UTC", "serverTime": int(time.time() * 1000),
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
             "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND",
             "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE",
             "intervalNum": 5, "limit": 61000}],
        "exchangeFilters": [],
        "symbols": [binance_symbol(w) for w in want]})
    return True


dialect_get = get_binance   # a dialect's own REST paths: True if served
limit = {"status": 0, "retry_after": None, "count": 0}
rest_log = []        # [time (s), status] of each REST kline request


def rest_limited(handler):
    """Answer a REST kline request with the armed rate-limit status, if
    any (True), logging every kline request either way."""
    with lock:
        if limit["count"] > 0:
            limit["count"] -= 1
            rest_log.append([time.time(), limit["status"]])
            headers = {}
            if limit["retry_after"] is not None:
                headers["Retry-After"] = limit["retry_after"]
            handler.reply(limit["status"], {"code": -1003,
                          "msg": "Too many requests."}, headers)
            return True
        rest_log.append([time.time(), 200])
    return False


class Http(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if dialect_get is not None and dialect_get(self):
            return
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/fake/rest_log":
            with lock:
                return self.reply(200, rest_log)
        if u.path == "/fake/instruments_log":
            with lock:
                return self.reply(200, instr_log)
        sym = q.get("symbol", "")
        if sym not in SYMBOLS:
            return self.reply(400, {"code": -1121, "msg": "Invalid symbol."})
        now = int(time.time() * 1000)
        with lock:
            closed = sorted((t, c[:]) for t, c in candles[sym].items()
                            if t + 60000 <= now)
            tr = list(trades[sym])
        if u.path == "/api/v3/klines":
            if rest_limited(self):
                return
            lo = int(q.get("startTime", 0))
            hi = int(q.get("endTime", 1 << 62))
            lim = min(int(q.get("limit", 500)), 1000)
            rows = [[t, fmt(c[0]), fmt(c[1]), fmt(c[2]), fmt(c[3]),
                     fmt(c[4]), t + 59999, fmt(c[5]), c[6], "0", "0", "0"]
                    for t, c in closed if lo <= t <= hi][:lim]
            return self.reply(200, rows)
        if u.path == "/fake/klines":
            return self.reply(200, [[t] + c for t, c in closed])
        if u.path == "/fake/trades":
            return self.reply(200, tr)
        self.reply(404, {"code": -1, "msg": "not found"})

    def do_POST(self):
        global hold_until, stall_until
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/fake/drop":
            hold_until = time.time() + float(q.get("hold", 0))
            asyncio.run_coroutine_threadsafe(drop_all(), loop).result()
            return self.reply(200, {})
        if u.path == "/fake/stall":
            stall_until = time.time() + float(q.get("s", 30))
            return self.reply(200, {})
        if u.path == "/fake/limit":
            with lock:
                limit["status"] = int(q.get("status", 429))
                limit["retry_after"] = q.get("retry_after")
                limit["count"] = int(q.get("count", 1))
            return self.reply(200, {})
        if self.path == "/fake/garbage":
            asyncio.run_coroutine_threadsafe(garbage_all(), loop).result()
            return self.reply(200, {})
        self.reply(404, {})


ws_handler = ws_handler_binance


async def main():
    global loop
    loop = asyncio.get_running_loop()
    history(int(os.environ.get("FAKE_HISTORY_MIN", "0")))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Http)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    async with websockets.serve(lambda ws, path=None: ws_handler(ws, path),
                                "127.0.0.1", 0) as server:
        wsport = server.sockets[0].getsockname()[1]
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write("%d %d\n" % (wsport, httpd.server_address[1]))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        await market()


if __name__ == "__main__":
    asyncio.run(main())
