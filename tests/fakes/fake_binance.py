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

The private side (SIGNED endpoints, checked as the venue documents them:
HMAC-SHA256 hex of the query string followed by the body, or Ed25519
Base64; recvWindow and timestamp; X-MBX-APIKEY): /api/v3/time, order
(POST/GET/DELETE), openOrders (GET/DELETE), allOrders, myTrades, account;
the WebSocket API at /ws-api/v3 with its user data stream subscription
(userDataStream.subscribe.signature, signed over its parameters sorted by
name; events executionReport, outboundAccountPosition, wrapped as the
WebSocket API sends them).  Market orders fill at once at
the market price; limit orders when the market crosses them (in
FAKE_BINANCE_STEPS parts, 1 by default) or when told to.  Fees: 0.1 % of
the notional in the quote asset.  Controls: POST /fake/fill?cid=C&qty=Q
fills part of a resting order at its price; POST /fake/steps?n=N;
POST /fake/drop_user cuts the user data stream connections; POST /fake/delay?ms=N
delays order answers; POST /fake/private_limit?status=429&count=N
[&retry_after=S] answers the next N private requests with the venue's rate
limit error; POST /fake/balance?asset=A&free=F; POST /fake/hold_user?s=S
refuses WebSocket API connections for S s; GET /fake/record -> orders, fills, refusals
(by kind, bad signatures among them), counts.
Environment: FAKE_BINANCE_API_KEY / FAKE_BINANCE_API_SECRET (the HMAC
key's, "test-key" / "test-secret" by default), FAKE_BINANCE_ED25519_KEY and
FAKE_BINANCE_ED25519_PUB (an Ed25519 key's name and public PEM file),
FAKE_BINANCE_BALANCES ("USDT=100000,BTC=1", the default),
FAKE_BINANCE_LOT ("ETHUSDT=0.1": the lot step orders are checked against,
unlike the one exchangeInfo lists).
FAKE_HISTORY_MIN=N starts the market with N closed 1m candles
of history (candles only: no trades) for the REST klines to serve.
FAKE_ALIGN_MS=1 sends each trade right at the millisecond its time says
(the end-to-end latency bench measures from it).
"""
import asyncio
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import sys
import threading
import time
import urllib.parse
from decimal import Decimal as D

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
                msgs = cross(sym, p)
            await publish(sym, tid[sym], now, p, q, maker, prev, m)
            for msg in msgs:
                await push_user(msg)
        await asyncio.sleep(0.01)


async def ws_handler_binance(ws, path=None):
    if path is None:   # websockets calls a handler of one argument so
        path = getattr(ws, "path", None) or ws.request.path
    if path.startswith("/ws-api/v3"):
        return await ws_api(ws)
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


# ---- the private side -------------------------------------------------

API_KEY = os.environ.get("FAKE_BINANCE_API_KEY", "test-key")
API_SECRET = os.environ.get("FAKE_BINANCE_API_SECRET", "test-secret")
ED_KEY = os.environ.get("FAKE_BINANCE_ED25519_KEY")
ED_PUB = os.environ.get("FAKE_BINANCE_ED25519_PUB")
UNIT = D("0.00000001")
FEE_RATE = D("0.001")
balances = {}        # asset -> [free, locked]
for kv in os.environ.get("FAKE_BINANCE_BALANCES", "USDT=100000,BTC=1").split(","):
    a, v = kv.split("=")
    balances[a] = [D(v), D(0)]
porders = {}         # client id -> order
by_oid = {}          # venue order id -> order
pfills = []          # every fill
refused = {"duplicate": 0, "bad_signature": 0, "bad_key": 0,
           "timestamp": 0, "insufficient": 0, "filter": 0, "rate_limit": 0}
counts = {"private": 0, "place": 0, "cancel": 0, "query": 0, "sync": 0}
ctl = {"steps": int(os.environ.get("FAKE_BINANCE_STEPS", "1")),
       "delay_ms": 0, "limit_status": 0, "limit_count": 0,
       "limit_retry": None, "hold_user": 0.0}
ids = {"order": 5000, "trade": 90000}
user_conns = set()


def d8(x):
    return format(D(x).quantize(UNIT), "f")


def now_ms():
    return int(time.time() * 1000)


def bal(asset):
    return balances.setdefault(asset, [D(0), D(0)])


def order_json(o, full=False):
    j = {"symbol": o["symbol"], "orderId": o["orderId"], "orderListId": -1,
         "clientOrderId": o["cid"], "price": d8(o["price"]),
         "origQty": d8(o["qty"]), "executedQty": d8(o["filled"]),
         "cummulativeQuoteQty": d8(o["quote"]), "status": o["status"],
         "timeInForce": o["tif"], "type": o["type"], "side": o["side"],
         "stopPrice": d8(o["stop"]), "icebergQty": "0.00000000",
         "time": o["time"], "updateTime": o["update"], "isWorking": True,
         "workingTime": o["time"], "origQuoteOrderQty": "0.00000000",
         "selfTradePreventionMode": "NONE"}
    if full:
        j["transactTime"] = o["update"]
        j["fills"] = [{"price": d8(f["price"]), "qty": d8(f["qty"]),
                       "commission": d8(f["fee"]),
                       "commissionAsset": f["fee_asset"],
                       "tradeId": f["id"]} for f in o["fills"]]
    return j


def exec_report(o, xtype, f=None, reject="NONE"):
    return {"e": "executionReport", "E": now_ms(), "s": o["symbol"],
            "c": o["cid"] if xtype != "CANCELED" else "web_cancel",
            "S": o["side"], "o": o["type"], "f": o["tif"],
            "q": d8(o["qty"]), "p": d8(o["price"]), "P": d8(o["stop"]),
            "F": "0.00000000", "g": -1,
            "C": o["cid"] if xtype == "CANCELED" else "",
            "x": xtype, "X": o["status"], "r": reject, "i": o["orderId"],
            "l": d8(f["qty"]) if f else "0.00000000",
            "z": d8(o["filled"]),
            "L": d8(f["price"]) if f else "0.00000000",
            "n": d8(f["fee"]) if f else "0",
            "N": f["fee_asset"] if f else None,
            "T": f["time"] if f else o["update"],
            "t": f["id"] if f else -1, "v": 0, "I": 1, "w": True,
            "m": f["maker"] if f else False, "M": True, "O": o["time"],
            "Z": d8(o["quote"]),
            "Y": d8(f["qty"] * f["price"]) if f else "0.00000000",
            "Q": "0.00000000", "W": o["time"], "V": "NONE"}


def account_msg(assets):
    return {"e": "outboundAccountPosition", "E": now_ms(), "u": now_ms(),
            "B": [{"a": a, "f": d8(bal(a)[0]), "l": d8(bal(a)[1])}
                  for a in assets]}


def fill(o, qty, price, maker):
    """One fill of o (lock held): the record, balances, the reports."""
    base, quote = FILTERS[o["symbol"]][0], FILTERS[o["symbol"]][1]
    ids["trade"] += 1
    notional = (qty * price).quantize(UNIT)
    fee = (notional * FEE_RATE).quantize(UNIT)
    f = {"id": ids["trade"], "order_id": o["orderId"], "client_id": o["cid"],
         "symbol": o["symbol"], "side": o["side"].lower(), "qty": qty,
         "price": price, "fee": fee, "fee_asset": quote, "maker": maker,
         "time": now_ms()}
    o["filled"] += qty
    o["quote"] += notional
    o["fills"].append(f)
    o["status"] = "FILLED" if o["filled"] >= o["qty"] else "PARTIALLY_FILLED"
    o["update"] = f["time"]
    if o["side"] == "BUY":
        if o["type"] == "MARKET":
            bal(quote)[0] -= notional
        else:
            bal(quote)[1] -= (qty * o["price"]).quantize(UNIT)
            bal(quote)[0] += (qty * o["price"]).quantize(UNIT) - notional
        bal(base)[0] += qty
    else:
        if o["type"] == "MARKET":
            bal(base)[0] -= qty
        else:
            bal(base)[1] -= qty
        bal(quote)[0] += notional
    bal(quote)[0] -= fee
    pfills.append(f)
    return [exec_report(o, "TRADE", f), account_msg([base, quote])]


def release(o):
    """What a closed order still holds goes back (lock held)."""
    base, quote = FILTERS[o["symbol"]][0], FILTERS[o["symbol"]][1]
    left = o["qty"] - o["filled"]
    if o["type"] == "MARKET" or left <= 0:
        return
    if o["side"] == "BUY":
        amt = (left * o["price"]).quantize(UNIT)
        bal(quote)[1] -= amt
        bal(quote)[0] += amt
    else:
        bal(base)[1] -= left
        bal(base)[0] += left


def cross(sym, p):
    """Resting limit orders the market price p reaches fill, a step at a
    time (called by the market loop, lock held)."""
    msgs = []
    px = D(repr(p))
    for o in list(by_oid.values()):
        if (o["symbol"] != sym or o["status"] not in ("NEW", "PARTIALLY_FILLED")
                or o["type"] not in ("LIMIT", "LIMIT_MAKER")):
            continue
        if (o["side"] == "BUY" and px <= o["price"]) or \
           (o["side"] == "SELL" and px >= o["price"]):
            step = (o["qty"] / ctl["steps"]).quantize(D(FILTERS[sym][3]))
            q = min(max(step, D(FILTERS[sym][3])), o["qty"] - o["filled"])
            msgs += fill(o, q, o["price"], True)
    return msgs


async def push_user(msg):
    text = json.dumps({"subscriptionId": 0, "event": msg})
    for ws in list(user_conns):
        try:
            await ws.send(text)
        except Exception:
            pass


def push(msgs):
    """From an HTTP thread (lock released): the reports, in order."""
    if msgs:
        async def go():
            for m in msgs:
                await push_user(m)
        asyncio.run_coroutine_threadsafe(go(), loop).result()


def ws_api_check(params):
    """userDataStream.subscribe.signature's checks: the key, the signature
    over the other parameters sorted by name, the timestamp.  None, or
    the venue's (code, msg)."""
    key = params.get("apiKey")
    if key not in (API_KEY, ED_KEY) or key is None:
        with lock:
            refused["bad_key"] += 1
        return (-2015, "Invalid API-key, IP, or permissions for action.")
    payload = "&".join("%s=%s" % (k, params[k]) for k in sorted(params)
                       if k != "signature")
    sig = str(params.get("signature", ""))
    if key == API_KEY:
        ok = hmac.compare_digest(hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest(), sig.lower())
    else:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        try:
            load_pem_public_key(open(ED_PUB, "rb").read()).verify(base64.b64decode(sig), payload.encode())
            ok = True
        except Exception:
            ok = False
    if not ok:
        with lock:
            refused["bad_signature"] += 1
        return (-1022, "Signature for this request is not valid.")
    ts, rw, server = int(params.get("timestamp", 0)), int(params.get("recvWindow", 5000)), now_ms()
    if rw > 60000 or not (ts < server + 1000 and server - ts <= rw):
        with lock:
            refused["timestamp"] += 1
        return (-1021, "Timestamp for this request is outside of the recvWindow.")
    return None


async def ws_api(ws):
    """The WebSocket API, its user data stream requests: a subscription
    makes this connection receive the account's events, wrapped as
    {"subscriptionId":0,"event":{..}}."""
    if time.time() < ctl["hold_user"]:
        await ws.close(code=1013, reason="try again later")
        return
    try:
        async for text in ws:
            try:
                req = json.loads(text)
                rid, method = req.get("id"), req.get("method")
                params = req.get("params") or {}
            except (ValueError, AttributeError):
                await ws.send(json.dumps({"id": None, "status": 400, "error": {"code": -1102, "msg": "Malformed request."}}))
                continue
            if method == "userDataStream.subscribe.signature":
                why = ws_api_check(params)
                if why is None:
                    user_conns.add(ws)
                    await ws.send(json.dumps({"id": rid, "status": 200, "result": {"subscriptionId": 0}, "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000, "count": 2}]}))
                else:
                    await ws.send(json.dumps({"id": rid, "status": 400 if why[0] != -2015 else 401, "error": {"code": why[0], "msg": why[1]}}))
            elif method == "userDataStream.unsubscribe":
                user_conns.discard(ws)
                await ws.send(json.dumps({"id": rid, "status": 200, "result": {}}))
            else:
                await ws.send(json.dumps({"id": rid, "status": 400, "error": {"code": -1100, "msg": "Unknown method."}}))
    except websockets.ConnectionClosed:
        pass
    finally:
        user_conns.discard(ws)


def error(h, status, code, msg, kind=None):
    if kind:
        with lock:
            refused[kind] += 1
    h.reply(status, {"code": code, "msg": msg})


def authorized(h):
    """The venue's checks of a SIGNED request: its API key, its signature
    over the query string followed by the body, its timestamp against
    recvWindow.  Refusals answered; True if it passes."""
    key = h.headers.get("X-MBX-APIKEY")
    if key not in (API_KEY, ED_KEY) or key is None:
        error(h, 401, -2015, "Invalid API-key, IP, or permissions for action.", "bad_key")
        return False
    query = urllib.parse.urlparse(h.path).query
    body = h.body.decode()
    payload, sep, sig = query.rpartition("&signature=")
    if not sep:
        payload, sep, sig = body.rpartition("&signature=")
        payload = query + payload
    else:
        payload += body
    ok = False
    if key == API_KEY and sep:
        want = hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, sig.lower())
    elif key == ED_KEY and sep and ED_PUB:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        pub = load_pem_public_key(open(ED_PUB, "rb").read())
        try:
            pub.verify(base64.b64decode(urllib.parse.unquote(sig)), payload.encode())
            ok = True
        except Exception:
            ok = False
    if not ok:
        error(h, 400, -1022, "Signature for this request is not valid.", "bad_signature")
        return False
    q = dict(urllib.parse.parse_qsl(payload))
    try:
        ts = int(q["timestamp"])
        rw = int(q.get("recvWindow", 5000))
    except (KeyError, ValueError):
        error(h, 400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.", "timestamp")
        return False
    server = now_ms()
    if rw > 60000 or not (ts < server + 1000 and server - ts <= rw):
        error(h, 400, -1021, "Timestamp for this request is outside of the recvWindow.", "timestamp")
        return False
    return True


def rate_limited(h):
    with lock:
        counts["private"] += 1
        if ctl["limit_count"] <= 0:
            return False
        ctl["limit_count"] -= 1
        refused["rate_limit"] += 1
        status, retry = ctl["limit_status"], ctl["limit_retry"]
    headers = {"Retry-After": retry} if retry is not None else {}
    h.reply(status, {"code": -1003, "msg": "Too many requests; current "
                     "limit of IP(127.0.0.1) request weight per 1 MINUTE "
                     "is 6000."}, headers)
    return True


# FAKE_BINANCE_LOT="ETHUSDT=0.1": the order check's lot step, apart from
# what exchangeInfo lists (the venue's filters changed under the host).
lot_override = dict(kv.split("=") for kv in
                    os.environ.get("FAKE_BINANCE_LOT", "").split(",") if kv)


def filters_fail(sym, qty, price, typ):
    tick, lot, notional = (D(FILTERS[sym][2]),
                           D(lot_override.get(sym, FILTERS[sym][3])),
                           D(FILTERS[sym][4]))
    if qty < lot or qty % lot != 0:
        return "Filter failure: LOT_SIZE"
    if typ != "MARKET" and (price <= 0 or price % tick != 0):
        return "Filter failure: PRICE_FILTER"
    ref = price if typ != "MARKET" else D(repr(SYMBOLS[sym]))
    if qty * ref < notional:
        return "Filter failure: NOTIONAL"
    return None


def place(h, q):
    sym, side, typ = q.get("symbol"), q.get("side"), q.get("type")
    cid = q.get("newClientOrderId") or "x-%d" % (ids["order"] + 1)
    if sym not in FILTERS:
        return error(h, 400, -1121, "Invalid symbol.", "filter")
    if side not in ("BUY", "SELL") or typ not in (
            "MARKET", "LIMIT", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT",
            "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"):
        return error(h, 400, -1116, "Invalid orderType.", "filter")
    try:
        qty = D(q["quantity"])
        price = D(q.get("price", "0"))
        stop = D(q.get("stopPrice", "0"))
    except Exception:
        return error(h, 400, -1100, "Illegal characters found in parameter 'quantity'.", "filter")
    if "e" in q["quantity"].lower():
        return error(h, 400, -1100, "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.", "filter")
    if typ in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and q.get("timeInForce") not in ("GTC", "IOC", "FOK"):
        return error(h, 400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.", "filter")
    why = filters_fail(sym, qty, price, typ)
    if why:
        return error(h, 400, -1013, why, "filter")
    if ctl["delay_ms"]:
        time.sleep(ctl["delay_ms"] / 1000.0)
    base, quote = FILTERS[sym][0], FILTERS[sym][1]
    msgs = []
    with lock:
        if cid in porders:
            refused["duplicate"] += 1
            dup = True
        else:
            dup = False
            mkt = D(repr(SYMBOLS[sym]))
            need_q = (qty * (price if typ != "MARKET" else mkt) * (1 + FEE_RATE)).quantize(UNIT)
            short = (bal(quote)[0] < need_q) if side == "BUY" else (bal(base)[0] < qty)
            takes = typ == "LIMIT_MAKER" and ((side == "BUY" and price >= mkt) or (side == "SELL" and price <= mkt))
            if short:
                refused["insufficient"] += 1
            elif takes:
                refused["filter"] += 1
            else:
                ids["order"] += 1
                o = {"symbol": sym, "orderId": ids["order"], "cid": cid,
                     "side": side, "type": typ,
                     "tif": q.get("timeInForce", "GTC"), "qty": qty,
                     "price": price, "stop": stop, "filled": D(0),
                     "quote": D(0), "status": "NEW", "time": now_ms(),
                     "update": now_ms(), "fills": []}
                porders[cid] = o
                by_oid[o["orderId"]] = o
                counts["place"] += 1
                if typ != "MARKET":
                    if side == "BUY":
                        amt = (qty * price).quantize(UNIT)
                        bal(quote)[0] -= amt
                        bal(quote)[1] += amt
                    else:
                        bal(base)[0] -= qty
                        bal(base)[1] += qty
                    msgs.append(exec_report(o, "NEW"))
                    msgs.append(account_msg([base, quote]))
                else:
                    msgs.append(exec_report(o, "NEW"))
                    step = (qty / ctl["steps"]).quantize(D(FILTERS[sym][3]))
                    while o["filled"] < qty:
                        part = min(max(step, D(FILTERS[sym][3])), qty - o["filled"])
                        msgs += fill(o, part, mkt, False)
                answer = order_json(o, full=True)
    if dup:
        return error(h, 400, -2010, "Duplicate order sent.")
    if short:
        return error(h, 400, -2010, "Account has insufficient balance for requested action.")
    if takes:
        return error(h, 400, -2010, "Order would immediately match and take.")
    h.reply(200, answer)
    push(msgs)


def find(q):
    with lock:
        if "origClientOrderId" in q:
            o = porders.get(q["origClientOrderId"])
        else:
            o = by_oid.get(int(q.get("orderId", "0") or 0))
        return o if o is not None and o["symbol"] == q.get("symbol") else None


def cancel_one(o):
    """Lock held: cancel if open; the reports."""
    if o["status"] not in ("NEW", "PARTIALLY_FILLED"):
        return None
    o["status"] = "CANCELED"
    o["update"] = now_ms()
    release(o)
    base, quote = FILTERS[o["symbol"]][0], FILTERS[o["symbol"]][1]
    counts["cancel"] += 1
    return [exec_report(o, "CANCELED"), account_msg([base, quote])]


def private(h, method):
    """The private endpoints: True if h.path is one (answered)."""
    u = urllib.parse.urlparse(h.path)
    path = u.path
    if path == "/api/v3/time" and method == "GET":
        h.reply(200, {"serverTime": now_ms()})
        return True
    signed = path in ("/api/v3/order", "/api/v3/openOrders",
                      "/api/v3/allOrders", "/api/v3/myTrades",
                      "/api/v3/account")
    if not signed:
        return False
    if rate_limited(h) or not authorized(h):
        return True
    q = dict(urllib.parse.parse_qsl(u.query))
    q.update(dict(urllib.parse.parse_qsl(h.body.decode())))
    if path == "/api/v3/order" and method == "POST":
        place(h, q)
    elif path == "/api/v3/order" and method in ("GET", "DELETE"):
        o = find(q)
        if o is None:
            if method == "GET":
                error(h, 400, -2013, "Order does not exist.")
            else:
                error(h, 400, -2011, "Unknown order sent.")
            return True
        with lock:
            counts["query"] += method == "GET"
            msgs = cancel_one(o) if method == "DELETE" else None
            if method == "DELETE" and msgs is None:
                ans = None
            else:
                ans = order_json(o)
                if method == "DELETE":
                    ans["origClientOrderId"] = o["cid"]
                    ans["clientOrderId"] = "web_cancel"
        if ans is None:
            error(h, 400, -2011, "Unknown order sent.")
        else:
            h.reply(200, ans)
            push(msgs)
    elif path == "/api/v3/openOrders":
        with lock:
            mine = [o for o in by_oid.values()
                    if o["status"] in ("NEW", "PARTIALLY_FILLED")
                    and q.get("symbol") in (None, o["symbol"])]
            msgs = []
            if method == "DELETE":
                for o in mine:
                    msgs += cancel_one(o)
            ans = [order_json(o) for o in mine]
            for a in ans:
                if method == "DELETE":
                    a["origClientOrderId"] = a["clientOrderId"]
        h.reply(200, ans)
        push(msgs)
    elif path == "/api/v3/allOrders":
        with lock:
            counts["sync"] += 1
            mine = sorted((o for o in by_oid.values()
                           if o["symbol"] == q.get("symbol")),
                          key=lambda o: o["orderId"])
            ans = [order_json(o) for o in mine][-int(q.get("limit", 500)):]
        h.reply(200, ans)
    elif path == "/api/v3/myTrades":
        with lock:
            sel = [f for f in pfills if f["symbol"] == q.get("symbol")]
            if "orderId" in q:
                sel = [f for f in sel if f["order_id"] == int(q["orderId"])]
            if "fromId" in q:
                sel = [f for f in sel if f["id"] >= int(q["fromId"])]
            elif "startTime" in q:
                sel = [f for f in sel if f["time"] >= int(q["startTime"])]
            sel = sel[:int(q.get("limit", 500))]
            ans = [{"symbol": f["symbol"], "id": f["id"],
                    "orderId": f["order_id"], "orderListId": -1,
                    "price": d8(f["price"]), "qty": d8(f["qty"]),
                    "quoteQty": d8(f["qty"] * f["price"]),
                    "commission": d8(f["fee"]),
                    "commissionAsset": f["fee_asset"], "time": f["time"],
                    "isBuyer": f["side"] == "buy", "isMaker": f["maker"],
                    "isBestMatch": True} for f in sel]
        h.reply(200, ans)
    elif path == "/api/v3/account":
        with lock:
            bl = [{"asset": a, "free": d8(v[0]), "locked": d8(v[1])}
                  for a, v in sorted(balances.items())
                  if q.get("omitZeroBalances") != "true" or v[0] or v[1]]
        h.reply(200, {"makerCommission": 10, "takerCommission": 10,
                      "canTrade": True, "canWithdraw": True,
                      "canDeposit": True, "accountType": "SPOT",
                      "balances": bl, "permissions": ["SPOT"],
                      "updateTime": now_ms(), "uid": 354937868})
    else:
        error(h, 400, -1101, "Unsupported method.")
    return True


def record():
    names = {"NEW": "new", "PARTIALLY_FILLED": "partial", "FILLED": "filled",
             "CANCELED": "canceled", "EXPIRED": "expired"}
    with lock:
        return {"orders": [{"client_id": o["cid"], "order_id": o["orderId"],
                            "symbol": o["symbol"], "side": o["side"].lower(),
                            "type": o["type"], "qty": d8(o["qty"]),
                            "price": d8(o["price"]),
                            "status": names.get(o["status"], o["status"]),
                            "filled": d8(o["filled"])}
                           for o in by_oid.values()],
                "fills": [{"id": f["id"], "client_id": f["client_id"],
                           "order_id": f["order_id"], "symbol": f["symbol"],
                           "side": f["side"], "qty": d8(f["qty"]),
                           "price": d8(f["price"]), "fee": d8(f["fee"]),
                           "fee_asset": f["fee_asset"], "maker": f["maker"]}
                          for f in pfills],
                "refused": dict(refused), "counts": dict(counts),
                "balances": {a: [d8(v[0]), d8(v[1])]
                             for a, v in balances.items()},
                "user_streams": len(user_conns)}


async def drop_user():
    for ws in list(user_conns):
        ws.transport.abort()


def private_control(h, q, path):
    """POST /fake/... controls of the private side: True if served."""
    if path == "/fake/fill":
        with lock:
            o = porders.get(q.get("cid", ""))
            if o is None or o["status"] not in ("NEW", "PARTIALLY_FILLED"):
                msgs = None
            else:
                qty = min(D(q.get("qty", d8(o["qty"] - o["filled"]))), o["qty"] - o["filled"])
                msgs = fill(o, qty, D(q["price"]) if "price" in q else o["price"], True)
        if msgs is None:
            h.reply(404, {})
        else:
            h.reply(200, {})
            push(msgs)
        return True
    if path == "/fake/steps":
        ctl["steps"] = max(1, int(q.get("n", 1)))
    elif path == "/fake/delay":
        ctl["delay_ms"] = int(q.get("ms", 0))
    elif path == "/fake/private_limit":
        with lock:
            ctl["limit_status"] = int(q.get("status", 429))
            ctl["limit_count"] = int(q.get("count", 1))
            ctl["limit_retry"] = q.get("retry_after")
    elif path == "/fake/balance":
        with lock:
            bal(q["asset"])[0] = D(q["free"])
    elif path == "/fake/hold_user":
        ctl["hold_user"] = time.time() + float(q.get("s", 0))
    elif path == "/fake/drop_user":
        asyncio.run_coroutine_threadsafe(drop_user(), loop).result()
    else:
        return False
    h.reply(200, {})
    return True


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

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n > 0 else b""

    def do_PUT(self):
        self.read_body()
        if not private(self, "PUT"):
            self.reply(404, {})

    def do_DELETE(self):
        self.read_body()
        if not private(self, "DELETE"):
            self.reply(404, {})

    def do_GET(self):
        self.read_body()
        if private(self, "GET"):
            return
        if dialect_get is not None and dialect_get(self):
            return
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/fake/record":
            return self.reply(200, record())
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
        self.read_body()
        if private(self, "POST"):
            return
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if private_control(self, q, u.path):
            return
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
