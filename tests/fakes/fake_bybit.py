#!/usr/bin/python3
"""fake_bybit.py PORTFILE -- a loopback Bybit v5 spot API on the market of
fake_binance.py.

Public: the WebSocket (subscribe / ping ops, the publicTrade, kline.1 and
orderbook.1 topics as documented) and REST /v5/market/kline (newest
first), /v5/market/instruments-info, /v5/market/time, plus the same
/fake/... controls as fake_binance.py.

Private, written from Bybit's documented scheme (docs/v5/guide.mdx,
wss-authentication.mdx), not from the adapter: every signed request is
checked -- X-BAPI-API-KEY, X-BAPI-TIMESTAMP within X-BAPI-RECV-WINDOW
(server_time - recv_window <= timestamp < server_time + 1000),
X-BAPI-SIGN = hex HMAC-SHA256(secret, timestamp + key + recv_window +
query string | body) -- and refused with the venue's retCode (10003 key,
10004 sign, 10002 time).  Spot orders (/v5/order/create, cancel,
cancel-all, realtime, history), /v5/execution/list and
/v5/account/wallet-balance; orders kept per orderLinkId (a second one is
170141), balances locked and settled in exact decimals (fees 0.1 %: a buy
pays in the base coin, a sell in the quote, as the venue does; env
FAKE_BYBIT_FEE=quote puts every fee in the quote), limit orders fill when
the market crosses them, in FAKE steps.  The private WebSocket
/v5/private: op auth (HMAC of "GET/realtime" + expires), subscribe, ping;
pushes topics order, execution and wallet.

Environment: FAKE_BYBIT_KEY / FAKE_BYBIT_SECRET (the one valid key pair),
FAKE_BYBIT_BALANCES ("USDT=100000,BTC=1"), FAKE_BYBIT_LOT (the quantity
step orders must keep, when stricter than the instrument list says).  Controls (HTTP POST):
/fake/drop_private?hold=S cut the private streams (and refuse new ones for
S s); /fake/ack_delay?s=S answer order requests S s late; /fake/steps?n=N
a crossed limit order fills in N parts; /fake/fill?link=CID&qty=Q fill
that much of an open order now (at its price); /fake/limit_private?
status=429&count=N&retry_after=S or ?code=10006&count=N answer the next N
private requests so (with &path=/v5/order/create only those of that path); /fake/balance?coin=C&amount=A[&silent=1] (silent: no wallet push, as
if the stream missed it).  GET /fake/record:
orders, fills, refusals by reason and bad signatures.
"""
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import sys
import threading
import time
import urllib.parse
from decimal import Decimal as D, ROUND_HALF_UP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_binance as fb  # noqa: E402
import websockets  # noqa: E402


async def publish_bybit(sym, tid, now, p, q, maker, prev, m):
    await fb.broadcast("publicTrade." + sym, {
        "topic": "publicTrade." + sym, "type": "snapshot", "ts": now,
        "data": [{"T": now, "s": sym, "S": "Sell" if maker else "Buy",
                  "v": fb.fmt(q), "p": fb.fmt(p), "i": str(tid),
                  "BT": False, "seq": tid}]})
    await fb.broadcast("orderbook.1." + sym, {
        "topic": "orderbook.1." + sym, "type": "snapshot", "ts": now,
        "data": {"s": sym, "b": [[fb.fmt(p - 0.01), "1.0"]],
                 "a": [[fb.fmt(p + 0.01), "2.0"]], "u": tid, "seq": tid},
        "cts": now})
    if prev is not None and prev != m:
        o, h, l, c, v, qv, n = fb.candles[sym][prev]
        await fb.broadcast("kline.1." + sym, {
            "topic": "kline.1." + sym, "type": "snapshot", "ts": now,
            "data": [{"start": prev, "end": prev + 59999, "interval": "1",
                      "open": fb.fmt(o), "close": fb.fmt(c),
                      "high": fb.fmt(h), "low": fb.fmt(l),
                      "volume": fb.fmt(v), "turnover": fb.fmt(qv),
                      "confirm": True, "timestamp": now}]})


