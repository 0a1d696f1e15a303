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
as the venue's are.

The private side (orders, fills, accounts, the user channel; every request
verified) is described where it begins, below."""
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
        with plock:
            user_conns.discard(ws)


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


# ---- the private side -----------------------------------------------------
#
# Written from the venue's documented scheme, independently of the adapter.
# Every private request must carry "Authorization: Bearer <JWT>": header
# {alg ES256|EdDSA, kid = the key name, nonce, typ JWT}, claims {sub = the
# key name, iss "cdp", nbf, exp (at most 120 s after nbf, not passed),
# uri "METHOD host/path"}; the signature is checked with the public half of
# the key in the file FAKE_CB_KEY (PEM, EC P-256 or Ed25519), the key name
# is FAKE_CB_KEY_NAME.  A bad one: 401 "Unauthorized", counted.  A nonce is
# taken once.  The user channel's subscribe carries a JWT without uri.
#
# Orders are kept per client id (a client id taken again answers with the
# order it names, as the venue does, counted as a duplicate); market
# orders fill at once in two fills, limit orders fill in `partial` steps
# (default 3, one every 300 ms) once the market price crosses them.  Fees:
# 0.6 % taker, 0.4 % maker, in the quote currency.  Balances start from
# FAKE_CB_BALANCES ("USDT=100000,BTC=1") and move with the fills.
#
# Controls: POST /fake/user_drop[?hold=S] (cut the user channel; refuse it
# for S s), /fake/ack_delay?ms=N (order answers wait), /fake/partial?steps=N,
# /fake/rate?status=429&count=N[&retry_after=S][&path=P] (the next N
# private requests, or those to path P), /fake/lot?step=X (the venue's size increment at order entry
# from now on), /fake/balance?currency=C&value=V, /fake/freeze?on=1 (limit
# orders stop filling); GET /fake/record (orders, fills, refusals, bad
# signatures).
import base64  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from decimal import Decimal as D, ROUND_HALF_UP  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402

KEY_NAME = os.environ.get("FAKE_CB_KEY_NAME", "")
PUB = None
if os.environ.get("FAKE_CB_KEY"):
    with open(os.environ["FAKE_CB_KEY"], "rb") as f:
        PUB = serialization.load_pem_private_key(f.read(), None).public_key()
UNIT = D("0.00000001")
plock = threading.RLock()
orders = {}            # client id -> order
by_id = {}             # venue order id -> order
fills = []
nonces = set()
refused = {"duplicate": 0, "bad_signature": 0, "insufficient": 0,
           "invalid": 0, "rate_limited": 0}
ctl = {"ack_delay": 0.0, "steps": 3, "rate": 0, "rate_status": 429,
       "retry_after": None, "rate_path": None, "lot": None, "frozen": False,
       "user_hold": 0.0}
balances = {}
for kv in os.environ.get("FAKE_CB_BALANCES", "USDT=100000,BTC=1").split(","):
    k, v = kv.split("=")
    balances[k] = D(v)
user_conns = set()
seq_ts = [0]


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token, uri):
    """The claims of a good token, None otherwise."""
    try:
        h64, p64, s64 = token.split(".")
        head, claims, sig = json.loads(b64d(h64)), json.loads(b64d(p64)), \
            b64d(s64)
        msg = (h64 + "." + p64).encode()
        if PUB is None or head.get("typ") != "JWT" or \
                head.get("kid") != KEY_NAME or not head.get("nonce"):
            return None
        if isinstance(PUB, ec.EllipticCurvePublicKey):
            if head.get("alg") != "ES256" or len(sig) != 64:
                return None
            PUB.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                            int.from_bytes(sig[32:], "big")),
                       msg, ec.ECDSA(hashes.SHA256()))
        elif isinstance(PUB, ed25519.Ed25519PublicKey):
            if head.get("alg") != "EdDSA":
                return None
            PUB.verify(sig, msg)
        else:
            return None
        now = time.time()
        if claims.get("sub") != KEY_NAME or claims.get("iss") != "cdp" or \
                not isinstance(claims.get("nbf"), int) or \
                not isinstance(claims.get("exp"), int) or \
                claims["nbf"] > now + 5 or claims["exp"] < now or \
                claims["exp"] - claims["nbf"] > 120:
            return None
        if claims.get("uri") != uri:
            return None
        with plock:
            if head["nonce"] in nonces:
                return None
            nonces.add(head["nonce"])
        return claims
    except (ValueError, KeyError, TypeError, InvalidSignature):
        return None


def unauthorized(h):
    body = b"Unauthorized\n"
    h.send_response(401)
    h.send_header("Content-Type", "text/plain; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def authorized(h, method):
    path = urllib.parse.urlparse(h.path).path
    with plock:
        if ctl["rate"] > 0 and (not ctl["rate_path"] or
                                path == ctl["rate_path"]):
            ctl["rate"] -= 1
            refused["rate_limited"] += 1
            hdr = {"Retry-After": ctl["retry_after"]} \
                if ctl["retry_after"] else {}
            h.reply(ctl["rate_status"], {"error": "RATE_LIMIT_EXCEEDED",
                                          "message": "Too many requests",
                                          "error_details": ""}, hdr)
            return False
    auth = h.headers.get("Authorization", "")
    # The host as the client names it: a Host header without a port
    # means the port it connected to.
    host = h.headers.get("Host", "")
    if ":" not in host:
        host += ":%d" % h.server.server_address[1]
    uri = "%s %s%s" % (method, host, urllib.parse.urlparse(h.path).path)
    if not auth.startswith("Bearer ") or verify_jwt(auth[7:], uri) is None:
        with plock:
            refused["bad_signature"] += 1
        print("bad signature on %s" % uri, file=sys.stderr, flush=True)
        unauthorized(h)
        return False
    return True


def now_iso():
    return iso(int(time.time() * 1000), 0)


def market_price(pid):
    with fb.lock:
        return D(fb.fmt(fb.SYMBOLS[SYMBOL[pid]]))


def order_view(o):
    """An order as REST shows it."""
    return {"order_id": o["order_id"], "product_id": o["product_id"],
            "user_id": "fake", "order_configuration": o["config"],
            "side": o["side"], "client_order_id": o["client_order_id"],
            "status": o["status"], "time_in_force": o["tif"],
            "created_time": o["created"],
            "completion_percentage": str((o["filled"] / o["size"] * 100)
                                         .quantize(D("0.01"))),
            "filled_size": str(o["filled"]),
            "average_filled_price": str(avg(o)),
            "fee": "", "number_of_fills": str(len(o["fills"])),
            "filled_value": str(o["value"]), "pending_cancel": False,
            "size_in_quote": False, "total_fees": str(o["fees"]),
            "size_inclusive_of_fees": False,
            "total_value_after_fees": str(o["value"] + o["fees"]),
            "trigger_status": "INVALID_ORDER_TYPE",
            "order_type": o["type"], "reject_reason": "",
            "settled": o["status"] != "OPEN", "product_type": "SPOT",
            "reject_message": "", "cancel_message": o["cancel_message"],
            "order_placement_source": "RETAIL_ADVANCED",
            "outstanding_hold_amount": "0", "is_liquidation": False,
            "last_fill_time": o["fills"][-1]["trade_time"]
            if o["fills"] else None}


def user_view(o):
    """An order as the user channel shows it."""
    return {"avg_price": str(avg(o)), "cancel_reason": o["cancel_message"],
            "client_order_id": o["client_order_id"],
            "completion_percentage": "0",
            "contract_expiry_type": "UNKNOWN_CONTRACT_EXPIRY_TYPE",
            "cumulative_quantity": str(o["filled"]),
            "filled_value": str(o["value"]),
            "leaves_quantity": str(o["size"] - o["filled"]
                                   if o["status"] == "OPEN" else 0),
            "limit_price": o.get("limit_price", "0"),
            "number_of_fills": str(len(o["fills"])),
            "order_id": o["order_id"], "order_side": o["side"],
            "order_type": o["type"].capitalize(),
            "outstanding_hold_amount": "0", "post_only": "false",
            "product_id": o["product_id"], "product_type": "SPOT",
            "reject_Reason": "", "retail_portfolio_id": "fake",
            "risk_managed_by": "UNKNOWN_RISK_MANAGEMENT_TYPE",
            "status": o["status"], "stop_price": o.get("stop_price", ""),
            "time_in_force": o["tif"], "total_fees": str(o["fees"]),
            "total_value_after_fees": str(o["value"] + o["fees"]),
            "trigger_status": "INVALID_ORDER_TYPE",
            "creation_time": o["created"], "end_time": "0001-01-01T00:00:00Z",
            "start_time": "0001-01-01T00:00:00Z"}


def avg(o):
    return (o["value"] / o["filled"]).quantize(UNIT) if o["filled"] else D(0)


async def user_send(ws, kind, olist):
    msg = {"channel": "user", "client_id": "", "timestamp": now_iso(),
           "sequence_num": ws.seq,
           "events": [{"type": kind, "orders": olist, "positions": {
               "perpetual_futures_positions": [],
               "expiring_futures_positions": []}}]}
    ws.seq += 1
    try:
        await ws.send(json.dumps(msg))
    except Exception:
        pass


def push(o):
    """The user channel's update of order o (called under plock)."""
    view = user_view(o)
    for ws in list(user_conns):
        if not ws.products or o["product_id"] in ws.products:
            asyncio.run_coroutine_threadsafe(user_send(ws, "update", [view]),
                                             fb.loop)


