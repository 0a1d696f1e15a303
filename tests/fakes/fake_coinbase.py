#!/usr/bin/python3
"""fake_coinbase.py PORTFILE -- a loopback Coinbase Advanced Trade public
API on the market of fake_binance.py (products BTC-USDT and ETH-USDT):
the WebSocket (one channel per subscribe message; market_trades batches,
newest first, whose `side` is the MAKER's side, with a snapshot of the
last trades on subscribe; ticker; heartbeats every second; subscriptions
acks; error answers; a per-connection sequence_num; a connection that has
not subscribed within 5 s is closed, as the venue does) and the public
REST candles GET /api/v3/brokerage/market/products/{id}/candles (seconds,
newest first, a range of 350 candles or more refused) and the public
product list GET /api/v3/brokerage/market/products?product_type=SPOT (its
two products in the documented shape, all steps as text), plus the same
/fake/... controls.  WebSocket pings are answered by the protocol layer,
as the venue's are."""
import asyncio
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_binance as fb  # noqa: E402
import websockets  # noqa: E402

NATIVE = {"BTCUSDT": "BTC-USDT", "ETHUSDT": "ETH-USDT"}
SYMBOL = {v: k for k, v in NATIVE.items()}
CHANNELS = ("market_trades", "ticker", "heartbeats", "status", "candles")
BATCH = 3            # trades per market_trades update
pending = {s: [] for s in NATIVE}


def iso(ms, extra=0):
    """RFC 3339 with microseconds, trailing zeros cut as the venue does."""
    frac = ("%03d%03d" % (ms % 1000, extra)).rstrip("0")
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ("." + frac if frac else "") + "Z"


def trade_obj(t):
    tid, ts, p, q, maker = t
    # fake_binance's `maker` is "the buyer made the book": the maker's
    # side, which this channel reports, is then BUY.
    return {"trade_id": str(tid), "price": fb.fmt(p), "size": fb.fmt(q),
            "time": iso(ts, tid % 1000), "side": "BUY" if maker else "SELL"}


async def send(ws, channel, events):
    if fb.stalled():
        return                 # /fake/stall: open, silent
    now = int(time.time() * 1000)
    msg = {"channel": channel, "client_id": "",
           "timestamp": iso(now, 789), "sequence_num": ws.seq,
           "events": events}
    ws.seq += 1
    try:
        await ws.send(json.dumps(msg))
    except Exception:
        pass


def ticker_obj(pid, p):
    return {"type": "ticker", "product_id": pid, "price": fb.fmt(p),
            "volume_24_h": "1000", "low_24_h": "1", "high_24_h": "100000",
            "low_52_w": "1", "high_52_w": "100000",
            "price_percent_chg_24_h": "0",
            "best_bid": fb.fmt(p - 0.01), "best_bid_quantity": "1.0",
            "best_ask": fb.fmt(p + 0.01), "best_ask_quantity": "2.0"}


async def publish_coinbase(sym, tid, now, p, q, maker, prev, m):
    pid = NATIVE[sym]
    pending[sym].append((tid, now, p, q, maker))
    if len(pending[sym]) >= BATCH:
        batch = [dict(trade_obj(t), product_id=pid)
                 for t in reversed(pending[sym])]
        pending[sym] = []
        for ws in list(fb.conns):
            if ("market_trades", pid) in ws.subs:
                await send(ws, "market_trades",
                           [{"type": "update", "trades": batch}])
    for ws in list(fb.conns):
        if ("ticker", pid) in ws.subs:
            await send(ws, "ticker", [{"type": "update",
                                       "tickers": [ticker_obj(pid, p)]}])