async def ws_handler_bybit(ws, path=None):
    path = path or getattr(ws, "path", None) or getattr(
        getattr(ws, "request", None), "path", "")
    if path.startswith("/v5/private"):
        return await ws_private(ws)
    if time.time() < fb.hold_until:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    fb.conns.add(ws)
    try:
        async for text in ws:
            try:
                req = json.loads(text)
            except ValueError:
                continue
            op = req.get("op")
            if op == "subscribe":
                ws.subs.update(req.get("args", []))
                await ws.send(json.dumps({"success": True, "ret_msg": "",
                                          "conn_id": "fake", "op": op,
                                          "req_id": req.get("req_id")}))
            elif op == "ping":
                await ws.send(json.dumps({"success": True,
                                          "ret_msg": "pong",
                                          "conn_id": "fake", "op": "ping"}))
    except websockets.ConnectionClosed:
        pass
    finally:
        fb.conns.discard(ws)


# Spot BTCUSDT and ETHUSDT as instruments-info lists them: steps and
# minimums without padding zeros, unlike Binance's.
INSTRUMENTS = {
    "BTCUSDT": ("BTC", "USDT", "0.1", "0.000001", "0.000048", "5"),
    "ETHUSDT": ("ETH", "USDT", "0.01", "0.00001", "0.00062", "5"),
}


def bybit_instrument(sym):
    base, quote, tick, step, min_qty, min_amt = INSTRUMENTS[sym]
    return {"symbol": sym, "baseCoin": base, "quoteCoin": quote,
            "innovation": "0", "status": "Trading",
            "marginTrading": "utaOnly", "stTag": "0",
            "lotSizeFilter": {"basePrecision": step,
                              "quotePrecision": "0.0000001",
                              "minOrderQty": min_qty, "maxOrderQty": "230",
                              "minOrderAmt": min_amt,
                              "maxOrderAmt": "8000000"},
            "priceFilter": {"tickSize": tick},
            "riskParameters": {"priceLimitRatioX": "0.005",
                               "priceLimitRatioY": "0.01"}}


def get_instruments(h, u):
    q = dict(urllib.parse.parse_qsl(u.query))
    with fb.lock:
        fb.instr_log.append(u.query)
    if q.get("category") != "spot":
        # The fake lists spot only; Bybit answers a bad category so.
        h.reply(200, {"retCode": 10001, "retMsg": "params error",
                      "result": {}, "retExtInfo": {},
                      "time": int(time.time() * 1000)})
        return True
    want = [q["symbol"]] if "symbol" in q else sorted(fb.SYMBOLS)
    h.reply(200, {"retCode": 0, "retMsg": "OK",
                  "result": {"category": "spot",
                             "list": [bybit_instrument(s) for s in want
                                      if s in INSTRUMENTS]},
                  "retExtInfo": {}, "time": int(time.time() * 1000)})
    return True


def get_bybit(h):
    u = urllib.parse.urlparse(h.path)
    if u.path.startswith("/v5/") and u.path in PRIVATE_GET:
        return private(h, u, "GET", u.query)
    if u.path.startswith("/fake/record"):
        with fb.lock:
            h.reply(200, {"orders": list(orders.values()), "fills": fills,
                          "refused": dict(refused)})
        return True
    if u.path == "/v5/market/time":
        now = time.time()
        h.reply(200, {"retCode": 0, "retMsg": "OK",
                      "result": {"timeSecond": str(int(now)),
                                 "timeNano": str(int(now * 1e9))},
                      "retExtInfo": {}, "time": int(now * 1000)})
        return True
    if u.path == "/v5/market/instruments-info":
        return get_instruments(h, u)
    if u.path != "/v5/market/kline":
        return False
    q = dict(urllib.parse.parse_qsl(u.query))
    sym = q.get("symbol", "")
    if sym not in fb.SYMBOLS:
        h.reply(200, {"retCode": 10001, "retMsg": "params error"})
        return True
    now = int(time.time() * 1000)
    lo = int(q.get("start", 0))
    hi = int(q.get("end", 1 << 62))
    lim = min(int(q.get("limit", 200)), 1000)
    with fb.lock:
        rows = sorted(((t, c[:]) for t, c in fb.candles[sym].items()
                       if t + 60000 <= now and lo <= t <= hi), reverse=True)
    rows = [[str(t), fb.fmt(c[0]), fb.fmt(c[1]), fb.fmt(c[2]),
             fb.fmt(c[3]), fb.fmt(c[4]), fb.fmt(c[5])] for t, c in rows][:lim]
    h.reply(200, {"retCode": 0, "retMsg": "OK",
                  "result": {"category": "spot", "symbol": sym,
                             "list": rows}})
    return True


