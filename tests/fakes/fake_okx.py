#!/usr/bin/python3
"""fake_okx.py PORTFILE -- a loopback OKX v5 public API on the market of
fake_binance.py: the public WebSocket (/ws/v5/public: trades, bbo-tbt) and
the business one (/ws/v5/business: candle1m) on one port, each refusing
the other's channels as the venue does (event error 60018), answering the
text `ping` with the text `pong`; REST /api/v5/market/candles (the latest
1440 bars) and history-candles (older ones too), newest first, `after` /
`before` exclusive, at most 300 rows; /api/v5/public/instruments
?instType=SPOT, the SPOT list of its instruments (all fields text, the
docs' shape); plus the /fake/... controls of
fake_binance.py (symbols there are BTCUSDT) and POST /fake/notice: the
service-upgrade notice (64008) on every connection, each cut 2 s later."""
import asyncio
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_binance as fb  # noqa: E402
import websockets  # noqa: E402

INST = {"BTCUSDT": "BTC-USDT", "ETHUSDT": "ETH-USDT"}
SYM = {v: k for k, v in INST.items()}
CHANNELS = {"/ws/v5/public": {"trades", "bbo-tbt", "tickers", "books5"},
            "/ws/v5/business": {"candle1m", "trades-all"}}


def candle_row(t, c, confirm):
    o, h, l, cl, v, qv, n = c
    return [str(t), fb.fmt(o), fb.fmt(h), fb.fmt(l), fb.fmt(cl),
            fb.fmt(v), fb.fmt(qv), fb.fmt(qv), confirm]


async def publish_okx(sym, tid, now, p, q, maker, prev, m):
    inst = INST[sym]
    await fb.broadcast("trades:" + inst, {
        "arg": {"channel": "trades", "instId": inst},
        "data": [{"instId": inst, "tradeId": str(tid), "px": fb.fmt(p),
                  "sz": fb.fmt(q), "side": "sell" if maker else "buy",
                  "ts": str(now), "count": "1", "source": "0",
                  "seqId": tid}]})
    await fb.broadcast("bbo-tbt:" + inst, {
        "arg": {"channel": "bbo-tbt", "instId": inst},
        "data": [{"asks": [[fb.fmt(p + 0.01), "2.0", "0", "1"]],
                  "bids": [[fb.fmt(p - 0.01), "1.0", "0", "1"]],
                  "ts": str(now), "seqId": tid}]})
    if prev is not None and prev != m:
        # The minute that ended, confirmed; then the new one, open.
        for t, confirm in ((prev, "1"), (m, "0")):
            await fb.broadcast("candle1m:" + inst, {
                "arg": {"channel": "candle1m", "instId": inst},
                "data": [candle_row(t, fb.candles[sym][t], confirm)]})


async def ws_handler_okx(ws, path=None):
    path = urllib.parse.urlparse(getattr(ws, "path", None) or path or "").path
    if path not in CHANNELS:
        await ws.close(code=1008, reason="no such endpoint")
        return
    if time.time() < fb.hold_until:
        await ws.close(code=1013, reason="try again later")
        return
    ws.subs = set()
    fb.conns.add(ws)
    try:
        async for text in ws:
            if text == "ping":
                print("ping on %s" % path, file=sys.stderr, flush=True)
                await ws.send("pong")
                continue
            try:
                req = json.loads(text)
            except ValueError:
                await ws.send(json.dumps({"event": "error", "code": "60012",
                                          "msg": "Invalid request: " + text,
                                          "connId": "fake"}))
                continue
            if req.get("op") != "subscribe":
                continue
            for a in req.get("args", []):
                ch, inst = a.get("channel"), a.get("instId")
                if ch not in CHANNELS[path] or inst not in SYM:
                    await ws.send(json.dumps({
                        "id": req.get("id", ""), "event": "error",
                        "code": "60018",
                        "msg": "Wrong URL or channel:%s,instId:%s doesn't "
                        "exist. Please use the correct URL, channel and "
                        "parameters referring to API document." % (ch, inst),
                        "connId": "fake"}))
                    continue
                ws.subs.add(ch + ":" + inst)
                await ws.send(json.dumps({"id": req.get("id", ""),
                                          "event": "subscribe",
                                          "arg": a, "connId": "fake"}))
    except websockets.ConnectionClosed:
        pass
    finally:
        fb.conns.discard(ws)


