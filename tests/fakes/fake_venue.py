#!/usr/bin/python3
"""fake_venue.py PORTFILE -- a minimal order venue on loopback for the
order-management tests (tests/plugins/tp_venue.c speaks to it).  It keeps
its own record, which outlives any quantd killed in front of it.  Writes
the HTTP port to PORTFILE.

  POST   /order  {"client_id","symbol","side":"buy|sell","type":"market|limit",
                  "qty","price"}  -> the order; a client id it already has
                  is refused: 400 {"code":-2010,"msg":"Duplicate order sent."}
  GET    /order?client_id=C     -> the order (404 {"code":-2013} if unknown)
  DELETE /order?client_id=C     -> cancels it if open
  GET    /fills?after=N         -> fills with id > N, ascending
  GET    /fake/record           -> every order, every fill, refusals

Market orders fill at once at the venue's price; limit orders rest and fill
when the price (a random walk moved by every request) reaches them.  Fees:
0.1 % of the notional, in the quote asset.
"""
import http.server
import json
import random
import sys
import threading
import urllib.parse
from decimal import Decimal, ROUND_HALF_UP

lock = threading.Lock()
orders = {}          # client_id -> order dict
fills = []           # dicts, id ascending
refused = {"duplicate": 0}
state = {"price": Decimal("100.00"), "rng": random.Random(4)}
UNIT = Decimal("0.00000001")


def move():
    r = state["rng"].uniform(-0.0015, 0.0015)
    state["price"] = (state["price"] * (1 + Decimal(repr(r)))).quantize(Decimal("0.01"))


def fill(o, qty, price):
    notional = (qty * price).quantize(UNIT, rounding=ROUND_HALF_UP)
    fee = (notional * Decimal("0.001")).quantize(UNIT, rounding=ROUND_HALF_UP)
    f = {"id": len(fills) + 1, "client_id": o["client_id"], "qty": str(qty),
         "price": str(price), "fee": str(fee), "side": o["side"]}
    fills.append(f)
    o["filled"] = str(Decimal(o["filled"]) + qty)
    o["status"] = "filled" if Decimal(o["filled"]) == Decimal(o["qty"]) else "partial"


def match():
    p = state["price"]
    for o in orders.values():
        if o["status"] not in ("new", "partial") or o["type"] != "limit":
            continue
        lim = Decimal(o["price"])
        if (o["side"] == "buy" and p <= lim) or (o["side"] == "sell" and p >= lim):
            fill(o, Decimal(o["qty"]) - Decimal(o["filled"]), lim)


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def q(self):
        return urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)

    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        with lock:
            move()
            match()
            if path == "/order":
                o = orders.get(self.q().get("client_id", [""])[0])
                return self.reply(200, o) if o else self.reply(404, {"code": -2013, "msg": "Order does not exist."})
            if path == "/fills":
                after = int(self.q().get("after", ["0"])[0])
                return self.reply(200, [f for f in fills if f["id"] > after])
            if path == "/fake/record":
                return self.reply(200, {"orders": list(orders.values()), "fills": fills, "refused": refused})
        self.reply(404, {"code": -1, "msg": "no such path"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(n))
            cid, side, typ = req["client_id"], req["side"], req["type"]
            qty = Decimal(req["qty"])
            if side not in ("buy", "sell") or typ not in ("market", "limit") or qty <= 0:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"code": -1102, "msg": "Mandatory parameter was not sent or malformed."})
        with lock:
            move()
            if cid in orders:
                refused["duplicate"] += 1
                return self.reply(400, {"code": -2010, "msg": "Duplicate order sent."})
            o = {"client_id": cid, "symbol": req.get("symbol", ""), "side": side, "type": typ,
                 "qty": str(qty), "price": str(req.get("price", "0")), "filled": "0",
                 "status": "new"}
            orders[cid] = o
            if typ == "market":
                fill(o, qty, state["price"])
            match()
            self.reply(200, o)

    def do_DELETE(self):
        with lock:
            o = orders.get(self.q().get("client_id", [""])[0])
            if o is None:
                return self.reply(404, {"code": -2011, "msg": "Unknown order sent."})
            if o["status"] in ("new", "partial"):
                o["status"] = "canceled"
            self.reply(200, o)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