# ---- the private side --------------------------------------------------

KEY = os.environ.get("FAKE_BYBIT_KEY", "fake-key")
SECRET = os.environ.get("FAKE_BYBIT_SECRET", "fake-secret")
FEE = D("0.001")
FEE_IN_QUOTE = os.environ.get("FAKE_BYBIT_FEE") == "quote"
UNIT = D("0.00000001")
balances = {}           # coin -> [total, locked] (Decimal)
for kv in os.environ.get("FAKE_BYBIT_BALANCES", "USDT=100000").split(","):
    if "=" in kv:
        c, a = kv.split("=")
        balances[c] = [D(a), D(0)]
orders = {}             # orderLinkId -> the order as /fake/record shows it
book = {}               # orderLinkId -> working state
fills = []
refused = {"duplicate": 0, "bad_sign": 0, "bad_key": 0, "timestamp": 0,
           "insufficient": 0, "invalid": 0, "rate": 0, "unknown": 0}
ctl = {"ack_delay": 0.0, "steps": 2, "limit_count": 0, "limit_status": 0,
       "limit_code": 0, "retry_after": None, "limit_path": None,
       "private_hold": 0.0}
private_conns = set()
ids = itertools.count(1)
PRIVATE_GET = {"/v5/order/realtime", "/v5/order/history",
               "/v5/execution/list", "/v5/account/wallet-balance"}
PRIVATE_POST = {"/v5/order/create", "/v5/order/cancel",
                "/v5/order/cancel-all"}
OPEN = ("New", "PartiallyFilled")


def now_ms():
    return int(time.time() * 1000)


def answer(h, code, msg, result=None, status=200, headers=None):
    h.reply(status, {"retCode": code, "retMsg": msg,
                     "result": result if result is not None else {},
                     "retExtInfo": {}, "time": now_ms()}, headers)
    return True


def dtext(x):
    t = format(x.normalize(), "f")
    return t


def bal(coin):
    return balances.setdefault(coin, [D(0), D(0)])


def wallet_item():
    return {"accountType": "UNIFIED", "coin": [
        {"coin": c, "walletBalance": dtext(t), "locked": dtext(l),
         "equity": dtext(t), "usdValue": "0"}
        for c, (t, l) in sorted(balances.items())]}


def order_item(o):
    w = book[o["client_id"]]
    return {"category": "spot", "symbol": o["symbol"],
            "orderId": o["order_id"], "orderLinkId": o["client_id"],
            "side": w["side"], "orderType": w["type"],
            "price": w["price_text"], "qty": o["qty"],
            "timeInForce": w["tif"], "orderStatus": w["status"],
            "cumExecQty": dtext(w["cum"]),
            "avgPrice": dtext(w["cost"] / w["cum"]) if w["cum"] else "",
            "rejectReason": "EC_NoError", "createdTime": str(w["t"]),
            "updatedTime": str(now_ms())}


def push(topic, data):
    msg = json.dumps({"id": "%d" % next(ids), "topic": topic,
                      "creationTime": now_ms(), "data": data})

    async def send():
        for ws in list(private_conns):
            if getattr(ws, "subs", None) and topic in ws.subs:
                try:
                    await ws.send(msg)
                except Exception:
                    pass
    if fb.loop is not None:
        asyncio.run_coroutine_threadsafe(send(), fb.loop)


def set_status(w, o):
    o["status"] = w["status"]
    o["filled"] = dtext(w["cum"])


