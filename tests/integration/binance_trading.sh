#!/bin/sh
# Live trading through the binance adapter against tests/fakes/fake_binance.py
# (its private side checks every signature, timestamp and receive window on
# its own): tp-script instances with live accounts place, get partial and
# full fills, cancel, are refused (insufficient balance, lot size) with the
# venue's reason and error code; an instance with a bad secret gets the
# venue's signature error and places nothing, and no secret reaches the
# log; the user data stream cut during fills comes back and the OMS holds
# every fill exactly once; the venue's balances reach the account.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KEY=bn-it-key-4f1c
SECRET=bn-it-secret-9d2e7a
BAD=bn-it-wrong-secret-77aa
FAKE_BINANCE_API_KEY=$KEY FAKE_BINANCE_API_SECRET=$SECRET \
FAKE_BINANCE_BALANCES="USDT=100000,BTC=1,ETH=0" FAKE_BINANCE_LOT="BTCUSDT=0.001" \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_binance.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "fake binance starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"
F=http://127.0.0.1:$HTTP
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-binance.so" "$T/plugins/"
ln -s "$TP/tp-script.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
printf '%s\n' "$SECRET" > "$T/secret"
export BN_IT_KEY=$KEY BN_IT_BAD=$BAD
URLS="\"ws_url\": \"ws://127.0.0.1:$WS/ws\", \"rest_url\": \"$F\", \"ws_api_url\": \"ws://127.0.0.1:$WS/ws-api/v3\""
cat > "$T/quantd.d/binance.json" <<JSON
{"plugin": "binance", "instance": "binance", "symbols": ["BTC/USDT", "ETH/USDT"],
 "secrets": {"api_key": "env:BN_IT_KEY", "api_secret": "file:$T/secret"},
 "params": {$URLS}}
JSON
cat > "$T/quantd.d/binbad.json" <<JSON
{"plugin": "binance", "instance": "binbad", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BN_IT_KEY", "api_secret": "env:BN_IT_BAD"},
 "params": {$URLS}}
JSON
# a: a limit order filled in parts, a second one canceled, a market order,
# then refusals (lot size, insufficient balance); c: with the bad secret.
cat > "$T/quantd.d/a.json" <<JSON
{"plugin": "tp-script", "instance": "a", "exchange": "binance",
 "account": {"id": "live:a", "venue": "binance", "balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 1500; buy limit 0.01 -50%; buy limit 0.01 -50%; wait 300; cancel 2; buy market 0.002; buy market 0.0015; wait 1500; buy market 0.5"}}
JSON
cat > "$T/quantd.d/c.json" <<JSON
{"plugin": "tp-script", "instance": "c", "exchange": "binbad",
 "account": {"id": "live:c", "venue": "binbad", "balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 1500; buy market 0.001"}}
JSON
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the user data stream opens" wait_for 10 log_has 'tag=binance msg="user data stream open'
# The venue's balance shrinks behind the host's back: the last order is
# refused there, not by the host's checks.
wait_for 15 log_has 'tag=a msg="script step 8: wait 1500'
curl -s -X POST "$F/fake/balance?asset=USDT&free=1000" > /dev/null
check "script a runs to its end" wait_for 15 log_has 'tag=a msg="script done'
sleep 0.5
rec() { curl -s "$F/fake/record"; }
# Orders #1 and #2 go out together and reach the venue in either order:
# #1's client id is the store's, by the host order id the script logged.
oid1=$(sed -n 's/.*tag=a msg="script order \([0-9]*\) #1 PENDING.*/\1/p' "$T/quantd.log" | head -1)
cid1=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT client_id FROM orders WHERE id=?", (int(sys.argv[2]),)).fetchone()[0])' "$T/var/quantd.db" "$oid1")
la() { grep "tag=a msg=\"script order $1 " "$T/quantd.log"; }
check "the limit order is PENDING at the venue" sh -c "grep -q 'tag=a msg=\"script order [0-9]* #1 PENDING' '$T/quantd.log'"
curl -s -X POST "$F/fake/fill?cid=$cid1&qty=0.003" > /dev/null
check "a partial fill reaches the strategy over the stream" wait_for 20 log_has 'tag=a msg="script order [0-9]* #1 PARTIAL filled=0.003 '
# The stream cut (and refused for 3 s) while the rest fills.
curl -s -X POST "$F/fake/hold_user?s=3" > /dev/null
curl -s -X POST "$F/fake/drop_user" > /dev/null
check "the venue's balances reach the account" log_has 'tag=oms msg="account live:a: BTC balance 0.00000000 -> 1.00000000 (the venue'
check "the lost user data stream is noticed" wait_for 5 log_has 'tag=binance msg="user data stream lost'
curl -s -X POST "$F/fake/fill?cid=$cid1&qty=0.003" > /dev/null
curl -s -X POST "$F/fake/fill?cid=$cid1" > /dev/null
# The reconcile's first request meets the venue's rate limit.
curl -s -X POST "$F/fake/private_limit?status=429&count=1&retry_after=1" > /dev/null
check "it is reopened" wait_for 20 sh -c "[ \$(grep -c 'tag=binance msg=\"user data stream open' '$T/quantd.log') -ge 2 ]"
check "the fills made while it was down arrive: FILLED" wait_for 30 log_has 'tag=a msg="script order [0-9]* #1 FILLED filled=0.01 '
check "a 429 pauses REST for the venue's Retry-After" log_has 'tag=binance msg="REST answered 429: no REST call for 1 s'
check "the canceled order is CANCELED" log_has 'tag=a msg="script order [0-9]* #2 CANCELED'
check "the market order fills" log_has 'tag=a msg="script order [0-9]* #3 FILLED filled=0.002 '
check "a bad lot size reaches the strategy with the venue's reason and QD_ERR_INVALID" \
	log_has 'tag=a msg="script order [0-9]* #4 REJECTED .* error=-1 reason=binance -1013: Filter failure: LOT_SIZE'