async def heartbeats(ws):
    counter = 0
    while True:
        await asyncio.sleep(1)
        if ("heartbeats", "") in ws.subs:
            now = int(time.time() * 1000)
            counter += 1
            await send(ws, "heartbeats", [{
                "current_time": time.strftime("%Y-%m-%d %H:%M:%S",
                                              time.gmtime(now // 1000)) +
                ".%03d000000 +0000 UTC m=+%d.0" % (now % 1000, counter),
                "heartbeat_counter": counter}])


async def subscribe(ws, req):
    ch = req.get("channel")
    pids = req.get("product_ids", [])
    if ch not in CHANNELS or any(p not in SYMBOL for p in pids):
        await ws.send(json.dumps({"type": "error",
                                  "message": "Failure to subscribe"}))
        return
    ws.subscribed = True
    if ch == "heartbeats":
        ws.subs.add(("heartbeats", ""))
    for pid in pids:
        ws.subs.add((ch, pid))
    subs = {}
    for c, pid in sorted(ws.subs):
        subs.setdefault(c, []).append(pid or c)
    await send(ws, "subscriptions", [{"subscriptions": subs}])
    for pid in pids:
        with fb.lock:
            last = list(fb.trades[SYMBOL[pid]][-50:])
        if ch == "market_trades":
            await send(ws, "market_trades", [{
                "type": "snapshot",
                "trades": [dict(trade_obj(t), product_id=pid)
                           for t in reversed(last)]}])
        elif ch == "ticker" and last:
            await send(ws, "ticker", [{
                "type": "snapshot",
                "tickers": [ticker_obj(pid, last[-1][2])]}])


async def deadline(ws):
    await asyncio.sleep(5)
    if not ws.subscribed:
        await ws.close(code=1000, reason="no subscribe within 5 s")


async def ws_handler_coinbase(ws, path=None):
    if time.time() < fb.hold_until:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    ws.seq = 0
    ws.subscribed = False
    fb.conns.add(ws)
    tasks = [asyncio.ensure_future(heartbeats(ws)),
             asyncio.ensure_future(deadline(ws))]
    try:
        async for text in ws:
            try:
                req = json.loads(text)
            except ValueError:
                await ws.send(json.dumps({"type": "error",
                                          "message": "malformed JSON"}))
                continue
            if req.get("type") == "subscribe":
                await subscribe(ws, req)
            elif req.get("type") == "unsubscribe":
                for pid in req.get("product_ids", []):
                    ws.subs.discard((req.get("channel"), pid))
    except websockets.ConnectionClosed:
        pass
    finally:
        for t in tasks:
            t.cancel()
        fb.conns.discard(ws)


async def garbage_coinbase():
    for ws in list(fb.conns):
        for g in ["{not json", "[1,2",
                  json.dumps({"channel": "market_trades",
                              "timestamp": iso(int(time.time() * 1000)),
                              "sequence_num": ws.seq, "events": [{
                                  "type": "update", "trades": [{
                                      "trade_id": "1", "product_id":
                                      "BTC-USDT", "price": "abc",
                                      "size": "1", "side": "BUY",
                                      "time": iso(0)}]}]})]:
            await ws.send(g)
        ws.seq += 1
        # A good message right after the skipped one: the jump in
        # sequence_num is there to see whatever happens next.
        now = int(time.time() * 1000)
        await send(ws, "heartbeats", [{
            "current_time": time.strftime("%Y-%m-%d %H:%M:%S",
                                          time.gmtime(now // 1000)) +
            ".%03d000000 +0000 UTC m=+1.0" % (now % 1000),
            "heartbeat_counter": 1}])


def bad_request(h, why):
    h.reply(400, {"error": "INVALID_ARGUMENT", "error_details": why,
                  "message": why})
    return True


# quote_increment, base_increment, base_min_size, quote_min_size as the
# venue lists these products.
STEPS = {"BTC-USDT": ("0.01", "0.00000001", "0.00000001", "1"),
         "ETH-USDT": ("0.01", "0.00000001", "0.00000001", "1")}
NAMES = {"BTC": "Bitcoin", "ETH": "Ethereum", "USDT": "Tether"}


def product(pid):
    base, quote = pid.split("-")
    tick, lot, least, notional = STEPS[pid]
    with fb.lock:
        last = fb.trades[SYMBOL[pid]][-1:]
    price = fb.fmt(last[0][2]) if last else ""
    return {"product_id": pid, "price": price,
            "price_percentage_change_24h": "0", "volume_24h": "1000",
            "volume_percentage_change_24h": "0", "base_increment": lot,
            "quote_increment": tick, "quote_min_size": notional,
            "quote_max_size": "150000000", "base_min_size": least,
            "base_max_size": "3400", "base_name": NAMES[base],
            "quote_name": NAMES[quote], "watched": False,
            "is_disabled": False, "new": False, "status": "online",
            "cancel_only": False, "limit_only": False, "post_only": False,
            "trading_disabled": False, "auction_mode": False,
            "product_type": "SPOT", "quote_currency_id": quote,
            "base_currency_id": base, "fcm_trading_session_details": None,
            "mid_market_price": "", "alias": "", "alias_to": [],
            "base_display_symbol": base, "quote_display_symbol": quote,
            "view_only": False, "price_increment": tick,
            "display_name": pid, "product_venue": "CBE"}


def get_coinbase(h):
    u = urllib.parse.urlparse(h.path)
    if u.path == "/api/v3/brokerage/market/products":
        q = dict(urllib.parse.parse_qsl(u.query))
        if q.get("product_type", "SPOT") != "SPOT":
            return bad_request(h, "only SPOT products here")
        print("products", file=sys.stderr, flush=True)
        h.reply(200, {"products": [product(p) for p in NATIVE.values()],
                      "num_products": len(NATIVE), "pagination": None})
        return True
    parts = u.path.split("/")
    if len(parts) != 8 or parts[:6] != ["", "api", "v3", "brokerage",
                                        "market", "products"] or \
            parts[7] != "candles":
        return False
    pid = parts[6]
    q = dict(urllib.parse.parse_qsl(u.query))
    if pid not in SYMBOL:
        h.reply(404, {"error": "NOT_FOUND", "error_details":
                      "ProductID is invalid", "message":
                      "ProductID is invalid"})
        return True
    if q.get("granularity") != "ONE_MINUTE":
        return bad_request(h, "unsupported granularity")
    try:
        lo, hi = int(q["start"]), int(q["end"])
    except (KeyError, ValueError):
        return bad_request(h, "start and end argument is invalid")
    if hi < lo or hi - lo >= 350 * 60:
        return bad_request(h, "start and end argument is invalid - number "
                           "of candles requested should be less than 350")
    print("candles %s %d %d" % (pid, lo, hi), file=sys.stderr, flush=True)
    now = int(time.time() * 1000)
    with fb.lock:
        # The minute still open is served too, as the venue does.
        rows = sorted(((t, c[:]) for t, c in fb.candles[SYMBOL[pid]].items()
                       if t <= now and lo <= t // 1000 <= hi), reverse=True)
    h.reply(200, {"candles": [
        {"start": str(t // 1000), "low": fb.fmt(c[2]), "high": fb.fmt(c[1]),
         "open": fb.fmt(c[0]), "close": fb.fmt(c[3]), "volume": fb.fmt(c[4])}
        for t, c in rows]})
    return True


fb.publish = publish_coinbase
fb.ws_handler = ws_handler_coinbase
fb.dialect_get = get_coinbase
fb.garbage_all = garbage_coinbase
fb.asyncio.run(fb.main())
