#!/bin/sh
# Emergency close: two strategies each holding a position and a resting
# order on its own symbol.  `quantctl emergency-close --ratio 0.5` cancels
# both orders first and halves both positions at market; `quantd
# --emergency-close --instance` closes one instance's rest; SIGUSR1 the
# other's.  Each step is in the risk log, and the books reconcile.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
for s in BTC:100 ETH:10; do
	"$PY" - "$T/${s%%:*}.csv" "${s#*:}" <<'PY'
import random, sys
r = random.Random(5)
p, t0 = float(sys.argv[2]), 1704067200000
rows = []
for i in range(5000):
    p = round(p * (1 + r.uniform(-2e-4, 2e-4)), 4)
    rows.append("%d,%.4f,%.4f,%d,%d,%d,false,True" % (i + 1, p, 5, i + 1, i + 1, t0 + i * 100))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
done
for s in BTC ETH; do
	lc=$(echo "$s" | tr A-Z a-z)
	cat > "$T/quantd.d/feed-$lc.json" <<JSON
{"plugin": "replay", "instance": "feed-$lc", "symbols": ["$s/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/$s.csv", "symbol": "$s/USDT", "speed": 5, "loop": true}}
JSON
	cat > "$T/quantd.d/hold-$lc.json" <<JSON
{"plugin": "tp-storm", "instance": "hold-$lc", "exchange": "feed-$lc",
 "account": {"balance": 100000, "quote": "USDT"},
 "params": {"symbol": "$s/USDT", "hold": true, "qty": 2}}
JSON
done
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }

# pos INSTANCE: the position's quantity; opens INSTANCE: open orders.
pos() { ctl --json accounts | "$PY" -c "import json,sys; a=[x for x in json.load(sys.stdin)['accounts'] if x['instance']=='$1'][0]; print('%g' % sum(p['qty'] for p in a['positions']))"; }
opens() { ctl --json accounts | "$PY" -c "import json,sys; print([x for x in json.load(sys.stdin)['accounts'] if x['instance']=='$1'][0]['open_orders'])"; }
is() { [ "$($1 "$2")" = "$3" ]; }

check "hold-btc holds 2" wait_for 10 is pos hold-btc 2
check "hold-eth holds 2" wait_for 10 is pos hold-eth 2
check "each has its resting order" wait_for 5 is opens hold-btc 1
out=$(ctl emergency-close --ratio 0.5)
case "$out" in
*"2 open order(s) canceled, 2 close order(s) sent"*) ok "emergency-close --ratio 0.5 cancels first, then closes ($out)";;
*) not_ok "emergency-close --ratio 0.5 cancels first, then closes" "$out";;
esac
check "hold-btc is halved" wait_for 10 is pos hold-btc 1
check "hold-eth is halved" wait_for 10 is pos hold-eth 1
check "no order is left open" is opens hold-btc 0
out=$(ctl emergency-close --ratio 0.5 --instance hold-btc --account paper:hold-btc 2>&1)
check "--account and --instance together are refused" test $? -ne 0
out=$("$QUANTD" -c "$T/quantd.json" --emergency-close --instance hold-eth)
check "quantd --emergency-close --instance answers ok" sh -c "echo '$out' | grep -q '\"ok\":true'"
check "hold-eth is flat" wait_for 10 is pos hold-eth 0
check "hold-btc is untouched by it" is pos hold-btc 1
kill -USR1 "$QD_PID"
check "SIGUSR1 closes hold-btc" wait_for 10 is pos hold-btc 0
check "the ledger reconciles" sh -c "ctl() { '$QUANTCTL' -c '$T/quantd.json' \"\$@\"; }; ctl --json accounts | grep -q '\"reconciled\":true'"
check "new entries are halted" sh -c "ctl() { '$QUANTCTL' -c '$T/quantd.json' \"\$@\"; }; ctl risk status | grep -q HALTED"
stop_daemon
n=$(ctl risk log --json | grep -c '"rule":"emergency')
check "each emergency close is in the risk log ($n)" test "$n" -ge 3
check "ratio out of range is refused" sh -c "! '$QUANTCTL' -c '$T/quantd.json' emergency-close --ratio 1.5 2>/dev/null"
check "no daemon: quantd --emergency-close says so" sh -c "! '$QUANTD' -c '$T/quantd.json' --emergency-close 2>/dev/null"
finish
