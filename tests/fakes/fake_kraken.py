#!/usr/bin/python3
"""fake_kraken.py PORTFILE -- a loopback Kraken spot public API on the
market of fake_binance.py: the WebSocket v2 endpoint (subscribe / ping
methods answered as documented, one ack per symbol; the trade, ohlc
(interval 1, snapshot on subscribe, an update per trade, no closed flag)
and ticker channels; a heartbeat every second; a connection closed after
60 s without a client message, as Kraken does) and REST /0/public/OHLC
(at most the 720 most recent rows from `since`, the last one the minute
still open, keyed by the venue's pair name) and /0/public/AssetPairs
(the market's two pairs as Kraken lists them, `pair=` by key or altname,
an unknown one refusing the whole request as Kraken does), plus the
/fake/... controls of fake_binance.py.  POST /fake/ratelimit?n=N answers the next N OHLC
requests with Kraken's HTTP-200 rate-limit error.

The private side (docs.kraken.com spot REST and WebSocket v2), written from
the documented scheme, not from the adapter:
  POST /0/private/<Method>, form-encoded with a nonce, headers API-Key and
  API-Sign = Base64(HMAC-SHA512(Base64-decoded secret, path +
  SHA256(nonce + body))), verified here (a bad key: "EAPI:Invalid key", a
  bad signature: "EAPI:Invalid signature", a nonce not above the last one
  (beyond a 5 s window, as Kraken's nonce window allows) or used before:
  "EAPI:Invalid nonce"; all with HTTP 200, as Kraken answers).  Methods:
  AddOrder (market, limit, stop-loss-limit; timeinforce GTC/IOC; oflags
  post, fciq; cl_ord_id unique among open orders; deadline checked),
  CancelOrder (txid or cl_ord_id), CancelAll, OpenOrders, ClosedOrders
  (start, cl_ord_id), QueryOrders, TradesHistory (start, ofs, pages of 50,
  newest first), BalanceEx, GetWebSocketsToken; GET /0/public/Time.
  The account WebSocket is the same port, path /v2-auth: subscribe with a
  token to `executions` (snap_orders) and `balances` (snapshot).
  Market orders fill at once (in two parts), limit orders rest and fill
  when the market crosses them, half of the order per crossing.  Fees in
  the quote asset: 0.26 % taker, 0.16 % maker.
Key and secret: env FAKE_KRAKEN_KEY, FAKE_KRAKEN_SECRET (Base64), with
defaults; FAKE_KRAKEN_USDT, FAKE_KRAKEN_BTC: the starting balances;
FAKE_KRAKEN_ORDERMIN: a trading minimum above the one AssetPairs lists (a
minimum raised after the list was read).  Controls: POST /fake/balance?asset=USDT&total=N;
POST /fake/drop_private[?hold=S] (cut the account streams); POST
/fake/delay_ack?s=S (AddOrder answers S s after taking the order); POST
/fake/fill?cl_ord_id=C&qty=Q (fill Q of an open order at its limit);
POST /fake/private_limit?n=N&status=429|200[&method=M][&volume=V] (the next
N private calls, of method M and for volume V if given, refused: HTTP 429 with Retry-After 1, or
HTTP 200 "EAPI:Rate limit exceeded"); GET /fake/record (orders, fills, refusals, bad signatures)."""
import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import random
from decimal import Decimal as D, ROUND_HALF_UP
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_binance as fb  # noqa: E402
import websockets  # noqa: E402

# v2 symbol <-> the market's name, and the REST pair name asked (altname)
# <-> the key Kraken answers under.
WS = {"BTC/USDT": "BTCUSDT", "ETH/USDT": "ETHUSDT"}
NAME = {v: k for k, v in WS.items()}
REST = {"XBTUSDT": ("BTCUSDT", "XBTUSDT"), "ETHUSDT": ("ETHUSDT", "ETHUSDT")}
IDLE_S = 60

# Kraken's fee schedule as listed with every pair (volume in USD, %).
FEES = [[0, 0.4], [10000, 0.35], [50000, 0.24], [100000, 0.22],
        [250000, 0.2], [500000, 0.18], [1000000, 0.16], [2500000, 0.14],
        [5000000, 0.12], [10000000, 0.1]]
FEES_MAKER = [[0, 0.25], [10000, 0.2], [50000, 0.14], [100000, 0.12],
              [250000, 0.1], [500000, 0.08], [1000000, 0.06],
              [2500000, 0.04], [5000000, 0.02], [10000000, 0.0]]


