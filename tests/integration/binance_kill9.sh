#!/bin/sh
# kill -9 against tests/fakes/fake_binance.py through the real binance
# adapter (kill9_venue.sh's test, the venue being Binance's private API as
# the fake keeps it): the storm strategy trades a live account on the
# fake's market and the daemon is killed with SIGKILL at KILLS random
# moments (10 by default), started again each time.  Afterwards, the
# venue's record against ours: every order at the venue is one we wrote
# ahead, the venue took each client id once, its fills are our fills
# exactly, each order's state is the venue's, and the ledger holds exactly
# what the venue's fills and fees say.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KILLS=${KILLS:-10}
export KILLS   # the checks below scale with it
KEY=bn-k9-key-55e1
SECRET=bn-k9-secret-c0ffee
FAKE_BINANCE_API_KEY=$KEY FAKE_BINANCE_API_SECRET=$SECRET \
FAKE_BINANCE_BALANCES="USDT=1000000,BTC=0" \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_binance.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake venue starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
F=http://127.0.0.1:$HTTP
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-binance.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
printf '%s\n' "$SECRET" > "$T/secret"
export BN_K9_KEY=$KEY
cat > "$T/quantd.d/binance.json" <<JSON
{"plugin": "binance", "instance": "binance", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BN_K9_KEY", "api_secret": "file:$T/secret"},
 "params": {"ws_url": "ws://127.0.0.1:$WS/ws", "rest_url": "$F", "ws_api_url": "ws://127.0.0.1:$WS/ws-api/v3"}}
JSON
cat > "$T/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "exchange": "binance",
 "account": {"id": "live:storm", "venue": "binance", "balance": 1000000, "quote": "USDT"},
 "params": {"seed": 9, "every": 25}}
JSON

# After each kill: the adapter's saved fill cursor (its state, written by
# the trading journal after the fills it reported) is never ahead of the
# fills the store holds.
cursor_check() {
	"$PY" - "$T/var/quantd.db" >> "$T/cursor" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT data FROM plugin_state WHERE instance = 'binance'").fetchone()
if row is None:
    print("none")
    sys.exit(0)
last = max([int(l.split()[1]) for l in bytes(row[0]).decode().splitlines() if l.startswith("BTC/USDT ")] or [0])
have = max([int(r[0]) for r in db.execute("SELECT trade_id FROM fills")] or [0])
print("ok" if last <= have else "ahead %d > %d" % (last, have))
PY
}
KL_AFTER=cursor_check
kill_loop "$KILLS" 1.0 3.0
KL_AFTER=
check "the daemon started after each of $KILLS kills" test "$kl_started" -eq "$KILLS"
if grep -q '^ahead' "$T/cursor" || ! grep -q '^ok' "$T/cursor"; then
	not_ok "the saved fill cursor is in the store, never ahead of its fills" "$(sort "$T/cursor" | uniq -c)"
else
	ok "the saved fill cursor is in the store, never ahead of its fills ($(grep -c '^ok' "$T/cursor") kills)"
fi
# The last run has no strategy: its account and open orders come back
# from the store and are reconciled with the venue.
rm "$T/quantd.d/storm.json"
start_fresh || not_ok "the daemon starts after the last kill"
sleep 1
settle_venue "$F" new,partial || echo "# the open orders did not settle in 30 s"
quiesce_venue "$F" new,partial || echo "# orders were still open after the cancels"
stop_daemon
curl -s "$F/fake/record" > "$T/record.json"
if grep -rq "$SECRET" "$T/quantd.log" "$T/var" 2>/dev/null; then not_ok "no secret in the log or the state"; else ok "no secret in the log or the state"; fi
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D, ROUND_HALF_UP
from fractions import Fraction
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
ours = {r[0]: r for r in db.execute("SELECT client_id, id, state, qty, filled, venue_order_id FROM orders")}
vo = {o["client_id"]: o for o in rec["orders"]}
for cid in vo:
    if cid not in ours:
        bad.append("the venue has %s, which we never wrote" % cid)
vfills = {str(f["id"]): f for f in rec["fills"]}
our_fills = {r[1]: r for r in db.execute("SELECT order_id, trade_id, qty, price, fee, side FROM fills")}
if set(vfills) != set(our_fills):
    bad.append("fills differ: %d at the venue, %d ours, %d missing, %d extra" % (len(vfills), len(our_fills), len(set(vfills) - set(our_fills)), len(set(our_fills) - set(vfills))))
names = {1: "created", 2: "pending", 3: "partial", 4: "filled", 5: "canceled", 6: "rejected", 7: "expired"}
for cid, o in ours.items():
    v = vo.get(cid)
    st = names[o[2]]
    if st == "created":
        bad.append("%s still CREATED" % cid)
    if v is None:
        held = o[5] == "host" and st == "pending"   # a stop the host holds
        if st not in ("rejected", "canceled") and not held:
            bad.append("%s is %s here, unknown at the venue" % (cid, st))
        continue
    want = {"new": ("pending",), "partial": ("partial", "pending"), "filled": ("filled",), "canceled": ("canceled",), "expired": ("expired",)}[v["status"]]
    if st not in want:
        bad.append("%s: %s here, %s at the venue" % (cid, st, v["status"]))
    if D(o[4]) != D(v["filled"]):
        bad.append("%s: filled %s here, %s at the venue" % (cid, o[4], v["filled"]))
bal = {}
for acct, asset, amt in db.execute("SELECT account, asset, amount FROM ledger_postings"):
    bal[(acct, asset)] = bal.get((acct, asset), D(0)) + D(amt)
tot = {}
for (a, s), v in bal.items():
    tot[s] = tot.get(s, D(0)) + v
bad += ["%s sums to %s" % (s, v) for s, v in tot.items() if v != 0]
unit = D("0.00000001")
usdt, btc = D(1000000), D(0)
for f in rec["fills"]:
    q = D(f["qty"]); n = Fraction(q) * Fraction(D(f["price"]))
    n = (D(n.numerator) / D(n.denominator)).quantize(unit, rounding=ROUND_HALF_UP)
    if f["side"] == "buy":
        usdt -= n; btc += q
    else:
        usdt += n; btc -= q
    usdt -= D(f["fee"])
if bal.get(("live:storm", "USDT")) != usdt or bal.get(("live:storm", "BTC"), D(0)) != btc:
    bad.append("balances USDT %s BTC %s, the venue's fills say USDT %s BTC %s" % (bal.get(("live:storm", "USDT")), bal.get(("live:storm", "BTC")), usdt, btc))
vb = rec["balances"]
if D(vb["USDT"][0]) + D(vb["USDT"][1]) != usdt or D(vb.get("BTC", ["0", "0"])[0]) + D(vb.get("BTC", ["0", "0"])[1]) != btc:
    bad.append("the venue's balances %s differ from its fills" % vb)
print("; ".join(bad[:6]) if bad else "%d orders at the venue (%d duplicates refused there), %d fills, USDT %s, BTC %s" % (len(vo), rec["refused"]["duplicate"], len(vfills), usdt, btc))
sys.exit(1 if bad or len(vfills) < min(10, int(__import__("os").environ["KILLS"])) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the venue's record and ours agree after $KILLS kills ($out)"; else not_ok "the venue's record and ours agree after $KILLS kills" "$out"; fi
finish
