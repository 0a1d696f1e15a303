#!/usr/bin/python3
"""fake_bybit.py PORTFILE -- a loopback Bybit v5 spot public API on the
market of fake_binance.py: the WebSocket (subscribe / ping ops, the
publicTrade, kline.1 and orderbook.1 topics as documented) and REST
/v5/market/kline (newest first), plus the same /fake/... controls."""
import json
import os
import sys
import time
import urllib.parse

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


fb.publish = publish_bybit
fb.ws_handler = ws_handler_bybit
fb.dialect_get = get_bybit
fb.asyncio.run(fb.main())