async def notice_all():
    old = list(fb.conns)
    for ws in old:
        await ws.send(json.dumps({
            "event": "notice", "code": "64008",
            "msg": "The connection will soon be closed for a service "
            "upgrade. Please reconnect.", "connId": "fake"}))
    await asyncio.sleep(2)
    for ws in old:
        await ws.close(code=1012, reason="service upgrade")


# tickSz, lotSz, minSz as the venue lists these spot pairs (the quantity
# step lotSz finer than the smallest order minSz).
STEPS = {"BTC-USDT": ("0.1", "0.00000001", "0.00001"),
         "ETH-USDT": ("0.01", "0.000001", "0.001")}


def instrument(inst):
    base, quote = inst.split("-")
    tick, lot, least = STEPS[inst]
    return {"alias": "", "auctionEndTime": "", "baseCcy": base,
            "category": "1", "ctMult": "", "ctType": "", "ctVal": "",
            "ctValCcy": "", "expTime": "", "instFamily": "",
            "instId": inst, "instType": "SPOT", "lever": "10",
            "listTime": "1548133413000", "lotSz": lot,
            "maxIcebergSz": "9999999999.0000000000000000",
            "maxLmtAmt": "20000000", "maxLmtSz": "9999999999",
            "maxMktAmt": "1000000", "maxMktSz": "1000000",
            "maxStopSz": "1000000",
            "maxTriggerSz": "9999999999.0000000000000000",
            "maxTwapSz": "9999999999.0000000000000000", "minSz": least,
            "optType": "", "quoteCcy": quote, "ruleType": "normal",
            "settleCcy": "", "state": "live", "stk": "", "tickSz": tick,
            "uly": ""}


def get_okx(h):
    u = urllib.parse.urlparse(h.path)
    if h.command == "POST":
        if u.path != "/fake/notice":
            return False
        asyncio.run_coroutine_threadsafe(notice_all(), fb.loop)
        h.reply(200, {})
        return True
    if u.path == "/api/v5/public/instruments":
        q = dict(urllib.parse.parse_qsl(u.query))
        if q.get("instType") != "SPOT":
            h.reply(200, {"code": "51000",
                          "msg": "Parameter instType error", "data": []})
        else:
            h.reply(200, {"code": "0", "msg": "",
                          "data": [instrument(i) for i in INST.values()]})
        return True
    if u.path not in ("/api/v5/market/candles",
                      "/api/v5/market/history-candles"):
        return False
    q = dict(urllib.parse.parse_qsl(u.query))
    sym = SYM.get(q.get("instId", ""))
    if sym is None:
        h.reply(200, {"code": "51001", "msg": "Instrument ID doesn't exist.",
                      "data": []})
        return True
    if q.get("bar", "1m") != "1m":
        h.reply(200, {"code": "51000", "msg": "Parameter bar error",
                      "data": []})
        return True
    now = int(time.time() * 1000)
    cur = now - now % 60000
    after = int(q.get("after", 1 << 62))
    before = int(q.get("before", -1))
    lim = max(1, min(int(q.get("limit", 100)), 300))
    oldest = cur - 1439 * 60000 if u.path.endswith("/candles") else 0
    with fb.lock:
        rows = sorted(((t, c[:]) for t, c in fb.candles[sym].items()
                       if before < t < after and t >= oldest), reverse=True)
    rows = [candle_row(t, c, "0" if t == cur else "1")
            for t, c in rows][:lim]
    h.reply(200, {"code": "0", "msg": "", "data": rows})
    return True


class Http(fb.Http):
    def do_POST(self):
        if get_okx(self):
            return
        super().do_POST()


fb.publish = publish_okx
fb.ws_handler = ws_handler_okx
fb.dialect_get = get_okx
fb.Http = Http
fb.asyncio.run(fb.main())
