#!/bin/sh
# Signing in to the API: an admin made with quantctl, users by the API,
# tokens and their rotation, 2FA, API keys' signed requests, plan limits,
# throttling, the audit log, hostile tokens and SQL in every parameter,
# and WebSocket clients with their plans (tests/integration/api_auth.py).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
QD_JWT=$(openssl rand -hex 32)
QUANTD_MASTER_KEYS="k1=env:QD_MK"
QD_MK=$(openssl rand -hex 32)
export QD_JWT QD_MK QUANTD_MASTER_KEYS
sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "storage": {"url": "quantd.db", "flush_ms": 20}, "api": {"jwt_secret": "env:QD_JWT", "master_keys": "k1=env:QD_MK"},|' "$T/quantd.json"
"$PY" - "$T/trades.csv" <<'PY'
import random, sys
r = random.Random(5)
t0, p, rows = 1704067200000, 100.0, []
for i in range(20000):
    p = round(p * (1 + r.uniform(-8e-4, 8e-4)), 2)
    rows.append("%d,%.2f,%.4f,%d,%d,%d,%s,True" % (i + 1, p, r.uniform(0.001, 0.2), i + 1, i + 1, t0 + i * 50, "true" if r.random() < .5 else "false"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
cat > "$T/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "BTC/USDT", "speed": 5, "loop": true}}
JSON
cat > "$T/quantd.d/hold.json" <<JSON
{"plugin": "tp-storm", "instance": "hold", "exchange": "feed",
 "account": {"balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "hold": true, "qty": 2}}
JSON
root_pw=$(openssl rand -hex 12)
printf '%s\n' "$root_pw" | ctl user add root --role admin --plan enterprise > "$T/useradd" 2>&1
check "quantctl user add makes the first admin" test $? -eq 0
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
QD_API_RECORD="$T/record.jsonl" "$PY" "$QD_SRCDIR/tests/integration/api_auth.py" "$port" "$root_pw" > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every sign-in check passed" test "$rc" -eq 0
check "no secret reached the log" sh -c "! grep -q -e '$root_pw' -e '$QD_JWT' -e '$QD_MK' '$T/quantd.log' '$T/stderr'"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
