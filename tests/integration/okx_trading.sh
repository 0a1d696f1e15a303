#!/bin/sh
# Live trading through the okx adapter against tests/fakes/fake_okx.py,
# whose private side verifies every signature itself.  A tp-script
# strategy on a live account at the okx instance: a market buy (its fee,
# charged in BTC, reaches the books in USDT), a limit that fills in two
# partial steps, a cancel, two refusals (insufficient balance: DENIED; a
# quantity off the matching engine's lot: INVALID) that reach the
# strategy with the venue's code; the private stream cut while orders
# fill, after which the reconcile brings every fill exactly once (the
# venue's record against the store); HTTP 429 pauses REST and rejects
# the order it refused with QD_ERR_LIMIT; the venue's balances reach the
# account.  A second instance with a wrong secret: the venue's signature
# refusal in the log, no order at the venue, no secret in any log.
. "$QD_SRCDIR/tests/integration/lib.sh"
# A directory of its own name: the shared machine's other test runs sweep
# stale /tmp/qd-it-* ones (lib.sh's cleanup removes $T all the same).
rmdir "$T" && T=$(mktemp -d /tmp/qd-okx-XXXXXX)
PY=/usr/bin/python3
KEY=k-3f9a1c0e SECRET=s-8d2e7b41a9c6 PASS=p-71c4e2
FAKE_OKX_KEY=$KEY FAKE_OKX_SECRET=$SECRET FAKE_OKX_PASSPHRASE=$PASS \
	FAKE_OKX_BALANCES="USDT=100000,BTC=1" \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_okx.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "the fake starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"
F="http://127.0.0.1:$HTTP"
curl -s -X POST "$F/fake/lot?inst=BTC-USDT&lot=0.001" > /dev/null
# 0.9 BTC held by orders the venue has elsewhere: the account holds 1 BTC,
# 0.1 of it free at the venue.
curl -s -X POST "$F/fake/balance?ccy=BTC&amount=1&frozen=0.9" > /dev/null

make_config
for f in ta exchange-okx; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
ln -s "$TP/tp-script.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
printf '%s\n' "$SECRET" > "$T/secret"
printf '%s\n' "wrong-$SECRET" > "$T/badsecret"
export OKX_TEST_KEY=$KEY OKX_TEST_PASS=$PASS
urls="\"ws_url\": \"ws://127.0.0.1:$WS/ws/v5/public\", \"ws_business_url\": \"ws://127.0.0.1:$WS/ws/v5/business\", \"ws_private_url\": \"ws://127.0.0.1:$WS/ws/v5/private\", \"rest_url\": \"$F\""
cat > "$T/quantd.d/okx.json" <<JSON
{"plugin": "okx", "instance": "okx", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:OKX_TEST_KEY", "api_secret": "file:$T/secret", "passphrase": "env:OKX_TEST_PASS"},
 "params": {$urls}}
JSON
cat > "$T/quantd.d/okxbad.json" <<JSON
{"plugin": "okx", "instance": "okxbad", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:OKX_TEST_KEY", "api_secret": "file:$T/badsecret", "passphrase": "env:OKX_TEST_PASS"},
 "params": {$urls}}
