#!/usr/bin/env python3
"""api_read.py PORT ROOT_PW -- the API's read routes, data maintenance,
secrets and the positions and logs channels, against a daemon with an
admin "root", a replayed BTC/USDT feed and a paper strategy "hold" that
buys and holds.  The secret's value is in $QD_SECRET.  One line per check;
exit 1 on any failure."""
import asyncio
import json
import os
import sys
import time
import urllib.parse

PORT = int(sys.argv[1])
ROOT_PW = sys.argv[2]
SECRET = os.environ["QD_SECRET"]
BASE = "http://127.0.0.1:%d" % PORT
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import error_is, finish, say  # noqa: E402


def call(method, path, body=None, token=None):
    """(status, body as JSON, raw bytes)."""
    r = apitest.call(BASE, method, path, body, token)
    return r.status, r.doc, r.text


def err_is(resp, status, code=None):
    return error_is(resp[0], resp[1], status, code)


def login(user, pw):
    return apitest.login(BASE, user, pw)


AT = login("root", ROOT_PW)
say(AT is not None, "the admin signs in")
st, _, _ = call("POST", "/api/v1/users", {"username": "vera", "password": "vera-password-1", "role": "viewer", "plan": "enterprise"}, token=AT)
VT = login("vera", "vera-password-1")
say(st == 201 and VT is not None, "a viewer is added and signs in", st)
INJ = "x' OR '1'='1"

# --- positions -------------------------------------------------------------
pos = []
for _ in range(100):
    st, doc, _ = call("GET", "/api/v1/positions", token=VT)
    pos = doc.get("positions", []) if st == 200 else []
    if pos:
        break
    time.sleep(0.2)
say(len(pos) == 1 and pos[0]["instance"] == "hold" and pos[0]["symbol"] == "BTC/USDT" and pos[0]["qty"] == 2,
    "GET /positions: the strategy's open position", pos)
p0 = pos[0] if pos else {}
say(p0.get("last_price") and abs(p0.get("unrealized", 0) - 2 * (p0["last_price"] - p0["avg_price"])) < 0.02,
    "its unrealised P&L is qty x (last - average)", p0)
ACC = p0.get("account", "paper:hold")
st, doc, _ = call("GET", "/api/v1/positions?instance=hold&symbol=BTC/USDT", token=VT)
say(st == 200 and len(doc.get("positions", [])) == 1, "filtered by instance and symbol", doc)
st, doc, _ = call("GET", "/api/v1/positions?account=" + urllib.parse.quote(INJ), token=VT)
say(st == 200 and doc.get("positions") == [], "an unknown account filters everything out", doc)
say(err_is(call("GET", "/api/v1/positions?symbol=" + urllib.parse.quote(INJ), token=VT), 400), "a bad symbol is 400")
say(err_is(call("GET", "/api/v1/positions?closed=maybe", token=VT), 400), "closed must be a boolean")
say(err_is(call("GET", "/api/v1/positions?colour=red", token=VT), 400), "an unknown parameter is 400")
say(err_is(call("GET", "/api/v1/positions"), 401), "positions need a caller")

# --- ledger --------------------------------------------------------------------
path = "/api/v1/accounts/%s/ledger" % urllib.parse.quote(ACC)
st, doc, _ = call("GET", path, token=VT)
posts = doc.get("postings", [])
say(st == 200 and doc.get("account") == ACC and len(posts) >= 2, "GET the account's ledger", doc)
say(all(p["account"] == ACC for p in posts) and [p["txn"] for p in posts] == sorted(p["txn"] for p in posts),
    "only its postings, ascending by transaction", posts[:3])
seen, after, pages = [], 0, 0
while pages < 50:
    st, doc, _ = call("GET", "%s?limit=1&after=%d" % (path, after), token=VT)
    if st != 200:
        break
    seen += doc["postings"]
    pages += 1
    if "next" not in doc:
        break
    after = doc["next"]
say(seen == posts and pages >= 2, "paged by one, the cursor walks the same postings", (len(seen), len(posts), pages))
if posts:
    t = posts[-1]["ts"]
    st, doc, _ = call("GET", "%s?from=%d&to=%d" % (path, t, t + 1), token=VT)
    say(st == 200 and doc["postings"] and all(p["ts"] == t for p in doc["postings"]), "filtered by time", doc)
