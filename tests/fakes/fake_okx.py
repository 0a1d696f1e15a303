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
service-upgrade notice (64008) on every connection, each cut 2 s later.

The private side (spot, tdMode cash), written from the venue's documented
scheme, not from the adapter:
  every /api/v5/trade/ and /api/v5/account/ call is authenticated: the
  OK-ACCESS-KEY and OK-ACCESS-PASSPHRASE must be ours (FAKE_OKX_KEY,
  FAKE_OKX_PASSPHRASE; 401 50111 / 50105), OK-ACCESS-TIMESTAMP (ISO ms)
  within 30 s of our clock (401 50102), OK-ACCESS-SIGN the Base64
  HMAC-SHA256 under FAKE_OKX_SECRET of timestamp + METHOD + path with
  query + body (401 50113 "Invalid Sign"), an expTime header not past;
  POST /api/v5/trade/order (clOrdId once: 51016 after), cancel-order;
  GET /trade/order, orders-pending, fills (begin, after=billId, ordId,
  instId; newest first, 100 a page), /account/balance, /public/time.
  Refusals: 51008 insufficient balance, 51121 lot, 51020 minimum, 51001
  instrument.  Market orders fill at once at the market (taker, 0.1 %);
  limit orders rest and fill when the market crosses them, in
  FAKE_OKX_STEPS (2) partial steps (maker, 0.08 %).  Fees are charged
  in the base asset on buys (as the venue does), or all in the quote with
  FAKE_OKX_QUOTE_FEES=1.  Balances from FAKE_OKX_BALANCES
  ("USDT=100000,BTC=1").
  /ws/v5/private: login (the documented signature of timestamp seconds +
  GET/users/self/verify, else 60009), subscribe orders (SPOT) and account;
  pushes in the venue's shape on every change and fill.
  Controls: POST /fake/drop_private?hold=S (cut the private streams and
  refuse them S s), /fake/delay?ms=N (acknowledge orders N ms late),
  /fake/steps?n=N, /fake/freeze (resting orders fill no more),
  /fake/lot?inst=I&lot=L (the matching engine's lot
  differs from the listed one: its refusal reaches the adapter),
  /fake/limit_private?count=N&status=429[&path=P] (the next N private
  calls, or calls to path P, refused with 50011), /fake/balance?ccy=C&amount=X[&frozen=Y] (held by
  orders elsewhere: not available); GET
  /fake/record: orders, fills, refusals by reason, bad signatures."""
import asyncio
import base64
import calendar
import hashlib
import hmac
import itertools
import json
import threading
from decimal import Decimal as D, ROUND_DOWN, ROUND_HALF_UP
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
    for msg in cross(inst, D(fb.fmt(p))):
        await push_private(msg)
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
    if path == "/ws/v5/private":
        return await private_ws(ws)
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


# ---- the private side --------------------------------------------------------

KEY = os.environ.get("FAKE_OKX_KEY", "fake-key")
SECRET = os.environ.get("FAKE_OKX_SECRET", "fake-secret")
PASSPHRASE = os.environ.get("FAKE_OKX_PASSPHRASE", "fake-pass")
QUOTE_FEES = os.environ.get("FAKE_OKX_QUOTE_FEES") == "1"
UNIT = D("0.00000001")
plock = threading.RLock()
orders = {}              # clOrdId -> order
fills = []               # ascending
balances = {}            # ccy -> [cash, frozen]
for item in os.environ.get("FAKE_OKX_BALANCES", "USDT=100000,BTC=1").split(","):
    if "=" in item:
        k, v = item.split("=")
        balances[k] = [D(v), D(0)]
refused = {"duplicate": 0, "bad_sign": 0, "bad_key": 0, "expired": 0,
           "insufficient": 0, "lot": 0, "min": 0, "instrument": 0,
           "rate": 0, "unknown": 0}
ctl = {"steps": int(os.environ.get("FAKE_OKX_STEPS", "2")), "delay": 0.0,
       "limit": 0, "limit_status": 429, "limit_path": None, "private_hold": 0.0,
       "frozen": False}
ids = {"ord": itertools.count(500000000000000001),
       "trade": itertools.count(900001), "bill": itertools.count(700001)}
private = set()          # logged-in private connections
lots = {}                # instId -> the matching engine's own lot
counts = {"requests": 0}


def sign(msg):
    return base64.b64encode(hmac.new(SECRET.encode(), msg.encode(),
                                     hashlib.sha256).digest()).decode()


def ms_now():
    return int(time.time() * 1000)


def bal(ccy):
    return balances.setdefault(ccy, [D(0), D(0)])


def dstr(x):
    s = format(x.normalize(), "f") if x != 0 else "0"
    return s


def order_view(o):
    return {"instId": o["instId"], "instType": "SPOT", "ordId": o["ordId"],
            "clOrdId": o["clOrdId"], "px": o["px"], "sz": dstr(o["sz"]),
            "ordType": o["ordType"], "side": o["side"], "tdMode": "cash",
            "state": o["state"], "accFillSz": dstr(o["acc"]),
            "avgPx": dstr(o["notional"] / o["acc"]) if o["acc"] else "",
            "fee": dstr(-o["fee"]), "feeCcy": o["feeCcy"],
            "cTime": str(o["cTime"]), "uTime": str(o["uTime"]),
            "tradeId": "", "fillPx": "", "fillSz": "0", "fillTime": "",
            "fillFee": "0", "fillFeeCcy": "", "execType": "",
            "code": "0", "msg": ""}


def orders_push(o, f=None):
    d = order_view(o)
    if f is not None:
        d.update({"tradeId": f["tradeId"], "fillPx": f["fillPx"],
                  "fillSz": f["fillSz"], "fillTime": f["ts"],
                  "fillFee": f["fee"], "fillFeeCcy": f["feeCcy"],
                  "execType": f["execType"]})
    return {"arg": {"channel": "orders", "instType": "SPOT", "uid": "1"},
            "data": [d]}


def account_push(ccys):
    return {"arg": {"channel": "account", "uid": "1"}, "data": [{
        "uTime": str(ms_now()), "totalEq": "0", "details": [
            detail(c) for c in ccys]}]}


def detail(c):
    cash, frozen = bal(c)
    return {"ccy": c, "cashBal": dstr(cash), "availBal": dstr(cash - frozen),
            "frozenBal": dstr(frozen), "eq": dstr(cash),
            "uTime": str(ms_now())}


def do_fill(o, qty, price, maker):
    """One fill of o (plock held): balances, fees, the record; the pushes."""
    base, quote = o["instId"].split("-")
    notional = (qty * price).quantize(UNIT, rounding=ROUND_HALF_UP)
    rate = D("0.0008") if maker else D("0.001")
    if o["side"] == "buy" and not QUOTE_FEES:
        fee, fccy = (qty * rate).quantize(UNIT, rounding=ROUND_HALF_UP), base
    else:
        fee, fccy = (notional * rate).quantize(UNIT, rounding=ROUND_HALF_UP), quote
    if QUOTE_FEES:
        fee = (notional * D("0.001")).quantize(UNIT, rounding=ROUND_HALF_UP)
    if o["side"] == "buy":
        bal(quote)[0] -= notional
        bal(base)[0] += qty - (fee if fccy == base else 0)
        bal(quote)[0] -= fee if fccy == quote else 0
        if o["ordType"] != "market":
            bal(quote)[1] -= (qty * D(o["px"])).quantize(UNIT)
    else:
        bal(base)[0] -= qty
        bal(base)[1] -= qty if o["ordType"] != "market" else 0
        bal(quote)[0] += notional - fee
    o["acc"] += qty
    o["notional"] += notional
    o["fee"] += fee
    o["feeCcy"] = fccy
    o["uTime"] = ms_now()
    o["state"] = "filled" if o["acc"] >= o["sz"] else "partially_filled"
    if o["state"] == "filled" and o["side"] == "buy" and o["ordType"] != "market":
        bal(quote)[1] = max(bal(quote)[1], D(0))
    f = {"tradeId": str(next(ids["trade"])), "billId": str(next(ids["bill"])),
         "ordId": o["ordId"], "clOrdId": o["clOrdId"], "instId": o["instId"],
         "side": o["side"], "fillPx": dstr(price), "fillSz": dstr(qty),
         "fee": dstr(-fee), "feeCcy": fccy, "execType": "M" if maker else "T",
         "ts": str(ms_now()), "instType": "SPOT"}
    fills.append(f)
    return [orders_push(o, f), account_push([base, quote])]


def crosses(o, p):
    px = D(o["px"])
    return p <= px if o["side"] == "buy" else p >= px


def cross(inst, p):
    """The market moved to p: resting limits it crosses fill a step."""
    out = []
    with plock:
        if ctl["frozen"]:
            return out
        for o in list(orders.values()):
            if o["instId"] != inst or o["state"] not in ("live", "partially_filled") \
                    or o["ordType"] not in ("limit", "post_only") or not crosses(o, p):
                continue
            left = o["sz"] - o["acc"]
            step = (o["sz"] / max(ctl["steps"], 1)).quantize(UNIT, rounding=ROUND_DOWN)
            q = left if step <= 0 or step >= left else step
            out += do_fill(o, q, D(o["px"]), True)
    return out


async def push_private(msg):
    text = json.dumps(msg)
    for ws in list(private):
        try:
            await ws.send(text)
        except Exception:
            pass


def push_soon(msgs):
    for m in msgs:
        asyncio.run_coroutine_threadsafe(push_private(m), fb.loop)


async def private_ws(ws):
    if time.time() < ctl["private_hold"]:
        await ws.close(code=1013, reason="try again later")
        return
    try:
        async for text in ws:
            if text == "ping":
                await ws.send("pong")
                continue
            try:
                req = json.loads(text)
            except ValueError:
                await ws.send(json.dumps({"event": "error", "code": "60012",
                                          "msg": "Invalid request: " + text}))
                continue
            if req.get("op") == "login":
                a = (req.get("args") or [{}])[0]
                ts = a.get("timestamp", "")
                good = (a.get("apiKey") == KEY and
                        a.get("passphrase") == PASSPHRASE and ts.isdigit() and
                        abs(int(ts) - time.time()) <= 30 and
                        hmac.compare_digest(a.get("sign", ""),
                                            sign(ts + "GET/users/self/verify")))
                if not good:
                    with plock:
                        refused["bad_sign"] += 1
                    await ws.send(json.dumps({"event": "error",
                                              "code": "60009",
                                              "msg": "Login failed.",
                                              "connId": "fake"}))
                    await ws.close()
                    return
                ws.logged = True
                await ws.send(json.dumps({"event": "login", "code": "0",
                                          "msg": "", "connId": "fake"}))
                continue
            if req.get("op") == "subscribe":
                if not getattr(ws, "logged", False):
                    await ws.send(json.dumps({"event": "error", "code": "60011",
                                              "msg": "Please log in",
                                              "connId": "fake"}))
                    continue
                for a in req.get("args", []):
                    await ws.send(json.dumps({"event": "subscribe", "arg": a,
                                              "connId": "fake"}))
                private.add(ws)
    except websockets.ConnectionClosed:
        pass
    finally:
        private.discard(ws)


async def drop_private():
    for ws in list(private):
        private.discard(ws)
        await ws.close(code=4000, reason="dropped")


def err(h, status, code, msg, why=None):
    if why:
        with plock:
            refused[why] += 1
    h.reply(status, {"code": code, "msg": msg, "data": []})


def authenticated(h, body):
    hd = h.headers
    if hd.get("OK-ACCESS-KEY") != KEY:
        err(h, 401, "50111", "Invalid OK-ACCESS-KEY", "bad_key")
        return False
    if hd.get("OK-ACCESS-PASSPHRASE") != PASSPHRASE:
        err(h, 401, "50105", "Invalid OK-ACCESS-PASSPHRASE", "bad_key")
        return False
    ts = hd.get("OK-ACCESS-TIMESTAMP", "")
    try:
        t = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) + \
            int(ts[20:23]) / 1000.0
        if len(ts) != 24 or ts[19] != "." or ts[23] != "Z":
            raise ValueError
    except ValueError:
        err(h, 400, "50112", "Invalid OK-ACCESS-TIMESTAMP", "expired")
        return False
    if abs(t - time.time()) > 30:
        err(h, 401, "50102", "Timestamp request expired", "expired")
        return False
    want = sign(ts + h.command + h.path + body)
    if not hmac.compare_digest(hd.get("OK-ACCESS-SIGN", ""), want):
        err(h, 401, "50113", "Invalid Sign", "bad_sign")
        return False
    exp = hd.get("expTime")
    if exp is not None and (not exp.isdigit() or int(exp) < ms_now()):
        err(h, 200, "50102", "Request timeout", "expired")
        return False
    return True


def place(req):
    """A place (plock held): (answer, pushes)."""
    def no(code, msg, why):
        refused[why] += 1
        print("refused %s %s: %s" % (code, msg, json.dumps(req)),
              file=sys.stderr, flush=True)
        return {"code": "1", "msg": "All operations failed", "data": [{
            "clOrdId": cid, "ordId": "", "tag": "", "ts": str(ms_now()),
            "sCode": code, "sMsg": msg}]}, []
    cid = req.get("clOrdId", "")
    inst = req.get("instId", "")
    if cid in orders:
        return no("51016", "Duplicated clOrdId", "duplicate")
    if inst not in SYM:
        return no("51001", "Instrument ID doesn't exist.", "instrument")
    tick, lot, least = (D(x) for x in STEPS[inst])
    try:
        sz = D(req.get("sz", ""))
        px = D(req.get("px", "0") or "0")
        side, typ = req["side"], req["ordType"]
        if side not in ("buy", "sell") or typ not in (
                "market", "limit", "post_only", "ioc", "fok") or \
                req.get("tdMode") != "cash" or sz <= 0 or \
                (typ != "market" and (px <= 0 or px % tick != 0)) or \
                (typ == "market" and side == "buy" and req.get("tgtCcy") != "base_ccy"):
            raise ValueError
    except (ValueError, KeyError, ArithmeticError):
        return no("51000", "Parameter error", "unknown")
    lot = lots.get(inst, lot)
    if sz % lot != 0:
        return no("51121", "Order quantity must be a multiple of the lot size.", "lot")
    if sz < least:
        return no("51020", "Order amount should be greater than the min available amount.", "min")
    base, quote = inst.split("-")
    mkt = D(fb.fmt(fb.SYMBOLS[SYM[inst]]))
    if side == "buy":
        need, ccy = (sz * (px if typ != "market" else mkt * D("1.01"))).quantize(UNIT), quote
    else:
        need, ccy = sz, base
    cash, frozen = bal(ccy)
    if cash - frozen < need:
        return no("51008", "Order failed. Insufficient %s balance in account." % ccy, "insufficient")
    o = {"instId": inst, "ordId": str(next(ids["ord"])), "clOrdId": cid,
         "px": dstr(px) if typ != "market" else "", "sz": sz, "ordType": typ,
         "side": side, "state": "live", "acc": D(0), "notional": D(0),
         "fee": D(0), "feeCcy": quote, "cTime": ms_now(), "uTime": ms_now()}
    orders[cid] = o
    pushes = []
    if typ == "market":
        pushes += do_fill(o, sz, mkt, False)
    elif typ in ("ioc", "fok", "post_only") and crosses(o, mkt):
        if typ == "post_only":
            o["state"] = "canceled"
            pushes.append(orders_push(o))
        else:
            pushes += do_fill(o, sz, px, False)
    elif typ in ("ioc", "fok"):
        o["state"] = "canceled"
        pushes.append(orders_push(o))
    else:
        bal(ccy)[1] += need
        pushes += [orders_push(o), account_push([ccy])]
    return {"code": "0", "msg": "", "data": [{
        "clOrdId": cid, "ordId": o["ordId"], "tag": "", "ts": str(ms_now()),
        "sCode": "0", "sMsg": ""}]}, pushes


def cancel(req):
    o = orders.get(req.get("clOrdId", "")) if req.get("clOrdId") else next(
        (x for x in orders.values() if x["ordId"] == req.get("ordId")), None)
    if o is None:
        return {"code": "1", "msg": "", "data": [{"clOrdId": req.get("clOrdId", ""), "ordId": req.get("ordId", ""), "sCode": "51400", "sMsg": "Cancellation failed as the order has been filled, canceled or does not exist."}]}, []
    if o["state"] not in ("live", "partially_filled"):
        return {"code": "1", "msg": "", "data": [{"clOrdId": o["clOrdId"], "ordId": o["ordId"], "sCode": "51400", "sMsg": "Cancellation failed as the order has been filled, canceled or does not exist."}]}, []
    base, quote = o["instId"].split("-")
    left = o["sz"] - o["acc"]
    if o["side"] == "buy":
        bal(quote)[1] = max(bal(quote)[1] - (left * D(o["px"])).quantize(UNIT), D(0))
    else:
        bal(base)[1] = max(bal(base)[1] - left, D(0))
    o["state"] = "canceled"
    o["uTime"] = ms_now()
    return {"code": "0", "msg": "", "data": [{"clOrdId": o["clOrdId"], "ordId": o["ordId"], "sCode": "0", "sMsg": ""}]}, [orders_push(o), account_push([base, quote])]


def private_rest(h):
    u = urllib.parse.urlparse(h.path)
    if not (u.path.startswith("/api/v5/trade/") or u.path.startswith("/api/v5/account/")):
        return False
    n = int(h.headers.get("Content-Length", "0") or 0)
    body = h.rfile.read(n).decode() if n else ""
    with plock:
        counts["requests"] += 1
    if not authenticated(h, body):
        return True
    with plock:
        # Private limits count per user: only calls that authenticate.
        if ctl["limit"] > 0 and ctl["limit_path"] in (None, u.path):
            ctl["limit"] -= 1
            refused["rate"] += 1
            h.reply(ctl["limit_status"], {"code": "50011", "msg": "Too Many Requests", "data": []})
            return True
    if ctl["delay"] > 0 and u.path in ("/api/v5/trade/order", "/api/v5/trade/cancel-order") and h.command == "POST":
        time.sleep(ctl["delay"])
        # The venue drops a request still queued past its expTime.
        exp = h.headers.get("expTime")
        if exp is not None and int(exp) < ms_now():
            err(h, 200, "50102", "Request timeout", "expired")
            return True
    q = dict(urllib.parse.parse_qsl(u.query))
    try:
        req = json.loads(body) if body else {}
    except ValueError:
        return err(h, 400, "50000", "Body cannot be empty.") or True
    with plock:
        if h.command == "POST" and u.path == "/api/v5/trade/order":
            ans, pushes = place(req)
        elif h.command == "POST" and u.path == "/api/v5/trade/cancel-order":
            ans, pushes = cancel(req)
        elif h.command == "GET" and u.path == "/api/v5/trade/order":
            o = orders.get(q.get("clOrdId", ""))
            if o is None or o["instId"] != q.get("instId"):
                refused["unknown"] += 1
                ans = {"code": "51603", "msg": "Order does not exist", "data": []}
            else:
                ans = {"code": "0", "msg": "", "data": [order_view(o)]}
            pushes = []
        elif h.command == "GET" and u.path == "/api/v5/trade/orders-pending":
            ans = {"code": "0", "msg": "", "data": [
                order_view(o) for o in orders.values()
                if o["state"] in ("live", "partially_filled") and
                q.get("instId", o["instId"]) == o["instId"]]}
            pushes = []
        elif h.command == "GET" and u.path in ("/api/v5/trade/fills", "/api/v5/trade/fills-history"):
            rows = [f for f in reversed(fills)
                    if int(f["ts"]) > int(q.get("begin", "0") or 0) and
                    q.get("instId", f["instId"]) == f["instId"] and
                    q.get("ordId", f["ordId"]) == f["ordId"] and
                    ("after" not in q or int(f["billId"]) < int(q["after"]))]
            ans = {"code": "0", "msg": "", "data": rows[:min(int(q.get("limit", 100)), 100)]}
            pushes = []
        elif h.command == "GET" and u.path == "/api/v5/account/balance":
            ans = {"code": "0", "msg": "", "data": [{
                "uTime": str(ms_now()), "totalEq": "0",
                "details": [detail(c) for c in sorted(balances)]}]}
            pushes = []
        else:
            ans, pushes = {"code": "50014", "msg": "not served by the fake", "data": []}, []
    h.reply(200, ans)
    push_soon(pushes)
    return True


def record():
    st = {"live": "new", "partially_filled": "partial", "filled": "filled",
          "canceled": "canceled"}
    with plock:
        return {"orders": [{"client_id": o["clOrdId"], "status": st[o["state"]],
                            "filled": dstr(o["acc"]), "qty": dstr(o["sz"]),
                            "side": o["side"], "type": o["ordType"]}
                           for o in orders.values()],
                "fills": [{"id": f["tradeId"], "client_id": f["clOrdId"],
                           "qty": f["fillSz"], "price": f["fillPx"],
                           "fee": f["fee"], "fee_ccy": f["feeCcy"],
                           "side": f["side"], "maker": f["execType"] == "M",
                           "ts": int(f["ts"])}
                          for f in fills],
                "refused": dict(refused), "requests": counts["requests"],
                "balances": {c: dstr(v[0]) for c, v in balances.items()}}


def fake_control(h):
    u = urllib.parse.urlparse(h.path)
    q = dict(urllib.parse.parse_qsl(u.query))
    if h.command == "GET" and u.path == "/fake/record":
        h.reply(200, record())
    elif h.command == "GET" and u.path == "/api/v5/public/time":
        h.reply(200, {"code": "0", "msg": "", "data": [{"ts": str(ms_now())}]})
    elif h.command != "POST":
        return False
    elif u.path == "/fake/drop_private":
        ctl["private_hold"] = time.time() + float(q.get("hold", 0))
        asyncio.run_coroutine_threadsafe(drop_private(), fb.loop).result()
        h.reply(200, {})
    elif u.path == "/fake/delay":
        ctl["delay"] = float(q.get("ms", 0)) / 1000
        h.reply(200, {})
    elif u.path == "/fake/lot":
        with plock:
            lots[q["inst"]] = D(q["lot"])
        h.reply(200, {})
    elif u.path == "/fake/freeze":
        ctl["frozen"] = True
        h.reply(200, {})
    elif u.path == "/fake/steps":
        ctl["steps"] = int(q.get("n", 2))
        h.reply(200, {})
    elif u.path == "/fake/limit_private":
        with plock:
            ctl["limit"] = int(q["count"])
            ctl["limit_status"] = int(q.get("status", 429))
            ctl["limit_path"] = q.get("path")
        h.reply(200, {})
    elif u.path == "/fake/balance":
        with plock:
            bal(q["ccy"])[0] = D(q["amount"])
            bal(q["ccy"])[1] = D(q.get("frozen", "0"))
        push_soon([account_push([q["ccy"]])])
        h.reply(200, {})
    else:
        return False
    return True


def get_okx(h):
    if private_rest(h) or fake_control(h):
        return True
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
