#!/bin/sh
# Live trading through the kraken adapter against tests/fakes/fake_kraken.py
# (its private side verifies every signature itself): tp-script instances
# with live accounts on the kraken instance place a limit order that fills
# in two parts, cancel one, and send one the venue refuses for funds and
# one for its minimum (each reaches the strategy with Kraken's reason and
# the error code); an instance with a wrong secret gets Kraken's signature
# error in the log and places nothing; the account stream is cut while an
# order fills and, after the reconnect, the store holds every fill of the
# venue exactly once; the venue's balances reach the account.  No secret
# ever reaches the log.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KR_KEY=it-key-$$
KR_SECRET=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')
KR_BAD=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')
export KR_KEY KR_SECRET KR_BAD
# The venue holds 2500 USDT; the accounts trading on `kraken` (three: the
# host keeps their configured balances) believe in 50000, so the venue is
# the one refusing an order for funds.  Its trading minimum is above the
# one its instrument list says, so it is the one refusing a small order.
FAKE_KRAKEN_KEY=$KR_KEY FAKE_KRAKEN_SECRET=$KR_SECRET FAKE_KRAKEN_USDT=2500 \
	FAKE_KRAKEN_ORDERMIN=0.0005 \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_kraken.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
F=http://127.0.0.1:$HTTP

make_config
for f in ta exchange-kraken; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
ln -s "$TP/tp-script.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
kraken() {   # NAME SECRET-VARIABLE
	cat > "$T/quantd.d/$1.json" <<JSON
{"plugin": "kraken", "instance": "$1", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "secrets": {"api_key": "env:KR_KEY", "api_secret": "env:$2"},
 "params": {"ws_url": "ws://127.0.0.1:$WS/v2", "rest_url": "$F",
            "ws_auth_url": "ws://127.0.0.1:$WS/v2-auth"}}
JSON
}
script() {   # NAME VENUE SCRIPT
	cat > "$T/quantd.d/$1.json" <<JSON
{"plugin": "tp-script", "instance": "$1", "exchange": "$2",
 "account": {"id": "live:$1", "venue": "$2", "balance": 50000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "$3"}}
JSON
}
kraken kraken KR_SECRET
kraken krakenbad KR_BAD
kraken krakenbal KR_SECRET
# Orders after 2 s: the instrument list (tick, lot) is in by then.
script fills kraken "wait 2000;buy limit 0.02 -5%;wait 300;buy limit 0.01 -5%;wait 500;cancel 2;buy market 0.001"
script refused kraken "wait 2000;buy limit 0.1 -1%;sell market 0.0002;wait 1000;buy market 0.0013"
script stream kraken "wait 2000;buy limit 0.04 -5%"
script bad krakenbad "wait 2000;buy market 0.001"
# The only account of its venue: the host brings it to the venue's balances.
script bal krakenbal "wait 60000"

# The refused script's third order (the only one of 0.0013) is answered
# HTTP 429: REST pauses, the order is refused with QD_ERR_LIMIT.  Set
# before the start, so no race with the script's timing.
curl -s -X POST "$F/fake/private_limit?n=1&status=429&method=AddOrder&volume=0.0013" > /dev/null
start_daemon || { not_ok "the daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the account stream opens" wait_for 10 log_has 'tag=kraken msg="account stream open'

# the client id of the K-th order of instance I (qd + base 36 of its id)
cid() {
	id=$(sed -n "s/.*tag=$1 msg=\"script step [0-9]*: .* -> ok order \\([0-9]*\\)\".*/\\1/p" "$T/quantd.log" | sed -n "${2}p")
	"$PY" -c "
import sys
n, s = int(sys.argv[1]), ''
while True:
    s = '0123456789abcdefghijklmnopqrstuvwxyz'[n % 36] + s
    n //= 36
    if n == 0: break
print('qd' + s)" "$id"
}
line() { grep "tag=$1 msg=\"script order [0-9]* #$2 $3" "$T/quantd.log" | head -1; }

check "a limit order reaches the venue and is PENDING" wait_for 10 sh -c "grep -q 'tag=fills msg=\"script order [0-9]* #1 PENDING' '$T/quantd.log'"
c1=$(cid fills 1)
curl -s -X POST "$F/fake/fill?cl_ord_id=$c1&qty=0.008" > /dev/null
check "a partial fill reaches the strategy" wait_for 10 sh -c "grep -q 'tag=fills msg=\"script order [0-9]* #1 PARTIAL filled=0.008 .*trade=T' '$T/quantd.log'"
curl -s -X POST "$F/fake/fill?cl_ord_id=$c1&qty=0.012" > /dev/null
check "then the rest: FILLED" wait_for 10 sh -c "grep -q 'tag=fills msg=\"script order [0-9]* #1 FILLED filled=0.02 ' '$T/quantd.log'"
check "a cancel reaches the venue and comes back CANCELED" wait_for 10 sh -c "grep -q 'tag=fills msg=\"script order [0-9]* #2 CANCELED' '$T/quantd.log'"
check "a market order fills" wait_for 10 sh -c "grep -q 'tag=fills msg=\"script order [0-9]* #3 FILLED filled=0.001 ' '$T/quantd.log'"

check "insufficient funds: REJECTED" wait_for 10 sh -c "grep -q 'tag=refused msg=\"script order [0-9]* #1 REJECTED' '$T/quantd.log'"
l=$(line refused 1 REJECTED)
case $l in *"error=-8 reason=kraken EOrder: Insufficient funds"*) ok "with Kraken's reason and QD_ERR_DENIED";; *) not_ok "with Kraken's reason and QD_ERR_DENIED" "$l";; esac
check "under its minimum: REJECTED" wait_for 10 sh -c "grep -q 'tag=refused msg=\"script order [0-9]* #2 REJECTED' '$T/quantd.log'"
l=$(line refused 2 REJECTED)
case $l in *"error=-1 reason=kraken EOrder: Order minimum not met"*) ok "with Kraken's reason and QD_ERR_INVALID";; *) not_ok "with Kraken's reason and QD_ERR_INVALID" "$l";; esac
check "the refusal is logged with Kraken's code" log_has 'tag=kraken msg="place of order [0-9]* refused: kraken EOrder: Insufficient funds'
check "a rate-limited order: REJECTED" wait_for 10 sh -c "grep -q 'tag=refused msg=\"script order [0-9]* #3 REJECTED' '$T/quantd.log'"
l=$(line refused 3 REJECTED)
case $l in *"error=-6 reason=kraken EAPI: Rate limit exceeded (HTTP 429)"*) ok "with QD_ERR_LIMIT";; *) not_ok "with QD_ERR_LIMIT" "$l";; esac
check "and private REST pauses for Retry-After" log_has 'tag=kraken msg="Kraken refused for its rate limit (EAPI:Rate limit exceeded (HTTP 429)): no private REST call for 1000 ms'