say(err_is(call("GET", path + "?after=abc", token=VT), 400, "bad_request"), "a cursor that is not a number is 400")
say(err_is(call("GET", path + "?after=-5", token=VT), 400, "bad_request"), "a negative cursor is 400")
say(err_is(call("GET", path + "?limit=0", token=VT), 400), "limit 0 is 400")
say(err_is(call("GET", path + "?from=10&to=5", token=VT), 400), "from after to is 400")
say(err_is(call("GET", "/api/v1/accounts/nobody/ledger", token=VT), 404, "not_found"), "an unknown account is 404")
say(err_is(call("GET", "/api/v1/accounts/%s/ledger" % urllib.parse.quote(INJ, safe=""), token=VT), 404),
    "SQL in the account id is just an unknown account")

# --- risk log ------------------------------------------------------------------
st, doc, _ = call("GET", "/api/v1/risk/log?since=0&limit=10", token=VT)
say(st == 200 and isinstance(doc.get("events"), list), "GET /risk/log", doc)
say(err_is(call("GET", "/api/v1/risk/log?since=" + urllib.parse.quote(INJ), token=VT), 400), "SQL as since is 400")
say(err_is(call("GET", "/api/v1/risk/log?limit=5000", token=VT), 400), "a limit past 1000 is 400")

# --- data ------------------------------------------------------------------------
cov = []
for _ in range(150):
    st, doc, _ = call("GET", "/api/v1/data/coverage", token=VT)
    cov = doc.get("series", []) if st == 200 else []
    if cov:
        break
    time.sleep(0.2)
say(any(c["exchange"] == "feed" and c["symbol"] == "BTC/USDT" and c["timeframe"] == "1m" for c in cov),
    "GET /data/coverage lists the stored series", cov)
st, doc, _ = call("GET", "/api/v1/data/coverage?exchange=" + urllib.parse.quote(INJ), token=VT)
say(st == 200 and doc.get("series") == [], "SQL as an exchange matches nothing", doc)
st, doc, _ = call("GET", "/api/v1/data/gaps?exchange=feed&symbol=BTC/USDT&timeframe=1m", token=VT)
say(st == 200 and isinstance(doc.get("gaps"), list), "GET /data/gaps", doc)
say(err_is(call("GET", "/api/v1/data/gaps?exchange=feed", token=VT), 400), "gaps need the whole series")
say(err_is(call("GET", "/api/v1/data/gaps?exchange=feed&symbol=BTC/USDT&timeframe=7m", token=VT), 400),
    "an unknown timeframe is 400")
say(err_is(call("POST", "/api/v1/data/prune", {"older_than": "30d"}, token=VT), 403), "a viewer cannot prune")
say(err_is(call("POST", "/api/v1/data/vacuum", token=VT), 403), "a viewer cannot vacuum")
say(err_is(call("POST", "/api/v1/data/prune", {}, token=AT), 400), "prune needs older_than")
say(err_is(call("POST", "/api/v1/data/prune", {"older_than": INJ}, token=AT), 400), "SQL as older_than is 400")
say(err_is(call("POST", "/api/v1/data/prune", {"older_than": "1d", "symbol": INJ}, token=AT), 400),
    "SQL as a symbol is 400")
say(err_is(call("POST", "/api/v1/data/prune", {"older_than": "1d", "colour": 1}, token=AT), 400),
    "an unknown member is 400")
st, doc, _ = call("POST", "/api/v1/data/prune", {"older_than": "3650d", "exchange": "feed"}, token=AT)
say(st == 200 and doc.get("deleted") == 0, "prune keeps what is younger", doc)
st, doc, _ = call("POST", "/api/v1/data/prune", {"older_than": "1s", "exchange": "feed", "trades_only": True}, token=AT)
say(st == 200 and isinstance(doc.get("deleted"), int), "prune of old trades", doc)
st, doc, _ = call("POST", "/api/v1/data/vacuum", token=AT)
say(st == 200 and doc.get("vacuumed") is True, "vacuum", doc)
st, doc, _ = call("GET", "/api/v1/data/coverage", token=VT)
say(st == 200 and any(c["exchange"] == "feed" for c in doc.get("series", [])), "candles are still there", doc)

# --- secrets ---------------------------------------------------------------------
say(err_is(call("PUT", "/api/v1/secrets/exchange.binance.key", {"value": SECRET}, token=VT), 403),
    "a viewer cannot set a secret")
say(err_is(call("GET", "/api/v1/secrets", token=VT), 403), "nor list them")
st, doc, raw = call("PUT", "/api/v1/secrets/exchange.binance.key", {"value": SECRET}, token=AT)
say(st == 200 and doc.get("name") == "exchange.binance.key" and doc.get("key_id") == "k1" and SECRET.encode() not in raw,
    "PUT /secrets/{name} seals it under the current key, without echoing it", doc)
