#!/bin/sh
# Live spot trading through the bybit adapter against tests/fakes/
# fake_bybit.py, which checks every signature itself: a tp-script strategy
# on a live account places a limit order that fills in two parts, cancels
# a resting one, meets the venue's refusals (insufficient balance, a
# quantity off the venue's lot), and has fills made while the private
# stream is down arrive exactly once after the reconnect; the venue's
# balances reach the account; an instance with a wrong secret gets the
# venue's signature error, places nothing and logs no secret.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KEY=by-test-key-1f2e3d
SECRET=by-test-secret-9a8b7c6d
BAD=by-wrong-secret-5e4f
FAKE_BYBIT_KEY=$KEY FAKE_BYBIT_SECRET=$SECRET FAKE_BYBIT_LOT=0.001 \
FAKE_BYBIT_BALANCES="USDT=50000,BTC=0" \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_bybit.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "the fake venue starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"
F=http://127.0.0.1:$HTTP
export BY_KEY=$KEY BY_SECRET=$SECRET BY_BAD=$BAD

make_config
# QD_VENUE_TRUST=sandboxed: the adapter runs in a sandbox child
# (tests/sandbox/venue_trading.sh), and everything below holds the same.
TRUST=${QD_VENUE_TRUST:-trusted}
if [ "$TRUST" = sandboxed ]; then
	mkdir -p "$T/untrusted"
	cp "$QD_BUILDDIR/lib/plugins/exchange-bybit.so" "$T/untrusted/"
	sed -i 's|"plugin_dirs": \["plugins"\],|"plugin_dirs": ["plugins"], "sandbox_plugin_dirs": ["untrusted"],|' "$T/quantd.json"
else
	ln -s "$QD_BUILDDIR/lib/plugins/exchange-bybit.so" "$T/plugins/"
fi
ln -s "$TP/tp-script.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
URLS="\"ws_url\": \"ws://127.0.0.1:$WS/v5/public/spot\", \"rest_url\": \"$F\", \"private_ws_url\": \"ws://127.0.0.1:$WS/v5/private\""
cat > "$T/quantd.d/bybit.json" <<JSON
{"plugin": "bybit", "instance": "bybit", "trust": "$TRUST", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BY_KEY", "api_secret": "env:BY_SECRET"},
 "params": {$URLS}}
JSON
cat > "$T/quantd.d/bybad.json" <<JSON
{"plugin": "bybit", "instance": "bybad", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BY_KEY", "api_secret": "env:BY_BAD"},
 "params": {$URLS}}
JSON
# Once the instrument list is in (tick and lot): 1 fills in two parts (a
# buy limit over the market), 2 rests and is canceled, 3 is over the
# venue's balance (which the test lowers unseen), 4 is off the venue's lot
# (0.001), 5 rests until the test fills it while the stream is down; 6
# meets a 429 (Retry-After: 1), 7 the pause that follows, 8 goes through.
cat > "$T/quantd.d/trader.json" <<JSON
{"plugin": "tp-script", "instance": "trader", "exchange": "bybit",
 "account": {"id": "live:t", "venue": "bybit", "balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 3000; buy limit 0.01 +0.5%; wait 1500; buy limit 0.01 -5%; wait 800; cancel 2; buy limit 0.8 -5%; buy limit 0.0015 -5%; buy limit 0.02 -5%; wait 12000; buy limit 0.01 -5%; wait 200; buy limit 0.01 -5%; wait 1500; buy limit 0.01 -5%"}}