def asset_pair(altname, wsname, base, quote, pair_decimals, cost_decimals,
               ordermin, costmin, tick_size):
    # The documented AssetPairs entry (docs.kraken.com, Get Tradable Asset
    # Pairs): steps and minimums as decimal strings, decimals as numbers.
    return {"altname": altname, "wsname": wsname, "aclass_base": "currency",
            "base": base, "aclass_quote": "currency", "quote": quote,
            "lot": "unit", "cost_decimals": cost_decimals,
            "pair_decimals": pair_decimals, "lot_decimals": 8,
            "lot_multiplier": 1, "leverage_buy": [2, 3], "leverage_sell":
            [2, 3], "fees": FEES, "fees_maker": FEES_MAKER,
            "fee_volume_currency": "ZUSD", "margin_call": 80,
            "margin_stop": 40, "ordermin": ordermin, "costmin": costmin,
            "tick_size": tick_size, "status": "online",
            "long_position_limit": 250, "short_position_limit": 200}


# Keyed as Kraken keys them: XBTUSDT (base XXBT, quote USDT with no Z).
PAIRS = {
    "XBTUSDT": asset_pair("XBTUSDT", "XBT/USDT", "XXBT", "USDT", 1, 5,
                          "0.00005", "0.5", "0.1"),
    "ETHUSDT": asset_pair("ETHUSDT", "ETH/USDT", "XETH", "USDT", 2, 5,
                          "0.002", "0.5", "0.01"),
}
rate_limited = 0


def rfc3339(ms, digits=6):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    frac = "%03d" % (ms % 1000) + "0" * (digits - 3)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"


def num(x):
    # Kraken v2 sends JSON numbers; a float's repr is its shortest text.
    return round(x, 8)


def ohlc_item(sym, t, c):
    o, h, l, cl, v, qv, n = c
    return {"symbol": NAME[sym], "open": num(o), "high": num(h),
            "low": num(l), "close": num(cl), "trades": n,
            "volume": num(v), "vwap": num(qv / v if v else 0),
            "interval_begin": rfc3339(t, 9), "interval": 1,
            "timestamp": rfc3339(t + 60000)}


def trade_item(sym, tid, ts, p, q, maker):
    # fake_binance's maker flag says the buyer was the maker: the taker
    # sold.  Kraken's side is the taker's.
    return {"symbol": NAME[sym], "side": "sell" if maker else "buy",
            "price": num(p), "qty": num(q),
            "ord_type": "limit" if tid % 3 else "market",
            "trade_id": tid, "timestamp": rfc3339(ts)}


async def publish_kraken(sym, tid, now, p, q, maker, prev, m):
    with fb.lock:
        match_pair(next(k for k, v in TRADE.items() if v[0] == sym), p)
    await fb.broadcast("trade." + sym, {
        "channel": "trade", "type": "update",
        "data": [trade_item(sym, tid, now, p, q, maker)]})
    with fb.lock:
        c = fb.candles[sym][m][:]
    await fb.broadcast("ohlc." + sym, {
        "channel": "ohlc", "type": "update", "timestamp": rfc3339(now, 9),
        "data": [ohlc_item(sym, m, c)]})
    await fb.broadcast("ticker." + sym, {
        "channel": "ticker", "type": "update",
        "data": [{"symbol": NAME[sym], "bid": num(p - 0.01), "bid_qty": 1.0,
                  "ask": num(p + 0.01), "ask_qty": 2.0, "last": num(p),
                  "volume": 1.0, "vwap": num(p), "low": num(p),
                  "high": num(p), "change": 0.0, "change_pct": 0.0}]})


def ack(req, channel, sym, ok, extra=None):
    now = int(time.time() * 1000)
    msg = {"method": "subscribe", "success": ok,
           "time_in": rfc3339(now), "time_out": rfc3339(now)}
    if ok:
        msg["result"] = dict({"channel": channel, "symbol": sym}, **(extra or {}))
    else:
        msg["error"] = "Currency pair not supported " + sym
        msg["symbol"] = sym
    if "req_id" in req:
        msg["req_id"] = req["req_id"]
    return msg