st, doc, raw = call("GET", "/api/v1/secrets", token=AT)
say(st == 200 and [s["name"] for s in doc.get("secrets", [])] == ["exchange.binance.key"] and SECRET.encode() not in raw,
    "GET /secrets: names and key ids only", doc)
say(err_is(call("PUT", "/api/v1/secrets/" + urllib.parse.quote(INJ, safe=""), {"value": "v"}, token=AT), 400),
    "SQL as a secret's name is 400")
say(err_is(call("PUT", "/api/v1/secrets/x", {"value": ""}, token=AT), 400), "an empty value is 400")
say(err_is(call("PUT", "/api/v1/secrets/x", {"value": 5}, token=AT), 400), "a value that is not a string is 400")
say(err_is(call("PUT", "/api/v1/secrets/x", {"value": "v", "note": 1}, token=AT), 400), "an unknown member is 400")
st, doc, raw = call("GET", "/api/v1/audit?limit=1000", token=AT)
rows = [a for a in doc.get("audit", []) if a.get("action") == "secret.set"]
say(rows and rows[-1].get("target") == "exchange.binance.key" and SECRET.encode() not in raw,
    "the audit log records the name, not the value", rows)


# --- channels ----------------------------------------------------------------------
LOOK_S = 0.5   # how often the daemon looks for levels that moved (web.c)


async def levels_move(ws):
    """Levels that move with the price reach their channels without a
    fill: two trailing stops (a sell's stop rises with each new high, a
    buy's falls with each new low: one of them moves as soon as the price
    does) send "levels" messages, and the position's trailing risk exit
    a "position" message once its rules change; each order or position
    at most once per look, and only when its level changed."""
    run = asyncio.get_running_loop().run_in_executor
    await ws.send(json.dumps({"op": "subscribe", "channel": "orders"}))
    await apitest.recv_until(ws, lambda m: m.get("type") == "snapshot" and m.get("channel") == "orders", 5)
    ids = []
    for side in ("sell", "buy"):
        st, doc, _ = await run(None, lambda side=side: call("POST", "/api/v1/orders", {
            "instance": "hold", "symbol": "BTC/USDT", "side": side, "type": "trailing_stop",
            "qty": 0.1, "trail": 10}, token=AT))
        say(st == 200 and doc.get("id"), "a %s trailing stop is placed" % side, (st, doc))
        ids.append(doc.get("id"))
    st, doc, _ = await run(None, lambda: call("PUT", "/api/v1/risk/limits", {
        "scope": "instance", "id": "hold", "limits": {"trailing_stop_pct": 50}}, token=AT))
    say(st == 200, "hold's position gets a trailing risk rule", (st, doc))
    got = []   # (arrival s, message) of the orders and positions
    end = time.monotonic() + 15
    while time.monotonic() < end:
        m = await apitest.recv_until(ws, lambda m: m.get("channel") in ("orders", "positions"),
                                     end - time.monotonic())
        if m is None:
            break
        got.append((time.monotonic(), m))
        moved = [i for i in ids if len({x["data"].get("stop_price") for _, x in got
                                        if x["type"] == "levels" and x["data"]["order_id"] == i}) >= 3]
        if moved and any(x["type"] == "position" for _, x in got):
            break
    fills = [x for _, x in got if x["type"] == "fill"]

    def runs(kind, key, level):
        # each thing's messages of `kind`: [(arrival, level)]
        out = {}
        for t, x in got:
            if x["type"] == kind:
                out.setdefault(key(x["data"]), []).append((t, x["data"].get(level)))
        return out
    orders = runs("levels", lambda d: d["order_id"], "stop_price")
    positions = runs("position", lambda d: (d["account"], d["symbol"]), "sl_price")
    moving = [v for i, v in orders.items() if i in ids and len({p for _, p in v}) >= 2]
    say(moving and not fills and all(v[-1][1] > 0 for v in moving),
        "orders channel: a trailing stop's stop_price moves with the price, without a fill",
        (orders, fills))
    ok = bool(moving)
    for v in moving:
        for (t0, p0), (t1, p1) in zip(v, v[1:]):
            ok = ok and p0 != p1 and t1 - t0 > LOOK_S * 0.6
        # a sell's stop only rises, a buy's only falls
        ok = ok and (sorted(p for _, p in v) == [p for _, p in v] or
                     sorted((p for _, p in v), reverse=True) == [p for _, p in v])
    say(ok, "each update names a new level, at most one per order per %.1f s" % LOOK_S, orders)
    hold = positions.get(("paper:hold", "BTC/USDT"), [])
    say(hold and not fills and hold[0][1] and hold[0][1] > 0,
        "positions channel: the position's risk exit arrives once its rules change, without a fill", positions)
    ok = True
    for (t0, p0), (t1, p1) in zip(hold, hold[1:]):
        ok = ok and p0 != p1 and t1 - t0 > LOOK_S * 0.6
    say(ok, "and again only when it moves, at most once per %.1f s" % LOOK_S, hold)
    for i in ids:
        await run(None, lambda i=i: call("DELETE", "/api/v1/orders/%d" % i, token=AT))