check "insufficient balance: the venue's reason and QD_ERR_DENIED" \
	log_has 'tag=a msg="script order [0-9]* #5 REJECTED .* error=-8 reason=binance -2010: Account has insufficient balance'
check "refusals are logged with the venue's code" log_has 'tag=binance msg="order refused: HTTP 400, binance -2010: '
check "the bad secret: the venue's signature error in the log" \
	log_has 'tag=binbad msg="order refused: HTTP 400, binance -1022: Signature for this request is not valid.'
check "and refusing its user data stream subscription" log_has 'tag=binbad msg="user data stream refused: status 400, binance -1022'
check "and at the strategy" log_has 'tag=c msg="script order [0-9]* #1 REJECTED .* error=-8 reason=binance -1022'
# With no order working, a reconcile (after another cut) brings the books
# to the venue's balances, the USDT taken away behind the host's back
# included.
curl -s -X POST "$F/fake/drop_user" > /dev/null
wait_for 20 sh -c "[ \$(grep -c 'tag=binance msg=\"user data stream open' '$T/quantd.log') -ge 3 ]"
sleep 1
rec > "$T/record.json"
ctl --json accounts > "$T/accounts.json" 2>&1
stop_daemon
if grep -rq -e "$SECRET" -e "$BAD" "$T/quantd.log" "$T/stdout" "$T/stderr" "$T/var" 2>/dev/null; then
	not_ok "no secret reaches the log or the state"
else
	ok "no secret reaches the log or the state"
fi
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" "$T/accounts.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
vf = {str(f["id"]): f for f in rec["fills"]}
ours = {}
for oid, tid, qty, price, fee in db.execute("SELECT order_id, trade_id, qty, price, fee FROM fills"):
    if tid in ours:
        bad.append("fill %s twice" % tid)
    ours[tid] = (qty, price, fee)
if set(vf) != set(ours):
    bad.append("fills: venue %s, ours %s" % (sorted(vf), sorted(ours)))
for t, f in vf.items():
    o = ours.get(t)
    if o and (D(str(o[0])) != D(f["qty"]) or D(str(o[2])) != D(f["fee"])):
        bad.append("fill %s: ours %s, venue %s" % (t, o, f))
if rec["refused"]["bad_signature"] < 1:
    bad.append("no bad signature counted")
if any(o["symbol"] == "BTCUSDT" and o["qty"] == "0.00100000" for o in rec["orders"]):
    bad.append("the bad-secret order was placed")
usdt = D(rec["balances"]["USDT"][0]) + D(rec["balances"]["USDT"][1])
acc = json.load(open(sys.argv[3]))
a = [x for x in acc.get("accounts", []) if x["id"] == "live:a"]
if not a or abs(D(str(a[0]["cash"])) - usdt) > D("0.000001"):
    bad.append("account live:a cash %s, the venue's USDT %s" % (a[0]["cash"] if a else None, usdt))
print("; ".join(bad) if bad else "%d fills, each once; venue USDT %s" % (len(vf), usdt))
sys.exit(1 if bad or len(vf) < 4 else 0)
PY
)
if [ $? -eq 0 ]; then ok "the store holds the venue's fills exactly once ($out)"; else not_ok "the store holds the venue's fills exactly once" "$out"; fi
finish