async def subscribe(ws, req):
    p = req.get("params") or {}
    channel = p.get("channel")
    syms = p.get("symbol") or []
    if channel not in ("trade", "ohlc", "ticker") or not isinstance(syms, list):
        await ws.send(json.dumps({"method": "subscribe", "success": False,
                                  "error": "Invalid channel",
                                  "req_id": req.get("req_id")}))
        return
    if channel == "ohlc" and p.get("interval") != 1:
        # the fake serves 1m only
        await ws.send(json.dumps({"method": "subscribe", "success": False,
                                  "error": "Unsupported interval",
                                  "req_id": req.get("req_id")}))
        return
    for s in syms:
        if s not in WS:
            await ws.send(json.dumps(ack(req, channel, s, False)))
            continue
        sym = WS[s]
        extra = {}
        if channel == "ohlc":
            extra = {"interval": 1, "snapshot": p.get("snapshot", True)}
        elif channel == "trade":
            extra = {"snapshot": p.get("snapshot", False)}
        await ws.send(json.dumps(ack(req, channel, s, True, extra)))
        ws.subs.add(channel + "." + sym)
        if channel == "ohlc" and p.get("snapshot", True):
            with fb.lock:
                rows = sorted((t, c[:]) for t, c in fb.candles[sym].items())
            await ws.send(json.dumps({
                "channel": "ohlc", "type": "snapshot",
                "timestamp": rfc3339(int(time.time() * 1000), 9),
                "data": [ohlc_item(sym, t, c) for t, c in rows[-10:]]}))
        elif channel == "trade" and p.get("snapshot", False):
            with fb.lock:
                tr = fb.trades[sym][-50:]
            await ws.send(json.dumps({
                "channel": "trade", "type": "snapshot",
                "data": [trade_item(sym, *t) for t in tr]}))


async def heartbeats(ws):
    # Kraken: about once a second; and a minute without a client message
    # ends the connection.
    while True:
        await asyncio.sleep(1)
        if time.time() - ws.last_heard > IDLE_S:
            await ws.close(code=1000, reason="idle")
            return
        if ws.subs:
            await ws.send(json.dumps({"channel": "heartbeat"}))


async def ws_handler_kraken(ws, path=None):
    if (path or getattr(ws, "path", "")) == "/v2-auth":
        return await ws_private(ws)
    if time.time() < fb.hold_until:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    ws.last_heard = time.time()
    fb.conns.add(ws)
    await ws.send(json.dumps({"channel": "status", "type": "update", "data": [
        {"version": "2.0.0", "system": "online", "api_version": "v2",
         "connection_id": 1}]}))
    hb = asyncio.ensure_future(heartbeats(ws))
    try:
        async for text in ws:
            ws.last_heard = time.time()
            try:
                req = json.loads(text)
            except ValueError:
                await ws.send(json.dumps({"error": "Malformed request",
                                          "method": "", "success": False}))
                continue
            m = req.get("method") if isinstance(req, dict) else None
            if m == "subscribe":
                await subscribe(ws, req)
            elif m == "ping":
                now = int(time.time() * 1000)
                pong = {"method": "pong", "time_in": rfc3339(now),
                        "time_out": rfc3339(now)}
                if "req_id" in req:
                    pong["req_id"] = req["req_id"]
                await ws.send(json.dumps(pong))
    except websockets.ConnectionClosed:
        pass
    finally:
        hb.cancel()
        fb.conns.discard(ws)


async def garbage_kraken():
    for ws in list(fb.conns):
        for g in ["{not json", "[1,2",
                  '{"channel":"trade","type":"update","data":'
                  '[{"symbol":"BTC/USDT","side":"up"}]}']:
            await ws.send(g)


# ---- the private side ------------------------------------------------------

KEY = os.environ.get("FAKE_KRAKEN_KEY", "fake-kraken-key")
SECRET = os.environ.get("FAKE_KRAKEN_SECRET", base64.b64encode(
    b"fake kraken secret, 64 bytes long, for the loopback venue only!!").decode())
NONCE_WINDOW = 5000000
UNIT = D("0.00000001")
TAKER, MAKER = D("0.0026"), D("0.0016")
# REST pair -> (market symbol, v2 symbol, base asset, quote asset, REST
# base code, REST quote code)
TRADE = {"XBTUSDT": ("BTCUSDT", "BTC/USDT", "BTC", "USDT"),
         "ETHUSDT": ("ETHUSDT", "ETH/USDT", "ETH", "USDT")}
REST_ASSET = {"BTC": "XXBT", "ETH": "XETH", "USDT": "USDT", "USD": "ZUSD"}
priv = {
    "orders": {},          # txid -> order
    "fills": [],
    "balances": {"USDT": D(os.environ.get("FAKE_KRAKEN_USDT", "100000")),
                 "BTC": D(os.environ.get("FAKE_KRAKEN_BTC", "1")),
                 "ETH": D("0")},
    "nonce_max": 0, "nonces": set(), "tokens": set(),
    "refused": {"duplicate": 0, "bad_signature": 0, "bad_key": 0,
                "bad_nonce": 0, "insufficient": 0, "invalid": 0,
                "rate_limited": 0, "deadline": 0},
    "calls": {}, "delay_ack": 0.0, "limit": 0, "limit_status": 429,
    "limit_method": "", "limit_volume": "",
    "hold_private": 0.0,
}
priv_conns = set()
txrng = random.Random(11)