check "a wrong secret: Kraken's signature error in the log" wait_for 10 log_has 'tag=krakenbad msg=.*EAPI:Invalid signature'
check "and its order is REJECTED" wait_for 10 sh -c "grep -q 'tag=bad msg=\"script order [0-9]* #1 REJECTED' '$T/quantd.log'"

# The account stream cut while an order fills: the fills made meanwhile
# arrive through the reconcile after the reconnect, once each.
check "the stream test's order is PENDING" wait_for 10 sh -c "grep -q 'tag=stream msg=\"script order [0-9]* #1 PENDING' '$T/quantd.log'"
c3=$(cid stream 1)
curl -s -X POST "$F/fake/drop_private?hold=2" > /dev/null
check "the loss is noticed" wait_for 10 log_has 'tag=kraken msg="account stream lost'
curl -s -X POST "$F/fake/fill?cl_ord_id=$c3&qty=0.01" > /dev/null
curl -s -X POST "$F/fake/fill?cl_ord_id=$c3&qty=0.015" > /dev/null
check "the stream is reopened" wait_for 20 sh -c "[ \$(grep -c 'tag=kraken msg=\"account stream open' '$T/quantd.log') -ge 2 ]"
check "the fills made while it was down arrive" wait_for 15 sh -c "grep -q 'tag=stream msg=\"script order [0-9]* #1 PARTIAL filled=0.025 ' '$T/quantd.log'"
curl -s -X POST "$F/fake/fill?cl_ord_id=$c3&qty=0.015" > /dev/null
check "and the last one: FILLED" wait_for 20 sh -c "grep -q 'tag=stream msg=\"script order [0-9]* #1 FILLED filled=0.04 ' '$T/quantd.log'"

sleep 1   # the balance updates of the last fill
ctl --json accounts > "$T/accounts.json" 2>&1
curl -s "$F/fake/record" > "$T/record.json"
stop_daemon
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
ours = {}
for tid, n, qty, fee in db.execute("SELECT trade_id, count(*), sum(qty), sum(fee) FROM fills GROUP BY trade_id"):
    ours[tid] = (n, qty, fee)
venue = {f["trade_id"]: f for f in rec["fills"]}
if set(ours) != set(venue):
    bad.append("fills differ: %d at the venue, %d ours" % (len(venue), len(ours)))
for tid, (n, qty, fee) in ours.items():
    if n != 1:
        bad.append("%s stored %d times" % (tid, n))
    f = venue.get(tid)
    if f and (D(str(qty)) != D(f["qty"]) or D(str(fee)) != D(f["fee"])):
        bad.append("%s: %s fee %s here, %s fee %s at the venue" % (tid, qty, fee, f["qty"], f["fee"]))
if rec["refused"]["bad_signature"] < 1:
    bad.append("the fake saw no bad signature")
if any(o["cl_ord_id"] and not o["cl_ord_id"].startswith("qd") for o in rec["orders"]):
    bad.append("an order without our client id")
print("; ".join(bad) if bad else "%d fills, each stored once, %d bad signatures refused" % (len(venue), rec["refused"]["bad_signature"]))
sys.exit(1 if bad else 0)
PY
)
if [ $? -eq 0 ]; then ok "the store has the venue's fills exactly once ($out)"; else not_ok "the store has the venue's fills exactly once" "$out"; fi
n=$("$PY" -c 'import json,sys; print(sum(1 for o in json.load(open(sys.argv[1]))["orders"] if o["pair"] and o.get("cl_ord_id")))' "$T/record.json")
check "the wrong secret placed nothing (4 orders at the venue: fills 3, stream 1)" [ "$n" -eq 4 ]
out=$("$PY" - "$T/accounts.json" "$T/record.json" <<'PY'
import json, sys
from decimal import Decimal as D
acc = {a["id"]: a for a in json.load(open(sys.argv[1]))["accounts"]}
usdt = D(json.load(open(sys.argv[2]))["balances"]["USDT"])
cash = D(str(acc["live:bal"]["cash"]))
print("cash %s, the venue's USDT %s" % (cash, usdt))
sys.exit(0 if cash == usdt else 1)
PY
)
if [ $? -eq 0 ]; then ok "the venue's balances reach the account ($out)"; else not_ok "the venue's balances reach the account" "$out"; fi
if grep -qF -e "$KR_SECRET" -e "$KR_BAD" -e "$KR_KEY" "$T/quantd.log" "$T/stdout" "$T/stderr"; then not_ok "no secret in the log"; else ok "no secret in the log"; fi
finish