def execute(cid, qty, price, maker):
    """Fill qty of order cid at price (the lock is held): balances,
    record, pushes."""
    w = book[cid]
    o = orders[cid]
    base, quote = INSTRUMENTS[o["symbol"]][0], INSTRUMENTS[o["symbol"]][1]
    notional = (qty * price).quantize(UNIT, rounding=ROUND_HALF_UP)
    if w["side"] == "Buy":
        fee_ccy = quote if FEE_IN_QUOTE else base
        fee = ((notional if FEE_IN_QUOTE else qty) * FEE).quantize(
            UNIT, rounding=ROUND_HALF_UP)
        q = bal(quote)
        q[0] -= notional
        q[1] -= min(q[1], w["lock_per_qty"] * qty if w["type"] == "Limit"
                    else notional)
        b = bal(base)
        b[0] += qty
        (b if fee_ccy == base else q)[0] -= fee
    else:
        fee_ccy = quote
        fee = (notional * FEE).quantize(UNIT, rounding=ROUND_HALF_UP)
        b = bal(base)
        b[0] -= qty
        b[1] -= min(b[1], qty)
        q = bal(quote)
        q[0] += notional - fee
    w["cum"] += qty
    w["cost"] += qty * price
    w["status"] = "Filled" if w["cum"] >= w["qty"] else "PartiallyFilled"
    set_status(w, o)
    eid = "%d" % (2000000000 + next(ids))
    fee_quote = fee if fee_ccy == quote else (fee * price).quantize(
        UNIT, rounding=ROUND_HALF_UP)
    fills.append({"id": eid, "client_id": cid, "side": w["side"].lower(),
                  "qty": dtext(qty), "price": dtext(price),
                  "fee": dtext(fee), "fee_ccy": fee_ccy,
                  "fee_quote": dtext(fee_quote), "maker": maker,
                  "t": now_ms()})
    w["execs"].append({"category": "spot", "symbol": o["symbol"],
                       "orderId": o["order_id"], "orderLinkId": cid,
                       "side": w["side"], "orderPrice": w["price_text"],
                       "orderQty": o["qty"], "orderType": w["type"],
                       "execId": eid, "execPrice": dtext(price),
                       "execQty": dtext(qty), "execFee": dtext(fee),
                       "feeCurrency": fee_ccy, "execType": "Trade",
                       "isMaker": maker, "execTime": str(now_ms()),
                       "leavesQty": dtext(w["qty"] - w["cum"])})
    push("execution", [w["execs"][-1]])
    push("order", [order_item(o)])
    push("wallet", [wallet_item()])


def release(w, o):
    """Unlock what an order that ended still held (the lock is held)."""
    base, quote = INSTRUMENTS[o["symbol"]][0], INSTRUMENTS[o["symbol"]][1]
    left = w["qty"] - w["cum"]
    if w["side"] == "Buy":
        q = bal(quote)
        q[1] -= min(q[1], w["lock_per_qty"] * left)
    else:
        b = bal(base)
        b[1] -= min(b[1], left)


def close(cid, status):
    w = book[cid]
    o = orders[cid]
    release(w, o)
    w["status"] = ("PartiallyFilledCanceled" if status == "Cancelled" and
                   w["cum"] > 0 and w["type"] == "Limit" else status)
    set_status(w, o)
    push("order", [order_item(o)])
    push("wallet", [wallet_item()])


def match(sym, price):
    """The market traded at price: crossed limit orders fill, a part at a
    time."""
    p = D(fb.fmt(price))
    with fb.lock:
        for cid, w in list(book.items()):
            if (w["status"] not in OPEN or w["type"] != "Limit" or
                    orders[cid]["symbol"] != sym):
                continue
            if (w["side"] == "Buy" and p <= w["price"]) or \
                    (w["side"] == "Sell" and p >= w["price"]):
                part = (w["qty"] / ctl["steps"]).quantize(
                    D(INSTRUMENTS[sym][3]))
                part = min(max(part, D(INSTRUMENTS[sym][3])),
                           w["qty"] - w["cum"])
                execute(cid, part, w["price"], True)