def do_fill(o, qty, price, maker):
    notional = (qty * price).quantize(UNIT, rounding=ROUND_HALF_UP)
    fee = (notional * (D("0.004") if maker else D("0.006"))).quantize(
        UNIT, rounding=ROUND_HALF_UP)
    seq_ts[0] = max(seq_ts[0] + 1, int(time.time() * 1000000))
    f = {"entry_id": str(uuid.uuid4()), "trade_id": str(uuid.uuid4()),
         "order_id": o["order_id"], "trade_time": now_iso(),
         "trade_type": "FILL", "price": str(price), "size": str(qty),
         "commission": str(fee), "product_id": o["product_id"],
         "sequence_timestamp": iso(seq_ts[0] // 1000, seq_ts[0] % 1000),
         "liquidity_indicator": "MAKER" if maker else "TAKER",
         "size_in_quote": False, "user_id": "fake", "side": o["side"],
         "retail_portfolio_id": "fake"}
    fills.append(f)
    o["fills"].append(f)
    o["filled"] += qty
    o["value"] += notional
    o["fees"] += fee
    base, quote = o["product_id"].split("-")
    sign = 1 if o["side"] == "BUY" else -1
    balances[base] = balances.get(base, D(0)) + sign * qty
    balances[quote] = balances.get(quote, D(0)) - sign * notional - fee
    if o["filled"] >= o["size"]:
        o["status"] = "FILLED"
    push(o)


def matcher():
    """Limit orders the price crossed fill a step at a time."""
    while True:
        time.sleep(0.3)
        with plock:
            if ctl["frozen"]:
                continue
            for o in list(orders.values()):
                if o["status"] != "OPEN" or o["type"] != "LIMIT":
                    continue
                p = market_price(o["product_id"])
                lim = D(o["limit_price"])
                if (o["side"] == "BUY" and p > lim) or \
                        (o["side"] == "SELL" and p < lim):
                    continue
                step = (o["size"] / ctl["steps"]).quantize(UNIT)
                left = o["size"] - o["filled"]
                do_fill(o, min(max(step, UNIT), left), lim, True)


def place_error(h, code, message, counter):
    with plock:
        refused[counter] += 1
    print("refused %s" % code, file=sys.stderr, flush=True)
    h.reply(200, {"success": False, "failure_reason":
                  "UNKNOWN_FAILURE_REASON", "order_id": "",
                  "error_response": {"error": code, "message": message,
                                     "error_details": "",
                                     "preview_failure_reason":
                                     "PREVIEW_" + code}})


def place(h, req):
    cid = req.get("client_order_id", "")
    pid = req.get("product_id", "")
    side = req.get("side", "")
    conf = req.get("order_configuration") or {}
    if ctl["ack_delay"] > 0:
        time.sleep(ctl["ack_delay"])
    with plock:
        if cid in orders:
            refused["duplicate"] += 1
            o = orders[cid]
            return h.reply(200, {"success": True, "success_response": {
                "order_id": o["order_id"], "product_id": o["product_id"],
                "side": o["side"], "client_order_id": cid},
                "order_configuration": o["config"]})
    if pid not in SYMBOL:
        return place_error(h, "INVALID_PRODUCT_ID", "Invalid product_id",
                           "invalid")
    if side not in ("BUY", "SELL") or len(conf) != 1 or not cid:
        return place_error(h, "INVALID_ARGUMENT", "Invalid order", "invalid")
    kind, c = next(iter(conf.items()))
    types = {"market_market_ioc": ("MARKET", "IMMEDIATE_OR_CANCEL"),
             "limit_limit_gtc": ("LIMIT", "GOOD_UNTIL_CANCELLED"),
             "limit_limit_fok": ("LIMIT", "FILL_OR_KILL"),
             "sor_limit_ioc": ("LIMIT", "IMMEDIATE_OR_CANCEL"),
             "stop_limit_stop_limit_gtc": ("STOP_LIMIT",
                                           "GOOD_UNTIL_CANCELLED")}
    if kind not in types:
        return place_error(h, "UNSUPPORTED_ORDER_CONFIGURATION",
                           "Unsupported order configuration", "invalid")
    try:
        size = D(c["base_size"])
        lim = D(c["limit_price"]) if "limit_price" in c else None
        if size <= 0 or (lim is not None and lim <= 0) or \
                "e" in c["base_size"].lower():
            raise ValueError
    except (KeyError, ValueError, ArithmeticError, AttributeError):
        return place_error(h, "INVALID_ARGUMENT", "Invalid base_size or "
                           "limit_price", "invalid")
    if ctl["lot"] is not None and size % ctl["lot"] != 0:
        return place_error(h, "INVALID_SIZE_PRECISION",
                           "Too many decimals in order amount", "invalid")
    base, quote = pid.split("-")
    px = lim if lim is not None else market_price(pid)
    with plock:
        if (side == "BUY" and balances.get(quote, D(0)) < size * px *
                D("1.006")) or (side == "SELL" and
                                balances.get(base, D(0)) < size):
            return place_error(h, "INSUFFICIENT_FUND",
                               "Insufficient balance in source account",
                               "insufficient")
        typ, tif = types[kind]
        o = {"order_id": str(uuid.uuid4()), "client_order_id": cid,
             "product_id": pid, "side": side, "config": conf, "type": typ,
             "tif": tif, "size": size, "created": now_iso(),
             "status": "OPEN", "filled": D(0), "value": D(0), "fees": D(0),
             "fills": [], "cancel_message": ""}
        if lim is not None:
            o["limit_price"] = str(lim)
        if "stop_price" in c:
            o["stop_price"] = c["stop_price"]
        orders[cid] = o
        by_id[o["order_id"]] = o
        push(o)
        if typ == "MARKET":
            half = (size / 2).quantize(UNIT)
            do_fill(o, half, px, False)
            do_fill(o, size - half, px, False)
        elif kind in ("limit_limit_fok", "sor_limit_ioc"):
            p = market_price(pid)
            if (side == "BUY" and p <= lim) or (side == "SELL" and p >= lim):
                do_fill(o, size, lim, False)
            else:
                o["status"] = "EXPIRED" if kind == "limit_limit_fok" \
                    else "CANCELLED"
                push(o)
        h.reply(200, {"success": True, "success_response": {
            "order_id": o["order_id"], "product_id": pid, "side": side,
            "client_order_id": cid}, "order_configuration": conf})


def cancel(h, req):
    res = []
    with plock:
        for oid in req.get("order_ids", []):
            o = by_id.get(oid)
            if o is None:
                res.append({"success": False, "failure_reason":
                            "UNKNOWN_CANCEL_ORDER", "order_id": oid})
            elif o["status"] != "OPEN":
                res.append({"success": False, "failure_reason":
                            "UNKNOWN_CANCEL_FAILURE_REASON",
                            "order_id": oid})
            else:
                o["status"] = "CANCELLED"
                o["cancel_message"] = "User requested cancel"
                push(o)
                res.append({"success": True, "failure_reason":
                            "UNKNOWN_CANCEL_FAILURE_REASON",
                            "order_id": oid})
    h.reply(200, {"results": res})


def page(items, q, key):
    start = int(q.get("cursor", ["0"])[0] or 0)
    lim = min(int(q.get("limit", ["100"])[0]), 1000)
    part = items[start:start + lim]
    more = start + lim < len(items)
    return {key: part, "has_next": more,
            "cursor": str(start + lim) if more else ""}


def get_private(h):
    u = urllib.parse.urlparse(h.path)
    q = urllib.parse.parse_qs(u.query)
    p = u.path
    if p == "/api/v3/brokerage/time":
        now = time.time()
        h.reply(200, {"iso": now_iso(), "epochSeconds": str(int(now)),
                      "epochMillis": str(int(now * 1000))})
        return True
    if not p.startswith("/api/v3/brokerage/") or \
            p.startswith("/api/v3/brokerage/market/"):
        return False
    if not authorized(h, "GET"):
        return True
    with plock:
        if p == "/api/v3/brokerage/accounts":
            accts = [{"uuid": "acct-" + c, "name": c + " Wallet",
                      "currency": c, "available_balance": {
                          "value": str(v), "currency": c},
                      "default": True, "active": True, "type":
                      "ACCOUNT_TYPE_CRYPTO", "ready": True, "hold": {
                          "value": "0", "currency": c}}
                     for c, v in sorted(balances.items())]
            r = page(accts, q, "accounts")
            r["size"] = len(r["accounts"])
            return h.reply(200, r) or True
        if p == "/api/v3/brokerage/orders/historical/batch":
            sel = list(orders.values())
            st = q.get("order_status", [])
            if st:
                sel = [o for o in sel if o["status"] in st]
            pids = q.get("product_ids", [])
            if pids:
                sel = [o for o in sel if o["product_id"] in pids]
            if q.get("start_date"):
                sel = [o for o in sel if o["created"] >= q["start_date"][0]]
            sel.sort(key=lambda o: o["created"], reverse=True)
            r = page([order_view(o) for o in sel], q, "orders")
            r["sequence"] = "0"
            return h.reply(200, r) or True
        if p == "/api/v3/brokerage/orders/historical/fills":
            ids = q.get("order_ids", [])
            sel = [f for f in fills if not ids or f["order_id"] in ids]
            sel.reverse()
            return h.reply(200, page(sel, q, "fills")) or True
        if p.startswith("/api/v3/brokerage/orders/historical/"):
            o = by_id.get(p.rsplit("/", 1)[1])
            if o is None:
                return h.reply(404, {"error": "NOT_FOUND",
                                     "error_details": "order not found",
                                     "message": "order not found"}) or True
            return h.reply(200, {"order": order_view(o)}) or True
    h.reply(404, {"error": "NOT_FOUND", "message": "no such path"})
    return True


def record():
    with plock:
        return {"orders": [{"client_id": o["client_order_id"],
                            "order_id": o["order_id"],
                            "status": o["status"], "side": o["side"],
                            "qty": str(o["size"]),
                            "filled": str(o["filled"])}
                           for o in orders.values()],
                "fills": [{"trade_id": f["trade_id"],
                           "client_id": by_id[f["order_id"]]
                           ["client_order_id"],
                           "qty": f["size"], "price": f["price"],
                           "fee": f["commission"], "side": f["side"].lower(),
                           "maker": f["liquidity_indicator"] == "MAKER"}
                          for f in fills],
                "refused": dict(refused),
                "balances": {k: str(v) for k, v in balances.items()}}


class PrivateHttp(fb.Http):
    def do_GET(self):
        if urllib.parse.urlparse(self.path).path == "/fake/record":
            return self.reply(200, record())
        if get_private(self):
            return
        super().do_GET()

    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path.startswith("/api/v3/brokerage/"):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n)
            if not authorized(self, "POST"):
                return
            try:
                req = json.loads(raw)
            except ValueError:
                return self.reply(400, {"error": "INVALID_ARGUMENT",
                                        "message": "malformed body"})
            if u.path == "/api/v3/brokerage/orders":
                return place(self, req)
            if u.path == "/api/v3/brokerage/orders/batch_cancel":
                return cancel(self, req)
            return self.reply(404, {"error": "NOT_FOUND",
                                    "message": "no such path"})
        with plock:
            if u.path == "/fake/user_drop":
                ctl["user_hold"] = time.time() + float(q.get("hold", 0))
                for ws in list(user_conns):
                    fb.loop.call_soon_threadsafe(ws.transport.abort)
                return self.reply(200, {"dropped": len(user_conns)})
            if u.path == "/fake/ack_delay":
                ctl["ack_delay"] = float(q.get("ms", 0)) / 1000
                return self.reply(200, {})
            if u.path == "/fake/partial":
                ctl["steps"] = max(1, int(q.get("steps", 3)))
                return self.reply(200, {})
            if u.path == "/fake/rate":
                ctl["rate"] = int(q.get("count", 1))
                ctl["rate_status"] = int(q.get("status", 429))
                ctl["retry_after"] = q.get("retry_after")
                ctl["rate_path"] = q.get("path")
                return self.reply(200, {})
            if u.path == "/fake/lot":
                ctl["lot"] = D(q["step"]) if q.get("step") else None
                return self.reply(200, {})
            if u.path == "/fake/balance":
                balances[q["currency"]] = D(q["value"])
                return self.reply(200, {})
            if u.path == "/fake/freeze":
                ctl["frozen"] = q.get("on", "1") == "1"
                return self.reply(200, {})
        super().do_POST()