def txid(prefix):
    a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    r = "".join(txrng.choice(a) for _ in range(17))
    return "%s%s-%s-%s" % (prefix, r[:5], r[5:10], r[10:16])


def ts_now():
    return rfc3339(int(time.time() * 1000))


def dec_ok(text, places):
    try:
        v = D(text)
    except Exception:
        return None
    if not v.is_finite() or v <= 0 or v != v.quantize(D(1).scaleb(-places)):
        return None
    return v


def push(msg):
    data = json.dumps(msg)

    async def send_all():
        for ws in list(priv_conns):
            if msg["channel"] in ws.subs:
                try:
                    await ws.send(data)
                except websockets.ConnectionClosed:
                    pass
    if fb.loop is not None:
        asyncio.run_coroutine_threadsafe(send_all(), fb.loop)


def exec_msg(o, exec_type, extra=None):
    item = {"order_id": o["txid"], "symbol": o["wsname"],
            "order_qty": float(o["vol"]), "side": o["type"],
            "order_type": o["ordertype"], "time_in_force": o["tif"],
            "order_userref": 0, "exec_type": exec_type,
            "order_status": o["ws_status"], "timestamp": ts_now(),
            "cum_qty": float(o["vol_exec"]), "cum_cost": float(o["cost"]),
            "avg_price": float(o["cost"] / o["vol_exec"]) if o["vol_exec"] else 0.0}
    if o["cl_ord_id"]:
        item["cl_ord_id"] = o["cl_ord_id"]
    if o["ordertype"] != "market":
        item["limit_price"] = float(o["limit"])
    item.update(extra or {})
    return {"channel": "executions", "type": "update", "data": [item]}


def balance_push(asset, amount, fee, ref):
    push({"channel": "balances", "type": "update", "data": [{
        "ledger_id": txid("L"), "ref_id": ref, "timestamp": ts_now(),
        "type": "trade", "asset": asset, "asset_class": "currency",
        "category": "trade", "wallet_type": "spot",
        "wallet_id": "SPOT00000000", "amount": float(amount),
        "fee": float(fee), "balance": float(priv["balances"][asset])}]})


def do_fill(o, qty, price, maker):
    """Fill qty of o at price (under fb.lock)."""
    base, quote = o["base"], o["quote"]
    notional = (qty * price).quantize(UNIT, rounding=ROUND_HALF_UP)
    fee = (notional * (MAKER if maker else TAKER)).quantize(UNIT, rounding=ROUND_HALF_UP)
    b = priv["balances"]
    if o["type"] == "buy":
        b[quote] -= notional + fee
        b[base] += qty
    else:
        b[quote] += notional - fee
        b[base] -= qty
    o["vol_exec"] += qty
    o["cost"] += notional
    o["fee"] += fee
    tid = txid("T")
    f = {"trade_id": tid, "ordertxid": o["txid"], "cl_ord_id": o["cl_ord_id"],
         "pair": o["pair"], "type": o["type"], "ordertype": o["ordertype"],
         "qty": str(qty), "price": str(price), "cost": str(notional),
         "fee": str(fee), "maker": maker, "time": time.time(),
         "side": o["type"]}
    priv["fills"].append(f)
    done = o["vol_exec"] >= o["vol"]
    if done:
        o["status"], o["ws_status"] = "closed", "filled"
        o["closetm"] = time.time()
    else:
        o["ws_status"] = "partially_filled"
    push(exec_msg(o, "trade", {
        "exec_id": tid, "trade_id": len(priv["fills"]),
        "last_qty": float(qty), "last_price": float(price),
        "cost": float(notional), "liquidity_ind": "m" if maker else "t",
        "fees": [{"asset": quote, "qty": float(fee)}]}))
    if done:
        push(exec_msg(o, "filled"))
    balance_push(quote, -(notional + fee) if o["type"] == "buy" else notional - fee, fee, tid)
    balance_push(base, qty if o["type"] == "buy" else -qty, 0, tid)


def end_order(o, status, reason):
    o["status"] = status
    o["ws_status"] = status
    o["reason"] = reason
    o["closetm"] = time.time()
    push(exec_msg(o, status, {"reason": reason}))


def crosses(o, p):
    lim = o["limit"]
    return (o["type"] == "buy" and p <= lim) or (o["type"] == "sell" and p >= lim)