def verify(h, payload):
    """The request's key, time and signature; a refusal answered (the
    lock is not held).  True if it passes."""
    key = h.headers.get("X-BAPI-API-KEY", "")
    ts = h.headers.get("X-BAPI-TIMESTAMP", "")
    sign = h.headers.get("X-BAPI-SIGN", "")
    rw = h.headers.get("X-BAPI-RECV-WINDOW", "5000")
    if key != KEY:
        with fb.lock:
            refused["bad_key"] += 1
        return not answer(h, 10003, "API key is invalid.")
    want = hmac.new(SECRET.encode(), (ts + key + rw + payload).encode(),
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sign):
        with fb.lock:
            refused["bad_sign"] += 1
        return not answer(h, 10004, "error sign! origin_string[%s]" %
                          (ts + key + rw + payload))
    try:
        t, w = int(ts), int(rw)
    except ValueError:
        t, w = 0, 0
    server = now_ms()
    if not (server - w <= t < server + 1000):
        with fb.lock:
            refused["timestamp"] += 1
        return not answer(h, 10002, "invalid request, please check your "
                          "server timestamp or recv_window param. "
                          "req_timestamp[%d],server_timestamp[%d],"
                          "recv_window[%d]" % (t, server, w))
    return True


def rate_limited(h, path):
    with fb.lock:
        if ctl["limit_count"] <= 0 or ctl["limit_path"] not in (None, path):
            return False
        ctl["limit_count"] -= 1
        refused["rate"] += 1
        status, code, ra = (ctl["limit_status"], ctl["limit_code"],
                            ctl["retry_after"])
    if code:
        return answer(h, code, "Too many visits. Exceeded the API Rate "
                      "Limit.")
    h.reply(status or 429, {"retCode": 10006, "retMsg": "Too many "
                            "visits!"},
            {"Retry-After": ra} if ra is not None else None)
    return True


def decimal_of(text):
    try:
        x = D(text)
    except Exception:
        return None
    return x if x.is_finite() else None


def create(h, b):
    sym = b.get("symbol", "")
    cid = b.get("orderLinkId", "")
    side, typ = b.get("side"), b.get("orderType")
    tif = b.get("timeInForce", "GTC" if typ == "Limit" else "IOC")
    qty = decimal_of(b.get("qty", ""))
    price = decimal_of(b.get("price", "0")) if typ == "Limit" else None
    if b.get("category") != "spot" or sym not in INSTRUMENTS:
        with fb.lock:
            refused["invalid"] += 1
        return answer(h, 170121, "Invalid symbol.")
    base, quote, tick, step, min_qty, min_amt = INSTRUMENTS[sym]
    step = os.environ.get("FAKE_BYBIT_LOT", step)
    if (side not in ("Buy", "Sell") or typ not in ("Market", "Limit") or
            qty is None or qty <= 0 or (typ == "Limit" and
            (price is None or price <= 0)) or not cid or
            tif not in ("GTC", "IOC", "FOK", "PostOnly") or
            (typ == "Market" and b.get("marketUnit") != "baseCoin")):
        with fb.lock:
            refused["invalid"] += 1
        return answer(h, 170130, "Data sent for paramter '%s' is not "
                      "valid." % "qty")
    if qty % D(step) != 0:
        with fb.lock:
            refused["invalid"] += 1
        return answer(h, 170137, "Order quantity has too many decimals.")
    if price is not None and price % D(tick) != 0:
        with fb.lock:
            refused["invalid"] += 1
        return answer(h, 170134, "Order price has too many decimals.")
    with fb.lock:
        if cid in orders:
            refused["duplicate"] += 1
            dup = True
        else:
            dup = False
        market = D(fb.fmt(fb.SYMBOLS[sym]))
    if dup:
        return answer(h, 170141, "Duplicate clientOrderId.")
    at = price if price is not None else market
    if qty < D(min_qty) or qty * at < D(min_amt):
        with fb.lock:
            refused["invalid"] += 1
        return answer(h, 170140, "Order value exceeded lower limit.")
    with fb.lock:
        # Funds: a buy locks its value (a market buy 1 % over the
        # market), a sell its quantity.
        lock_per_qty = at * (D("1.01") if typ == "Market" else 1)
        need, coin = ((qty * lock_per_qty, quote) if side == "Buy" else
                      (qty, base))
        c = bal(coin)
        if c[0] - c[1] < need:
            refused["insufficient"] += 1
            short = True
        else:
            short = False
            c[1] += need
            oid = "%d" % (1000000000 + next(ids))
            orders[cid] = {"client_id": cid, "order_id": oid,
                           "symbol": sym, "side": side.lower(),
                           "type": typ.lower(), "tif": tif,
                           "qty": b.get("qty"),
                           "price": b.get("price", "0"), "status": "New",
                           "filled": "0"}
            book[cid] = {"side": side, "type": typ, "tif": tif,
                         "qty": qty, "price": price,
                         "price_text": b.get("price", "0") if price
                         else "0", "cum": D(0), "cost": D(0),
                         "status": "New", "lock_per_qty": lock_per_qty,
                         "execs": [], "t": now_ms()}
            push("order", [order_item(orders[cid])])
            crosses = price is not None and (
                (side == "Buy" and market <= price) or
                (side == "Sell" and market >= price))
            if typ == "Market":
                execute(cid, qty, market, False)
            elif tif == "PostOnly" and crosses:
                close(cid, "Cancelled")
            elif tif in ("IOC", "FOK"):
                if crosses:
                    execute(cid, qty, price, False)
                else:
                    close(cid, "Cancelled")
    if short:
        return answer(h, 170131, "Insufficient balance.")
    if ctl["ack_delay"] > 0:
        time.sleep(ctl["ack_delay"])
    return answer(h, 0, "OK", {"orderId": oid, "orderLinkId": cid})