JSON
cat > "$T/quantd.d/s1.json" <<JSON
{"plugin": "tp-script", "instance": "s1", "exchange": "okx",
 "account": {"id": "live:s1", "venue": "okx", "balance": 50000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 1500; buy market 0.002; wait 1500; buy limit 0.002 -0.03%; wait 3000; buy limit 0.001 -30%; wait 500; cancel 3; sell market 0.5; buy market 0.0015; wait 3000; buy market 0.001; buy market 0.001; sell market 0.001; buy limit 0.002 -0.02%; wait 6000; buy market 0.001"}}
JSON
cat > "$T/quantd.d/s2.json" <<JSON
{"plugin": "tp-script", "instance": "s2", "exchange": "okx",
 "account": {"id": "live:s2", "venue": "okxbad", "balance": 50000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 1500; buy market 0.001"}}
JSON

start_daemon || { not_ok "the daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
t0=$(date +%s)
# The private stream is cut for 4 s as the last orders go out and fill.
(trap - EXIT; wait_for 30 log_has 'tag=s1 msg="script step 11: wait' && curl -s -X POST "$F/fake/drop_private?hold=4" > /dev/null) &
# Once the last orders are out, the next order placed meets HTTP 429
# (only placements: the reconcile's reads after the cut are not refused).
(trap - EXIT; wait_for 60 log_has 'tag=s1 msg="script step 16: wait' && curl -s -X POST "$F/fake/limit_private?count=1&status=429&path=/api/v5/trade/order" > /dev/null) &
check "the private stream logs in" wait_for 10 log_has 'tag=okx msg="private stream: logged in' 
# The account is configured with 50000 USDT; the venue holds 100000.
check "the venue's balances reach the account" wait_for 10 log_has 'account live:s1: USDT balance [0-9.]* -> \(99\|10[01]\)[0-9]\{3\}\.[0-9]* (the venue'"'"'s)'
check "a market buy fills" wait_for 10 log_has 'tag=s1 msg="script order [0-9]* #1 FILLED'
check "its fee, charged in BTC, is booked in USDT" log_has 'tag=s1 msg="script order [0-9]* #1 FILLED.* fee=0\.0[0-9]*[1-9]'
check "a limit order fills in partial steps" wait_for 15 log_has 'tag=s1 msg="script order [0-9]* #2 PARTIAL'
check "then fills" wait_for 15 log_has 'tag=s1 msg="script order [0-9]* #2 FILLED'
check "a cancel reaches the strategy" wait_for 15 log_has 'tag=s1 msg="script order [0-9]* #3 CANCELED'
check "insufficient balance: rejected, DENIED, the venue's code" wait_for 10 log_has 'tag=s1 msg="script order [0-9]* #4 REJECTED.*error=-8 reason=okx 51008: Order failed. Insufficient BTC'
check "a quantity off the lot: rejected, INVALID" wait_for 10 log_has 'tag=s1 msg="script order [0-9]* #5 REJECTED.*error=-1 reason=okx 51121'
check "the refusals are logged with the venue's code" log_has 'tag=okx msg="place of order [0-9]* refused: okx 51008'
check "the private stream's loss is seen" wait_for 5 log_has 'tag=okx msg="private stream lost'
check "the orders sent meanwhile fill" wait_for 25 sh -c "grep -c 'tag=s1 msg=\"script order [0-9]* #\(6\|7\|8\|9\) FILLED' '$T/quantd.log' | grep -q '^4$'"
check "the stream comes back and reconciles" wait_for 15 sh -c "[ \$(grep -c 'tag=okx msg=\"connected to ws://127.0.0.1:$WS/ws/v5/private' '$T/quantd.log') -ge 2 ]"
check "HTTP 429: REST pauses" wait_for 25 log_has 'tag=okx msg="the venue limits our request rate'
check "the order it refused: rejected, LIMIT" wait_for 10 log_has 'tag=s1 msg="script order [0-9]* #10 REJECTED.*error=-6 reason=okx 50011'
check "a bad secret: the venue's signature refusal is logged" wait_for 10 log_has 'tag=okxbad msg="okx 50113: Invalid Sign'
check "and reaches the strategy" wait_for 10 log_has 'tag=s2 msg="script order [0-9]* #1 REJECTED.*reason=okx 50113: Invalid Sign'
sleep 1
stop_daemon
curl -s "$F/fake/record" > "$T/record.json"
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
cid_of = {r[0]: r[1] for r in db.execute("SELECT id, client_id FROM orders")}
ours = {}
for oid, tid, qty in db.execute("SELECT order_id, trade_id, qty FROM fills"):
    ours.setdefault(tid, []).append((cid_of.get(oid), D(str(qty))))
venue = {f["id"]: f for f in rec["fills"]}
for tid, rows in ours.items():
    if len(rows) != 1:
        bad.append("trade %s stored %d times" % (tid, len(rows)))
if set(ours) != set(venue):
    bad.append("fills: %d at the venue, %d stored, missing %s, extra %s" % (len(venue), len(ours), sorted(set(venue) - set(ours))[:3], sorted(set(ours) - set(venue))[:3]))
for tid, f in venue.items():
    if tid in ours and (ours[tid][0][0] != f["client_id"] or ours[tid][0][1] != D(f["qty"])):
        bad.append("trade %s: %s here, %s at the venue" % (tid, ours[tid][0], (f["client_id"], f["qty"])))
if rec["refused"]["bad_sign"] < 1:
    bad.append("the venue saw no bad signature")
if rec["refused"]["insufficient"] != 1 or rec["refused"]["lot"] != 1:
    bad.append("refusals %s" % rec["refused"])
print("; ".join(bad) if bad else "%d fills, each stored once" % len(venue))
sys.exit(1 if bad or len(venue) < 6 else 0)
PY
)
if [ $? -eq 0 ]; then ok "every fill at the venue is stored exactly once ($out)"; else not_ok "every fill at the venue is stored exactly once" "$out"; fi
bad_cid=$(sqlite3 "$T/var/quantd.db" "SELECT client_id FROM orders WHERE instance = 's2'" 2>/dev/null)
check "the bad secret placed nothing at the venue" "$PY" -c "import json,sys; r=json.load(open('$T/record.json')); sys.exit(any(o['client_id'] == '$bad_cid' for o in r['orders']))"
check "no secret in any log" sh -c "! grep -q -e '$SECRET' -e '$PASS' -e '$KEY' '$T/quantd.log' '$T/stdout' '$T/stderr'"
echo "# run time $(( $(date +%s) - t0 )) s"
finish