def match_pair(pair, price):
    """Resting orders of `pair` the market price crossed (under fb.lock)."""
    p = D(str(price))
    for o in list(priv["orders"].values()):
        if o["pair"] != pair or o["status"] != "open":
            continue
        if o["ordertype"] == "stop-loss-limit" and not o.get("triggered"):
            trig = o["trigger"]
            if (o["type"] == "buy" and p >= trig) or (o["type"] == "sell" and p <= trig):
                o["triggered"] = True
            continue
        if o["ordertype"] in ("limit", "stop-loss-limit") and crosses(o, p):
            left = o["vol"] - o["vol_exec"]
            step = max((o["vol"] / 2).quantize(UNIT), UNIT)
            do_fill(o, min(left, step), o["limit"], True)


def order_json(o):
    return {"refid": None, "userref": 0, "cl_ord_id": o["cl_ord_id"] or None,
            "status": o["status"], "reason": o.get("reason"),
            "opentm": o["opentm"], "closetm": o.get("closetm"),
            "starttm": 0, "expiretm": 0,
            "descr": {"pair": o["pair"], "type": o["type"],
                      "ordertype": o["ordertype"],
                      "price": str(o["limit"] if o["ordertype"] == "limit" else
                                   o["trigger"] or 0),
                      "price2": str(o["limit"] if o["ordertype"] == "stop-loss-limit" else 0),
                      "leverage": "none", "order": "", "close": ""},
            "vol": str(o["vol"]), "vol_exec": str(o["vol_exec"]),
            "cost": str(o["cost"]), "fee": str(o["fee"]),
            "price": str((o["cost"] / o["vol_exec"]).quantize(UNIT) if o["vol_exec"] else 0),
            "stopprice": "0", "limitprice": "0", "misc": "",
            "oflags": o["oflags"]}


def err(h, text, kind=None):
    if kind:
        priv["refused"][kind] += 1
    h.reply(200, {"error": [text]})