def cancel(h, b):
    cid = b.get("orderLinkId", "")
    with fb.lock:
        if b.get("orderId") and not cid:
            cid = next((c for c, o in orders.items()
                        if o["order_id"] == b["orderId"]), "")
        w = book.get(cid)
        if w is None or w["status"] not in OPEN or \
                orders[cid]["symbol"] != b.get("symbol"):
            refused["unknown"] += 1
            gone = True
        else:
            gone = False
            close(cid, "Cancelled")
            oid = orders[cid]["order_id"]
    if gone:
        return answer(h, 170213, "Order does not exist.")
    return answer(h, 0, "OK", {"orderId": oid, "orderLinkId": cid})


def cancel_all(h, b):
    out = []
    with fb.lock:
        for cid, w in list(book.items()):
            if w["status"] in OPEN and (not b.get("symbol") or
                                        orders[cid]["symbol"] ==
                                        b["symbol"]):
                close(cid, "Cancelled")
                out.append({"orderId": orders[cid]["order_id"],
                            "orderLinkId": cid})
    return answer(h, 0, "OK", {"list": out, "success": "1"})


def page(rows, q, limit):
    start = int(q.get("cursor") or 0)
    lim = min(int(q.get("limit", limit)), limit)
    nxt = start + lim
    return rows[start:nxt], (str(nxt) if nxt < len(rows) else "")


def private(h, u, method, payload):
    if not verify(h, payload):
        return True
    if rate_limited(h, u.path):
        return True
    if method == "POST":
        try:
            b = json.loads(payload)
        except ValueError:
            return answer(h, 10001, "params error")
        return {"/v5/order/create": create, "/v5/order/cancel": cancel,
                "/v5/order/cancel-all": cancel_all}[u.path](h, b)
    q = dict(urllib.parse.parse_qsl(u.query))
    if u.path == "/v5/account/wallet-balance":
        with fb.lock:
            return answer(h, 0, "OK", {"list": [wallet_item()]})
    if q.get("category") != "spot":
        return answer(h, 10001, "params error: category")
    with fb.lock:
        if u.path == "/v5/execution/list":
            since = int(q.get("startTime", 0))
            rows = [e for w in book.values() for e in w["execs"]
                    if int(e["execTime"]) >= since and
                    q.get("orderLinkId") in (None, e["orderLinkId"])]
            rows.sort(key=lambda e: -int(e["execTime"]))
            rows, cur = page(rows, q, 100)
        else:
            want_open = u.path == "/v5/order/realtime"
            rows = [order_item(orders[c]) for c, w in book.items()
                    if (w["status"] in OPEN) == want_open and
                    q.get("orderLinkId") in (None, c) and
                    q.get("symbol") in (None, orders[c]["symbol"])]
            rows, cur = page(rows, q, 50)
    return answer(h, 0, "OK", {"category": "spot", "list": rows,
                               "nextPageCursor": cur})


