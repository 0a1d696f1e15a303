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
requests with Kraken's HTTP-200 rate-limit error."""
import asyncio
import datetime
import json
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
