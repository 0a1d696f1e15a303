#!/bin/sh
# kill -9 against the fake OKX venue through the real okx adapter (the
# approach of kill9_venue.sh): the storm strategy trades a live account at
# tests/fakes/fake_okx.py, on its own market data, and the daemon is
# killed with SIGKILL at KILLS random moments (10 by default), started
# again each time.  Afterwards, the venue's record against ours: every
# order at the venue is one we wrote ahead (none lost), the venue took
# each client id once, its fills are our fills exactly, each order's state
# is the venue's, and the ledger holds exactly what the venue's fills and
# fees say (the fake charges fees in USDT here, as the ledger books them).
. "$QD_SRCDIR/tests/integration/lib.sh"
# A directory of its own name: the shared machine's other test runs sweep
# stale /tmp/qd-it-* ones (lib.sh's cleanup removes $T all the same).
rmdir "$T" && T=$(mktemp -d /tmp/qd-okx-XXXXXX)
PY=/usr/bin/python3
KILLS=${KILLS:-10}
export KILLS   # the checks below scale with it
KEY=k-kill9 SECRET=s-kill9-0c5e PASS=p-kill9
FAKE_OKX_KEY=$KEY FAKE_OKX_SECRET=$SECRET FAKE_OKX_PASSPHRASE=$PASS \
	FAKE_OKX_BALANCES="USDT=1000000,BTC=10" FAKE_OKX_QUOTE_FEES=1 \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_okx.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake venue starts"; finish; exit 1; }
read WS HTTP < "$T/ports"
F="http://127.0.0.1:$HTTP"
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-okx.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
printf '%s\n' "$SECRET" > "$T/secret"
export OKX_TEST_KEY=$KEY OKX_TEST_PASS=$PASS
cat > "$T/quantd.d/okx.json" <<JSON
{"plugin": "okx", "instance": "okx", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:OKX_TEST_KEY", "api_secret": "file:$T/secret", "passphrase": "env:OKX_TEST_PASS"},
 "params": {"ws_url": "ws://127.0.0.1:$WS/ws/v5/public", "ws_business_url": "ws://127.0.0.1:$WS/ws/v5/business", "ws_private_url": "ws://127.0.0.1:$WS/ws/v5/private", "rest_url": "$F", "recv_window_ms": 1000}}
JSON
cat > "$T/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "exchange": "okx",
 "account": {"id": "live:storm", "venue": "okx", "balance": 1000000, "quote": "USDT"},
 "params": {"seed": 9, "every": 8}}
JSON

# Acknowledgements 150 ms late: kills land while orders are in flight, and
# the host sends them again after the restart under the same client id,
# or looks up one the venue is still about to take (the adapter asks
# again once its receive window, 1 s here, has passed).
curl -s -X POST "$F/fake/delay?ms=150" > /dev/null
t0=$(date +%s)
kill_loop "$KILLS" 0.5 2.0
check "the daemon started after each of $KILLS kills" test "$kl_started" -eq "$KILLS"
# The last run has no strategy: its account and open orders come back
# from the store and are reconciled with the venue (see kill9_venue.sh).
# The venue's matching stops first: a fill after the final stop would
# only reach the next start.
rm "$T/quantd.d/storm.json"
curl -s -X POST "$F/fake/freeze" > /dev/null
start_fresh || not_ok "the daemon starts after the last kill"
sleep 1
settle_venue "$F" new,partial || echo "# the open orders did not settle in 30 s"
quiesce_venue "$F" new,partial || echo "# orders were still open after the cancels"
stop_daemon
curl -s "$F/fake/record" > "$T/record.json"
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
vfills = {f["id"]: f for f in rec["fills"]}
our_fills = {r[1]: r for r in db.execute("SELECT order_id, trade_id, qty, price, fee, side FROM fills")}
if set(vfills) != set(our_fills):
    bad.append("fills differ: %d at the venue, %d ours, %d missing, %d extra" % (len(vfills), len(our_fills), len(set(vfills) - set(our_fills)), len(set(our_fills) - set(vfills))))
cid_of = {r[1]: r[0] for r in ours.values()}
for tid, f in vfills.items():
    o = our_fills.get(tid)
    if o is not None and (cid_of.get(o[0]) != f["client_id"] or D(o[2]) != D(f["qty"])):
        bad.append("trade %s: ours %s, the venue's %s" % (tid, o, f))
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
    want = {"new": ("pending",), "partial": ("partial", "pending"), "filled": ("filled",), "canceled": ("canceled", "expired")}[v["status"]]
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
usdt, btc = D(1000000), D(10)
for f in rec["fills"]:
    q = D(f["qty"]); n = Fraction(q) * Fraction(D(f["price"]))
    n = (D(n.numerator) / D(n.denominator)).quantize(unit, rounding=ROUND_HALF_UP)
    if f["side"] == "buy":
        usdt -= n; btc += q
    else:
        usdt += n; btc -= q
    usdt += D(f["fee"])     # the venue's sign: a charge is negative
vb = rec["balances"]
if D(vb["USDT"]) != usdt or D(vb["BTC"]) != btc:
    bad.append("the venue's balances %s differ from its fills: USDT %s BTC %s" % (vb, usdt, btc))
if bal.get(("live:storm", "USDT")) != usdt or bal.get(("live:storm", "BTC"), D(0)) != btc:
    bad.append("balances USDT %s BTC %s, the venue's fills say USDT %s BTC %s" % (bal.get(("live:storm", "USDT")), bal.get(("live:storm", "BTC")), usdt, btc))
print("; ".join(bad[:6]) if bad else "%d orders at the venue (%d duplicates refused there), %d fills, USDT %s, BTC %s" % (len(vo), rec["refused"]["duplicate"], len(vfills), usdt, btc))
sys.exit(1 if bad or len(vfills) < min(10, int(__import__("os").environ["KILLS"])) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the venue's record and ours agree after $KILLS kills ($out)"; else not_ok "the venue's record and ours agree after $KILLS kills" "$out"; fi
check "no secret in any log" sh -c "! grep -q -e '$SECRET' -e '$PASS' -e '$KEY' '$T/quantd.log' '$T/stderr'"
echo "# run time $(( $(date +%s) - t0 )) s"
finish