async def ws_checks():
    import websockets
    url = "ws://127.0.0.1:%d/ws" % PORT

    recv_until = apitest.recv_until

    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"op": "auth", "token": VT}))
        await recv_until(ws, lambda m: m.get("type") == "authenticated", 5)
        await ws.send(json.dumps({"op": "subscribe", "channel": "positions"}))
        m = await recv_until(ws, lambda m: m.get("type") == "snapshot", 5)
        say(m is not None and m["channel"] == "positions" and m["data"]["positions"]
            and m["data"]["positions"][0]["qty"] == 2, "positions channel: a snapshot", m)
        await ws.send(json.dumps({"op": "subscribe", "channel": "logs"}))
        m = await recv_until(ws, lambda m: m.get("type") in ("error", "subscribed"), 5)
        say(m is not None and m.get("type") == "error" and m.get("code") == "forbidden",
            "a viewer gets an error frame for logs", m)
    # a delta: an order through the API fills and changes the position
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"op": "auth", "token": AT}))
        await recv_until(ws, lambda m: m.get("type") == "authenticated", 5)
        await ws.send(json.dumps({"op": "subscribe", "channel": "positions"}))
        await recv_until(ws, lambda m: m.get("type") == "snapshot", 5)
        st, doc, _ = await asyncio.get_running_loop().run_in_executor(None, lambda: call(
            "POST", "/api/v1/orders", {"instance": "hold", "symbol": "BTC/USDT", "side": "sell",
                                       "type": "market", "qty": 0.5}, token=AT))
        m = await recv_until(ws, lambda m: m.get("type") == "position", 15)
        say(st == 200 and m is not None and m["channel"] == "positions" and abs(m["data"]["qty"] - 1.5) < 1e-9,
            "positions channel: a fill's new position", (st, doc, m))
        await levels_move(ws)

        await ws.send(json.dumps({"op": "subscribe", "channel": "logs", "level": "loud"}))
        m = await recv_until(ws, lambda m: m.get("type") == "error", 5)
        say(m is not None and m.get("code") == "bad_request", "an unknown level is refused", m)
        await ws.send(json.dumps({"op": "subscribe", "channel": "logs", "level": "info"}))
        m = await recv_until(ws, lambda m: m.get("type") == "snapshot" and m.get("channel") == "logs", 5)
        say(m is not None and m["data"]["level"] == "info" and m["data"]["dropped"] >= 0, "logs: subscribed at info", m)
        # a line the daemon writes at info: a vacuum logs one
        await asyncio.get_running_loop().run_in_executor(None, lambda: call("POST", "/api/v1/data/vacuum", token=AT))
        m = await recv_until(ws, lambda m: m.get("type") == "log" and "vacuum by root" in m["data"]["line"], 10)
        say(m is not None and m["data"]["level"] == "info" and "tag=store" in m["data"]["line"],
            "logs: the daemon's lines as they are written", m)
        await ws.send(json.dumps({"op": "subscribe", "channel": "logs", "level": "error"}))
        await recv_until(ws, lambda m: m.get("type") == "snapshot" and m.get("channel") == "logs", 5)
        await asyncio.get_running_loop().run_in_executor(None, lambda: call("POST", "/api/v1/data/vacuum", token=AT))
        m = await recv_until(ws, lambda m: m.get("type") == "log", 3)
        say(m is None, "logs at error: info lines are filtered out", m)
        await ws.send(json.dumps({"op": "unsubscribe", "channel": "logs"}))
        m = await recv_until(ws, lambda m: m.get("type") == "unsubscribed", 5)
        say(m is not None and m["channel"] == "logs", "logs: unsubscribed", m)


try:
    asyncio.run(asyncio.wait_for(ws_checks(), 60))
except Exception as e:  # noqa: BLE001 -- any failure is a failed check
    say(False, "WebSocket checks ran", repr(e))

finish()