JSON
cat > "$T/quantd.d/badtrader.json" <<JSON
{"plugin": "tp-script", "instance": "badtrader", "exchange": "bybad",
 "account": {"id": "live:b", "venue": "bybad", "balance": 1000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 2000; buy market 0.001"}}
JSON

start_daemon || { not_ok "the daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
sl() { grep "tag=trader " "$T/quantd.log" | grep "script order $1 "; }
order_line() { grep 'tag=trader msg="script order [0-9]* #'"$1"' ' "$T/quantd.log"; }
check "the private stream authenticates" wait_for 10 log_has 'tag=bybit msg="private stream authenticated"'
check "the venue's balance reaches the account (50000 USDT, not the configured 100000)" wait_for 5 sh -c "'$QUANTCTL' -c '$T/quantd.json' accounts | grep -q 'live:t .*cash 50000 USDT'"
# An order of someone else on the account (placed here, signed as the
# venue wants) holds most of the USDT: the venue's free balance, not the
# total the host books, is short for order 3.
"$PY" - "$F" "$KEY" "$SECRET" > "$T/other.txt" <<'PY'
import hashlib, hmac, json, sys, time, urllib.request
f, key, secret = sys.argv[1:4]
body = json.dumps({"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "1.5", "price": "20000", "timeInForce": "GTC", "orderLinkId": "manual-1"})
ts = str(int(time.time() * 1000))
sig = hmac.new(secret.encode(), (ts + key + "5000" + body).encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(f + "/v5/order/create", body.encode(), {"X-BAPI-API-KEY": key, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": sig, "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["retCode"])
PY
check "another order holds 30000 USDT at the venue" grep -qx 0 "$T/other.txt"
check "the limit order over the market is taken (PENDING)" wait_for 15 sh -c "grep -q 'script order [0-9]* #1 PENDING' '$T/quantd.log'"
check "and fills in two parts: PARTIAL" wait_for 10 sh -c "grep -q 'script order [0-9]* #1 PARTIAL filled=0.005 .*last=0.005@.*trade=2' '$T/quantd.log'"
check "then FILLED" wait_for 10 sh -c "grep -q 'script order [0-9]* #1 FILLED filled=0.01 ' '$T/quantd.log'"
check "the buy's fee in BTC reaches the OMS in USDT (0.1 % of 0.005 BTC at the price)" sh -c "grep 'script order [0-9]* #1 PARTIAL' '$T/quantd.log' | grep -q 'fee=0.1[0-9]* '"
check "the resting order is canceled" wait_for 10 sh -c "grep -q 'script order [0-9]* #2 CANCELED' '$T/quantd.log'"
check "over the balance: REJECTED with the venue's code and DENIED" wait_for 10 sh -c "grep -q 'script order [0-9]* #3 REJECTED .*error=-8 reason=bybit 170131: Insufficient balance.' '$T/quantd.log'"
check "off the venue's lot: REJECTED with the venue's code and INVALID" wait_for 10 sh -c "grep -q 'script order [0-9]* #4 REJECTED .*error=-1 reason=bybit 170137: Order quantity has too many decimals.' '$T/quantd.log'"
check "the venue's refusal is logged with its code" log_has 'tag=bybit msg="order qd[0-9a-z]* refused: bybit 170131: Insufficient balance.'
check "the fifth order rests" wait_for 10 sh -c "grep -q 'script order [0-9]* #5 PENDING' '$T/quantd.log'"

# The stream goes down; the order fills meanwhile, in two parts.
cid=$(curl -s "$F/fake/record" | "$PY" -c 'import json,sys; print([o["client_id"] for o in json.load(sys.stdin)["orders"] if o["qty"] == "0.02"][0])')
curl -s -X POST "$F/fake/drop_private?hold=1" > /dev/null
check "the lost private stream is noticed" wait_for 5 log_has 'tag=bybit msg="private stream lost'
curl -s -X POST "$F/fake/fill?link=$cid&qty=0.012" > /dev/null
curl -s -X POST "$F/fake/fill?link=$cid&qty=0.008" > /dev/null
check "it is authenticated again" wait_for 20 sh -c "[ \$(grep -c 'tag=bybit msg=\"private stream authenticated\"' '$T/quantd.log') -ge 2 ]"
check "the fills made meanwhile arrive: FILLED" wait_for 10 sh -c "grep -q 'script order [0-9]* #5 FILLED filled=0.02 ' '$T/quantd.log'"

# Rate limited: the venue's 429 refuses 6 (LIMIT), REST waits out its
# Retry-After (7 is refused by the adapter), then 8 is taken.
curl -s -X POST "$F/fake/limit_private?status=429&retry_after=1&count=1&path=/v5/order/create" > /dev/null
check "a 429 refuses the order with LIMIT" wait_for 15 sh -c "grep -q 'script order [0-9]* #6 REJECTED .*error=-6 reason=bybit 10006: Too many visits!' '$T/quantd.log'"
check "REST pauses for the venue's Retry-After" log_has 'tag=bybit msg="rate limited (HTTP 429, retCode 10006): no private REST call for 1000 ms"'
check "the next order meanwhile is refused by the adapter" wait_for 5 log_has "tag=bybit msg=\"REST paused by the venue's rate limit for [0-9]* ms: order refused"
check "and reaches the strategy REJECTED" wait_for 5 sh -c "grep -q 'script order [0-9]* #7 REJECTED' '$T/quantd.log'"
check "after the pause orders go through" wait_for 5 sh -c "grep -q 'script order [0-9]* #8 PENDING' '$T/quantd.log'"

# The wrong secret: the venue's signature error, nothing placed.
check "a wrong secret gets the venue's signature error" wait_for 10 log_has 'tag=bybad msg="order qd[0-9a-z]* refused: bybit 10004: error sign!'
check "and its order is REJECTED" wait_for 5 sh -c "grep -q 'tag=badtrader msg=\"script order [0-9]* #1 REJECTED .*error=-8' '$T/quantd.log'"
check "its private stream is refused too" log_has 'tag=bybad msg="private stream auth refused'
n=$(grep -c 'tag=bybad msg="private stream auth refused' "$T/quantd.log")
check "and retried with growing delays, not hammered ($n logins in the run)" test "$n" -le 10
stop_daemon

curl -s "$F/fake/record" > "$T/record.json"
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
vf = {f["id"]: f for f in rec["fills"] if f["client_id"].startswith("qd")}
ours = list(db.execute("SELECT trade_id, qty, price, fee FROM fills"))
ids = [r[0] for r in ours]
if len(ids) != len(set(ids)):
    bad.append("a fill stored twice")
if set(ids) != set(vf):
    bad.append("fills differ: venue %s, ours %s" % (sorted(vf), sorted(ids)))
for tid, q, p, fee in ours:
    f = vf.get(tid)
    if f and (D(str(q)) != D(f["qty"]) or D(str(p)) != D(f["price"]) or abs(D(str(fee)) - D(f["fee_quote"])) > D("2e-8")):
        bad.append("fill %s: %s@%s fee %s here, %s@%s fee %s at the venue" % (tid, q, p, fee, f["qty"], f["price"], f["fee_quote"]))
if rec["refused"]["bad_sign"] < 1:
    bad.append("the venue saw no bad signature")
if any(o["qty"] == "0.001" for o in rec["orders"]):
    bad.append("the wrong secret placed an order")
print("; ".join(bad) if bad else "%d fills, each once, as the venue made them; %d bad signatures refused" % (len(vf), rec["refused"]["bad_sign"]))
sys.exit(1 if bad or len(vf) != 4 else 0)
PY
)
if [ $? -eq 0 ]; then ok "the store's fills are the venue's exactly ($out)"; else not_ok "the store's fills are the venue's exactly" "$out"; fi
# The venue's BTC (0.03 bought less the fees in BTC) is the account's.
btc=$("$PY" -c 'import json,sys; from decimal import Decimal as D; r=json.load(open(sys.argv[1])); print(D("0.03") - sum(D(f["fee"]) for f in r["fills"] if f["fee_ccy"] == "BTC"))' "$T/record.json")
ours=$(sqlite3 "$T/var/quantd.db" "SELECT amount FROM ledger_postings WHERE account = 'live:t' AND asset = 'BTC'" | "$PY" -c 'import sys; from decimal import Decimal as D; print(sum((D(l) for l in sys.stdin), D(0)))')
if "$PY" -c 'import sys; from decimal import Decimal as D; sys.exit(0 if D(sys.argv[1]) == D(sys.argv[2]) else 1)' "$btc" "$ours"; then ok "the account holds the venue's BTC ($btc)"; else not_ok "the account holds the venue's BTC" "venue $btc, ours $ours"; fi
if grep -q -e "$SECRET" -e "$BAD" "$T/quantd.log" "$T/stdout" "$T/stderr" 2>/dev/null; then not_ok "no secret in the logs"; else ok "no secret in the logs"; fi
finish