async def ws_private(ws):
    if time.time() < ctl["private_hold"]:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    ws.authed = False
    private_conns.add(ws)
    conn = "fake-%d" % next(ids)
    try:
        async for text in ws:
            try:
                req = json.loads(text)
            except ValueError:
                continue
            op = req.get("op")
            if op == "auth":
                args = req.get("args") or ["", 0, ""]
                key, exp, sig = (list(args) + ["", 0, ""])[:3]
                want = hmac.new(SECRET.encode(),
                                ("GET/realtime" + str(exp)).encode(),
                                hashlib.sha256).hexdigest()
                good = (key == KEY and isinstance(sig, str) and
                        hmac.compare_digest(want, sig) and
                        int(exp) > now_ms())
                if not good:
                    with fb.lock:
                        refused["bad_sign"] += 1
                ws.authed = good
                await ws.send(json.dumps({
                    "success": good, "ret_msg": "" if good else
                    "Request not authorized", "op": "auth",
                    "conn_id": conn}))
            elif op == "subscribe":
                if ws.authed:
                    ws.subs.update(req.get("args", []))
                await ws.send(json.dumps({
                    "success": ws.authed, "ret_msg": "" if ws.authed else
                    "Request not authorized", "op": "subscribe",
                    "conn_id": conn, "req_id": req.get("req_id", "")}))
            elif op == "ping":
                await ws.send(json.dumps({
                    "req_id": req.get("req_id", ""), "op": "pong",
                    "args": [str(now_ms())], "conn_id": conn}))
    except websockets.ConnectionClosed:
        pass
    finally:
        private_conns.discard(ws)


async def drop_private():
    for ws in list(private_conns):
        ws.transport.abort()


class Http(fb.Http):
    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path in PRIVATE_POST:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            private(self, u, "POST", body)
            return
        if u.path == "/fake/drop_private":
            ctl["private_hold"] = time.time() + float(q.get("hold", 0))
            asyncio.run_coroutine_threadsafe(drop_private(),
                                             fb.loop).result()
            return self.reply(200, {})
        if u.path == "/fake/ack_delay":
            ctl["ack_delay"] = float(q.get("s", 0))
            return self.reply(200, {})
        if u.path == "/fake/steps":
            ctl["steps"] = max(1, int(q.get("n", 2)))
            return self.reply(200, {})
        if u.path == "/fake/limit_private":
            with fb.lock:
                ctl["limit_count"] = int(q.get("count", 1))
                ctl["limit_status"] = int(q.get("status", 0))
                ctl["limit_code"] = int(q.get("code", 0))
                ctl["retry_after"] = q.get("retry_after")
                ctl["limit_path"] = q.get("path")
            return self.reply(200, {})
        if u.path == "/fake/balance":
            with fb.lock:
                bal(q["coin"])[0] = D(q["amount"])
                if q.get("silent") != "1":
                    push("wallet", [wallet_item()])
            return self.reply(200, {})
        if u.path == "/fake/fill":
            with fb.lock:
                w = book.get(q.get("link", ""))
                if w is None or w["status"] not in OPEN:
                    return self.reply(404, {})
                qty = min(D(q.get("qty", "0")), w["qty"] - w["cum"])
                execute(q["link"], qty, w["price"] or D(fb.fmt(
                    fb.SYMBOLS[orders[q["link"]]["symbol"]])), True)
            return self.reply(200, {})
        return super().do_POST()


async def publish_and_match(sym, tid, now, p, q, maker, prev, m):
    await publish_bybit(sym, tid, now, p, q, maker, prev, m)
    match(sym, p)


fb.Http = Http
fb.publish = publish_and_match
fb.ws_handler = ws_handler_bybit
fb.dialect_get = get_bybit
fb.asyncio.run(fb.main())
