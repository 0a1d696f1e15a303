#!/bin/sh
# Live trading through the coinbase adapter against tests/fakes/
# fake_coinbase.py, which verifies every request's JWT with its own code:
# tp-script instances with live accounts place, fill (in steps), cancel and
# get refused (insufficient funds, a size the venue's increment refuses)
# with the venue's reason and error code; an instance whose private key is
# not the venue's gets its 401 and places nothing, its secret in no log;
# the user channel cut during fills comes back, reconciles, and the store
# holds every fill of the venue exactly once; the venue's balances become
# the account's.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KEY_NAME=organizations/0f0e0d0c/apiKeys/a1b2c3d4
"$PY" - "$T/key.pem" "$T/other.pem" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
for path in sys.argv[1:]:
    k = ec.generate_private_key(ec.SECP256R1())
    open(path, "wb").write(k.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
PY
FAKE_CB_KEY=$T/key.pem FAKE_CB_KEY_NAME=$KEY_NAME FAKE_CB_BALANCES=USDT=100000,BTC=1 \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_coinbase.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
F=http://127.0.0.1:$HTTP
# The venue's size increment at order entry is stricter than its list.
curl -s -X POST "$F/fake/lot?step=0.0001" > /dev/null
curl -s -X POST "$F/fake/partial?steps=4" > /dev/null

make_config
for f in exchange-coinbase; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
ln -s "$TP/tp-script.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
export CB_KEY_NAME=$KEY_NAME
venue() {  # NAME KEYFILE
	cat > "$T/quantd.d/$1.json" <<JSON
{"plugin": "coinbase", "instance": "$1", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:CB_KEY_NAME", "private_key": "file:$2"},
 "params": {"ws_url": "ws://127.0.0.1:$WS", "rest_url": "http://127.0.0.1:$HTTP",
            "trade_url": "http://127.0.0.1:$HTTP", "user_ws_url": "ws://127.0.0.1:$WS"}}
JSON
}
script() {  # INSTANCE VENUE BALANCE SCRIPT
	cat > "$T/quantd.d/$1.json" <<JSON
{"plugin": "tp-script", "instance": "$1", "exchange": "$2",
 "account": {"id": "live:$1", "venue": "$2", "balance": $3, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "$4"}}
JSON
}
venue cb "$T/key.pem"
venue cbbad "$T/other.pem"
script s1 cb 100000 "wait 1500;buy limit 0.01 +0.5%;wait 2500;buy limit 0.01 -5%;wait 500;cancel 2;buy market 0.002;wait 1000;buy limit 0.04 +0.5%;wait 8000;buy market 0.001"
# The host believes in a large balance (two accounts on one venue keep
# their configured ones): the venue's refusal is the venue's.
script s2 cb 100000000 "wait 1500;buy limit 100 -1%;buy limit 0.00005 -5%"
script s3 cbbad 100000 "wait 1500;buy market 0.001"

start_daemon || { not_ok "the daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the user channel connects" wait_for 10 log_has 'tag=cb msg="user channel connected'
so() { grep "tag=$1 msg=\"script order" "$T/quantd.log"; }
check "a limit order is taken" wait_for 15 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep -q '#1 PENDING'"
check "fills in steps" wait_for 10 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep '#1 PARTIAL' | grep -q 'trade=[0-9a-f-]\{36\}'"
check "and is filled" wait_for 10 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep -q '#1 FILLED filled=0.01'"
check "an order is canceled" wait_for 10 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep -q '#2 CANCELED'"
check "a market order fills" wait_for 10 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep -q '#3 FILLED filled=0.002'"
# The user channel cut while the last order fills: the fills during the
# cut come from the reconcile after it.
wait_for 10 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep -q '#4 PENDING'"
curl -s -X POST "$F/fake/user_drop?hold=1" > /dev/null
check "the lost user channel is noticed" wait_for 5 log_has 'tag=cb msg="user channel lost; reconnecting'
check "and comes back" wait_for 10 sh -c "[ \$(grep -c 'tag=cb msg=\"user channel connected' '$T/quantd.log') -ge 2 ]"
check "the order cut in the middle is filled" wait_for 15 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep -q '#4 FILLED filled=0.04'"
# The venue's rate limit on the next order: refused as a limit, REST
# paused.
curl -s -X POST "$F/fake/rate?status=429&count=1&path=/api/v3/brokerage/orders" > /dev/null
check "a rate-limited order reaches the strategy as a limit" wait_for 10 sh -c "grep 'tag=s1 msg=\"script order' '$T/quantd.log' | grep '#5 REJECTED' | grep -q 'error=-6 reason=coinbase RATE_LIMIT_EXCEEDED: Too many requests'"
check "and REST pauses" log_has 'tag=cb msg="the venue.s rate limit (HTTP 429): requests paused for 1000 ms'
check "insufficient funds reach the strategy with the venue's reason" wait_for 10 sh -c "grep 'tag=s2 msg=\"script order' '$T/quantd.log' | grep '#1 REJECTED' | grep -q 'error=-8 reason=coinbase INSUFFICIENT_FUND: Insufficient balance'"
check "a bad size too" wait_for 10 sh -c "grep 'tag=s2 msg=\"script order' '$T/quantd.log' | grep '#2 REJECTED' | grep -q 'error=-1 reason=coinbase INVALID_SIZE_PRECISION'"
check "and the venue's code is logged" log_has 'tag=cb msg="order refused: coinbase INSUFFICIENT_FUND'
check "a key the venue does not know: its 401 in the log" wait_for 10 log_has 'tag=cbbad msg="order refused (HTTP 401): coinbase 401: Unauthorized'
check "its order is rejected" wait_for 5 sh -c "grep 'tag=s3 msg=\"script order' '$T/quantd.log' | grep '#1 REJECTED' | grep -q 'error=-8'"
sleep 1
stop_daemon
curl -s "$F/fake/record" > "$T/record.json"
key_b64=$(sed -n 2p "$T/key.pem" | cut -c1-24)
check "no secret in any log" sh -c "! grep -rqF -e '$key_b64' -e '$(sed -n 2p "$T/other.pem" | cut -c1-24)' '$T/quantd.log' '$T/stdout' '$T/stderr'"
check "the fake counted bad signatures" "$PY" -c "import json,sys; r=json.load(open('$T/record.json')); sys.exit(0 if r['refused']['bad_signature'] > 0 else 1)"

# The store against the venue's record.
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
ours = {r[0]: r for r in db.execute("SELECT trade_id, qty, price, fee FROM fills")}
theirs = {f["trade_id"]: f for f in rec["fills"]}
if set(ours) != set(theirs):
    bad.append("fills differ: %d at the venue, %d ours" % (len(theirs), len(ours)))
n = db.execute("SELECT count(*), count(DISTINCT trade_id) FROM fills").fetchone()
if n[0] != n[1]:
    bad.append("a fill stored twice")
for t, f in theirs.items():
    o = ours.get(t)
    if o and (D(o[1]) != D(f["qty"]) or D(o[2]) != D(f["price"]) or D(o[3]) != D(f["fee"])):
        bad.append("fill %s: %s here, %s there" % (t, o[1:], (f["qty"], f["price"], f["fee"])))
cids = [o["client_id"] for o in rec["orders"]]
mine = {r[0] for r in db.execute("SELECT client_id FROM orders WHERE account = 'live:s3'")}
if mine & set(cids):
    bad.append("the bad key placed an order")
print("; ".join(bad) if bad else "%d fills" % len(theirs))
sys.exit(1 if bad or len(theirs) < 8 else 0)
PY
)
if [ $? -eq 0 ]; then ok "every fill of the venue once in the store ($out)"; else not_ok "every fill of the venue once in the store" "$out"; fi

# Alone on its venue (a fresh store: the old one remembers s2's account),
# s1's account takes the venue's balances.
mv "$T/var" "$T/var.1"
mkdir "$T/var"
rm "$T/quantd.d/s2.json" "$T/quantd.d/s3.json" "$T/quantd.d/cbbad.json"
script s1 cb 5 "wait 1"
start_daemon || not_ok "the daemon starts again"
want=$(curl -s "$F/fake/record" | "$PY" -c "import json,sys; b=json.load(sys.stdin)['balances']; from decimal import Decimal as D; print('USDT=%s BTC=%s' % (D(b['USDT']).normalize(), D(b['BTC']).normalize()))")
got() {
	sqlite3 "$T/var/quantd.db" "SELECT asset, amount FROM ledger_postings WHERE account = 'live:s1'" | "$PY" -c "
import sys
from decimal import Decimal as D
b = {}
for l in sys.stdin:
    a, v = l.strip().split('|')
    b[a] = b.get(a, D(0)) + D(v)
print('USDT=%s BTC=%s' % (b.get('USDT', D(0)).normalize(), b.get('BTC', D(0)).normalize()))"
}
same() { [ "$(got)" = "$want" ]; }
if wait_for 10 same; then ok "the venue's balances become the account's ($want)"; else not_ok "the venue's balances become the account's" "venue $want, account $(got)"; fi
stop_daemon
finish