async def subscribe_user(ws, req):
    """The user channel: an authenticated subscribe, a snapshot of the
    open orders, then every change."""
    if verify_jwt(req.get("jwt", ""), None) is None:
        with plock:
            refused["bad_signature"] += 1
        await ws.send(json.dumps({"type": "error",
                                  "message": "authentication failure"}))
        return
    ws.subscribed = True
    ws.products = set(req.get("product_ids") or [])
    await send(ws, "subscriptions", [{"subscriptions": {
        "user": sorted(ws.products) or ["user"]}}])
    with plock:
        snap = [user_view(o) for o in orders.values()
                if o["status"] == "OPEN" and
                (not ws.products or o["product_id"] in ws.products)]
        user_conns.add(ws)
    await user_send(ws, "snapshot", snap)


public_subscribe = subscribe


async def subscribe_any(ws, req):
    if req.get("channel") == "user":
        if time.time() < ctl["user_hold"]:
            await ws.close(code=1013, reason="try again later")
            return
        return await subscribe_user(ws, req)
    if req.get("jwt") is not None and \
            verify_jwt(req["jwt"], None) is None:
        with plock:
            refused["bad_signature"] += 1
        await ws.send(json.dumps({"type": "error",
                                  "message": "authentication failure"}))
        return
    await public_subscribe(ws, req)


subscribe = subscribe_any  # noqa: F811
fb.Http = PrivateHttp
threading.Thread(target=matcher, daemon=True).start()


fb.publish = publish_coinbase
fb.ws_handler = ws_handler_coinbase
fb.dialect_get = get_coinbase
fb.garbage_all = garbage_coinbase
fb.asyncio.run(fb.main())