def add_order(h, q):
    pair = q.get("pair", "")
    if pair not in TRADE:
        return err(h, "EQuery:Unknown asset pair", "invalid")
    sym, wsname, base, quote = TRADE[pair]
    info = PAIRS[pair]
    side, otype = q.get("type"), q.get("ordertype")
    if side not in ("buy", "sell") or otype not in ("market", "limit", "stop-loss-limit"):
        return err(h, "EGeneral:Invalid arguments", "invalid")
    vol = dec_ok(q.get("volume", ""), info["lot_decimals"])
    if vol is None:
        return err(h, "EGeneral:Invalid arguments:volume", "invalid")
    if vol < D(os.environ.get("FAKE_KRAKEN_ORDERMIN", info["ordermin"])):
        return err(h, "EOrder:Order minimum not met", "invalid")
    limit = trigger = None
    if otype == "limit":
        limit = dec_ok(q.get("price", ""), info["pair_decimals"])
    elif otype == "stop-loss-limit":
        trigger = dec_ok(q.get("price", ""), info["pair_decimals"])
        limit = dec_ok(q.get("price2", ""), info["pair_decimals"])
        if trigger is None:
            return err(h, "EOrder:Invalid price:%s price can only be specified up to %d decimals." % (pair, info["pair_decimals"]), "invalid")
    if otype != "market" and limit is None:
        return err(h, "EOrder:Invalid price:%s price can only be specified up to %d decimals." % (pair, info["pair_decimals"]), "invalid")
    if "deadline" in q:
        try:
            dl = datetime.datetime.strptime(q["deadline"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            return err(h, "EGeneral:Invalid arguments:deadline", "invalid")
        if dl < time.time() or dl > time.time() + 60:
            return err(h, "EOrder:Deadline elapsed", "deadline")
    cid = q.get("cl_ord_id", "")
    tif = q.get("timeinforce", "GTC")
    oflags = q.get("oflags", "")
    with fb.lock:
        if cid and any(o["cl_ord_id"] == cid and o["status"] == "open"
                       for o in priv["orders"].values()):
            priv["refused"]["duplicate"] += 1
            return h.reply(200, {"error": ["EOrder:Duplicate cl_ord_id"]})
        market = D(str(fb.SYMBOLS[sym]))
        px = limit if limit is not None else market
        b = priv["balances"]
        if side == "buy" and b[quote] < (vol * max(px, market) * (1 + TAKER)).quantize(UNIT):
            return err(h, "EOrder:Insufficient funds", "insufficient")
        if side == "sell" and b[base] < vol:
            return err(h, "EOrder:Insufficient funds", "insufficient")
        if "post" in oflags.split(",") and otype == "limit" and crosses({"type": side, "limit": limit}, market):
            return err(h, "EOrder:Post only order", "invalid")
        o = {"txid": txid("O"), "cl_ord_id": cid, "pair": pair, "wsname": wsname,
             "base": base, "quote": quote, "type": side, "ordertype": otype,
             "vol": vol, "vol_exec": D(0), "cost": D(0), "fee": D(0),
             "limit": limit, "trigger": trigger, "tif": tif, "oflags": oflags,
             "status": "open", "ws_status": "new", "opentm": time.time()}
        priv["orders"][o["txid"]] = o
        o["ws_status"] = "pending_new"
        push(exec_msg(o, "pending_new"))
        o["ws_status"] = "new"
        push(exec_msg(o, "new"))
        if otype == "market":
            half = max((vol / 2).quantize(UNIT), UNIT)
            do_fill(o, half, market, False)
            if o["vol_exec"] < vol:
                do_fill(o, vol - o["vol_exec"], market, False)
        elif otype == "limit" and crosses(o, market):
            do_fill(o, vol, limit, False)     # takes liquidity at its limit
        if tif == "IOC" and o["status"] == "open":
            end_order(o, "canceled", "IOC")
        descr = "%s %s %s @ %s" % (side, q.get("volume"), pair, otype)
        answer = {"error": [], "result": {"descr": {"order": descr}, "txid": [o["txid"]]}}
    if priv["delay_ack"]:
        time.sleep(priv["delay_ack"])
    h.reply(200, answer)


def find_order(q):
    if "txid" in q:
        return priv["orders"].get(q["txid"])
    cid = q.get("cl_ord_id")
    mine = [o for o in priv["orders"].values() if cid and o["cl_ord_id"] == cid]
    opened = [o for o in mine if o["status"] == "open"]
    return (opened or mine or [None])[-1]


def private(h, method, q):
    if method == "AddOrder":
        return add_order(h, q)
    with fb.lock:
        if method == "CancelOrder":
            o = find_order(q)
            if o is None or o["status"] != "open":
                return err(h, "EOrder:Unknown order")
            end_order(o, "canceled", "User requested")
            return h.reply(200, {"error": [], "result": {"count": 1}})
        if method == "CancelAll":
            n = 0
            for o in priv["orders"].values():
                if o["status"] == "open":
                    end_order(o, "canceled", "User requested")
                    n += 1
            return h.reply(200, {"error": [], "result": {"count": n}})
        if method in ("OpenOrders", "ClosedOrders"):
            want_open = method == "OpenOrders"
            start = float(q.get("start", 0))
            cid = q.get("cl_ord_id")
            out = {o["txid"]: order_json(o) for o in priv["orders"].values()
                   if (o["status"] == "open") == want_open and
                   (not cid or o["cl_ord_id"] == cid) and
                   (want_open or max(o["opentm"], o.get("closetm") or 0) > start)}
            key = "open" if want_open else "closed"
            res = {key: out}
            if not want_open:
                res["count"] = len(out)
            return h.reply(200, {"error": [], "result": res})
        if method == "QueryOrders":
            out = {t: order_json(priv["orders"][t]) for t in q.get("txid", "").split(",") if t in priv["orders"]}
            return h.reply(200, {"error": [], "result": out})
        if method == "TradesHistory":
            start = float(q.get("start", 0))
            ofs = int(q.get("ofs", 0))
            rows = [f for f in reversed(priv["fills"]) if f["time"] > start]
            page = rows[ofs:ofs + 50]
            return h.reply(200, {"error": [], "result": {"count": len(rows), "trades": {
                f["trade_id"]: {"ordertxid": f["ordertxid"], "postxid": txid("P"),
                                "pair": f["pair"], "time": f["time"], "type": f["type"],
                                "ordertype": f["ordertype"], "price": f["price"],
                                "cost": f["cost"], "fee": f["fee"], "vol": f["qty"],
                                "margin": "0.00000", "leverage": "0", "misc": "",
                                "maker": f["maker"]} for f in page}}})
        if method == "BalanceEx":
            hold = {}
            for o in priv["orders"].values():
                if o["status"] == "open":
                    left = o["vol"] - o["vol_exec"]
                    if o["type"] == "buy":
                        hold[o["quote"]] = hold.get(o["quote"], D(0)) + (left * (o["limit"] or 0)).quantize(UNIT)
                    else:
                        hold[o["base"]] = hold.get(o["base"], D(0)) + left
            return h.reply(200, {"error": [], "result": {
                REST_ASSET.get(a, a): {"balance": str(v), "hold_trade": str(hold.get(a, D(0)))}
                for a, v in priv["balances"].items()}})
        if method == "GetWebSocketsToken":
            tok = base64.b64encode(os.urandom(24)).decode()
            priv["tokens"].add(tok)
            return h.reply(200, {"error": [], "result": {"token": tok, "expires": 900}})
    err(h, "EGeneral:Unknown method")


def post_private(h):
    u = urllib.parse.urlparse(h.path)
    if not u.path.startswith("/0/private/"):
        return False
    n = int(h.headers.get("Content-Length", "0"))
    body = h.rfile.read(n).decode()
    method = u.path[len("/0/private/"):]
    form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
    with fb.lock:
        priv["calls"][method] = priv["calls"].get(method, 0) + 1
        if priv["limit"] > 0 and priv["limit_method"] in ("", method) and \
                priv["limit_volume"] in ("", form.get("volume")):
            priv["limit"] -= 1
            priv["refused"]["rate_limited"] += 1
            if priv["limit_status"] == 429:
                h.reply(429, {"error": ["EAPI:Rate limit exceeded"]}, {"Retry-After": "1"})
            else:
                h.reply(200, {"error": ["EAPI:Rate limit exceeded"]})
            return True
    q = form
    if h.headers.get("API-Key") != KEY:
        err(h, "EAPI:Invalid key", "bad_key")
        return True
    nonce = q.get("nonce", "")
    try:
        mac = hmac.new(base64.b64decode(SECRET),
                       u.path.encode() + hashlib.sha256((nonce + body).encode()).digest(),
                       hashlib.sha512)
        want = base64.b64encode(mac.digest()).decode()
    except Exception:
        want = None
    if want is None or not hmac.compare_digest(want, h.headers.get("API-Sign", "")):
        err(h, "EAPI:Invalid signature", "bad_signature")
        return True
    with fb.lock:
        if not nonce.isdigit() or int(nonce) in priv["nonces"] or \
                int(nonce) <= priv["nonce_max"] - NONCE_WINDOW:
            err(h, "EAPI:Invalid nonce", "bad_nonce")
            return True
        priv["nonces"].add(int(nonce))
        priv["nonce_max"] = max(priv["nonce_max"], int(nonce))
    private(h, method, q)
    return True


async def ws_private(ws):
    if time.time() < priv["hold_private"]:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    ws.last_heard = time.time()
    priv_conns.add(ws)
    await ws.send(json.dumps({"channel": "status", "type": "update", "data": [
        {"version": "2.0.0", "system": "online", "api_version": "v2",
         "connection_id": 2}]}))
    hb = asyncio.ensure_future(heartbeats(ws))
    try:
        async for text in ws:
            ws.last_heard = time.time()
            try:
                req = json.loads(text)
            except ValueError:
                continue
            m = req.get("method") if isinstance(req, dict) else None
            if m == "ping":
                await ws.send(json.dumps({"method": "pong", "time_in": ts_now(), "time_out": ts_now()}))
                continue
            if m != "subscribe":
                continue
            p = req.get("params") or {}
            ch = p.get("channel")
            if p.get("token") not in priv["tokens"]:
                await ws.send(json.dumps({"method": "subscribe", "success": False,
                                          "error": "EAccount:Invalid permissions",
                                          "time_in": ts_now(), "time_out": ts_now()}))
                continue
            if ch not in ("executions", "balances"):
                continue
            await ws.send(json.dumps({"method": "subscribe", "success": True,
                                      "result": {"channel": ch, "snapshot": True},
                                      "time_in": ts_now(), "time_out": ts_now()}))
            with fb.lock:
                if ch == "executions":
                    snap = [exec_msg(o, "new")["data"][0] for o in priv["orders"].values()
                            if o["status"] == "open"] if p.get("snap_orders", True) else []
                    for it in snap:
                        it.pop("exec_type", None)
                    msg = {"channel": "executions", "type": "snapshot", "data": snap}
                else:
                    msg = {"channel": "balances", "type": "snapshot", "data": [
                        {"asset": a, "asset_class": "currency", "balance": float(v),
                         "wallets": [{"type": "spot", "id": "main", "balance": float(v)}]}
                        for a, v in priv["balances"].items()]}
                ws.subs.add(ch)
            await ws.send(json.dumps(msg))
    except websockets.ConnectionClosed:
        pass
    finally:
        hb.cancel()
        priv_conns.discard(ws)


async def drop_private():
    for ws in list(priv_conns):
        ws.transport.abort()


def control(h):
    u = urllib.parse.urlparse(h.path)
    q = dict(urllib.parse.parse_qsl(u.query))
    if u.path == "/fake/balance":
        with fb.lock:
            priv["balances"][q["asset"]] = D(q["total"])
        h.reply(200, {})
    elif u.path == "/fake/drop_private":
        priv["hold_private"] = time.time() + float(q.get("hold", 0))
        asyncio.run_coroutine_threadsafe(drop_private(), fb.loop).result()
        h.reply(200, {})
    elif u.path == "/fake/delay_ack":
        priv["delay_ack"] = float(q.get("s", 0))
        h.reply(200, {})
    elif u.path == "/fake/fill":
        with fb.lock:
            o = find_order({"cl_ord_id": q.get("cl_ord_id")})
            if o is None or o["status"] != "open":
                return h.reply(404, {"error": "no open order " + q.get("cl_ord_id", "")}) or True
            do_fill(o, min(D(q["qty"]), o["vol"] - o["vol_exec"]), o["limit"] or D(str(fb.SYMBOLS[TRADE[o["pair"]][0]])), True)
        h.reply(200, {})
    elif u.path == "/fake/private_limit":
        with fb.lock:
            priv["limit"] = int(q.get("n", 1))
            priv["limit_status"] = int(q.get("status", 429))
            priv["limit_method"] = q.get("method", "")
            priv["limit_volume"] = q.get("volume", "")
        h.reply(200, {})
    else:
        return False
    return True


def record():
    with fb.lock:
        return {"orders": [dict((k, str(v) if isinstance(v, D) else v) for k, v in o.items())
                           for o in priv["orders"].values()],
                "fills": list(priv["fills"]), "refused": dict(priv["refused"]),
                "calls": dict(priv["calls"]),
                "balances": {a: str(v) for a, v in priv["balances"].items()}}


def asset_pairs(h, q):
    if "pair" not in q:
        h.reply(200, {"error": [], "result": PAIRS})
        return True
    out = {}
    for name in q["pair"].split(","):
        key = next((k for k, p in PAIRS.items()
                    if name in (k, p["altname"])), None)
        if key is None:
            h.reply(200, {"error": ["EQuery:Unknown asset pair"]})
            return True
        out[key] = PAIRS[key]
    h.reply(200, {"error": [], "result": out})
    return True


def get_kraken(h):
    global rate_limited
    u = urllib.parse.urlparse(h.path)
    if u.path == "/0/public/Time":
        now = time.time()
        h.reply(200, {"error": [], "result": {"unixtime": int(now), "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now))}})
        return True
    if u.path == "/fake/record":
        h.reply(200, record())
        return True
    if u.path == "/0/public/AssetPairs":
        return asset_pairs(h, dict(urllib.parse.parse_qsl(u.query)))
    if u.path != "/0/public/OHLC":
        return False
    if rate_limited > 0:
        rate_limited -= 1
        h.reply(200, {"error": ["EGeneral:Too many requests"]})
        return True
    q = dict(urllib.parse.parse_qsl(u.query))
    if q.get("pair") not in REST:
        h.reply(200, {"error": ["EQuery:Unknown asset pair"]})
        return True
    if q.get("interval", "1") != "1":
        h.reply(200, {"error": ["EGeneral:Invalid arguments"]})
        return True
    sym, key = REST[q["pair"]]
    since = int(q.get("since", 0))
    now = int(time.time() * 1000)
    with fb.lock:
        rows = sorted((t, c[:]) for t, c in fb.candles[sym].items()
                      if t // 1000 > since)
    # Only the 720 most recent committed minutes, whatever `since` says,
    # and the open one last.
    closed = [r for r in rows if r[0] + 60000 <= now][-720:]
    live = [r for r in rows if r[0] + 60000 > now]
    out = [[t // 1000, fb.fmt(c[0]), fb.fmt(c[1]), fb.fmt(c[2]),
            fb.fmt(c[3]), fb.fmt(c[5] / c[4] if c[4] else 0), fb.fmt(c[4]),
            c[6]] for t, c in closed + live]
    last = closed[-1][0] // 1000 if closed else since
    h.reply(200, {"error": [], "result": {key: out, "last": last}})
    return True


def post_kraken(h):
    global rate_limited
    u = urllib.parse.urlparse(h.path)
    if post_private(h) or control(h):
        return True
    if u.path != "/fake/ratelimit":
        return False
    q = dict(urllib.parse.parse_qsl(u.query))
    rate_limited = int(q.get("n", 1))
    h.reply(200, {})
    return True


BaseHttp = fb.Http


class Http(BaseHttp):
    def do_POST(self):
        if not post_kraken(self):
            BaseHttp.do_POST(self)


fb.publish = publish_kraken
fb.ws_handler = ws_handler_kraken
fb.dialect_get = get_kraken
fb.garbage_all = garbage_kraken
fb.Http = Http
fb.asyncio.run(fb.main())
