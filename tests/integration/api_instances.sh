#!/bin/sh
# Instances, their params and files, config checks and indicators through
# the API (tests/integration/api_instances.py): list and info, stop and
# start (and the instances channel's snapshot and changes), params validated with the config loader's words, a params change
# written to the instance file and applied by a restart, a stale write
# refused, an instance file's text checked with line:column, and
# indicators over imported candles equal to `quantctl indicator` over the
# same CSV.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
cp "$TP/tp-good.so" "$T/plugins/tp-good.so"
cp "$TP/tp-secret.so" "$T/plugins/tp-secret.so"
cp "$TP/tp-failcreate.so" "$T/plugins/tp-failcreate.so"
ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
ln -s "$QD_BUILDDIR/lib/plugins/ta.so" "$T/plugins/"
QD_JWT=$(openssl rand -hex 32)
export QD_JWT
sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "storage": {"flush_ms": 20}, "api": {"jwt_secret": "env:QD_JWT"},|' "$T/quantd.json"
echo '{"plugin": "replay", "instance": "feed", "params": {"interval_ms": 50}}' > "$T/quantd.d/feed.json"
# A hand-written file: its layout and other members must survive an edit.
cat > "$T/quantd.d/a.json" <<'JSON'
{
  "plugin": "tp-good",
  "instance": "a",
  "exchange": "feed",
  "params": {
    "period": 3,
    "label": "kept"
  },
  "account": {"balance": 5000}
}
JSON
echo '{"plugin": "tp-good", "instance": "b", "params": {"period": 2}}' > "$T/quantd.d/b.json"
# A secret parameter: never shown, kept through an edit of the file.
cat > "$T/quantd.d/s.json" <<'JSON'
{"plugin": "tp-secret", "instance": "s",
 "params": {"period": 4, "token": "hunter2-not-shown"}}
JSON
# An instance whose create() fails: failed, with why.
echo '{"plugin": "tp-failcreate", "instance": "bad"}' > "$T/quantd.d/bad.json"
# No params member: one is added.
printf '{"plugin": "tp-good", "instance": "c"}' > "$T/quantd.d/c.json"

# Candles in the store, and quantctl's indicators over the same CSV.
ctl data synth --bars 3000 --seed 7 > "$T/bars.csv"
ctl data import "$T/bars.csv" --exchange hist --symbol ETH/USDT > "$T/import" 2>&1
check "quantctl imports the candles" test $? -eq 0
ctl indicator macd --param fast=8 --input "$T/bars.csv" > "$T/macd.csv"
check "quantctl computes macd(8)" test -s "$T/macd.csv"
ctl indicator bbands --param period=10 --input "$T/bars.csv" > "$T/bbands.csv"
check "quantctl computes bbands(10)" test -s "$T/bbands.csv"
# More bars than one request may take, in a series of their own.
ctl data synth --bars 100001 --seed 3 > "$T/many.csv"
ctl data import "$T/many.csv" --exchange hist --symbol BTC/USDT > "$T/import2" 2>&1
check "quantctl imports 100001 candles" test $? -eq 0

root_pw=$(openssl rand -hex 12)
printf '%s\n' "$root_pw" | ctl user add root --role admin --plan enterprise > "$T/useradd" 2>&1
check "quantctl user add makes an admin" test $? -eq 0
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
QD_API_RECORD="$T/record.jsonl" QD_T="$T" QUANTCTL="$QUANTCTL" "$PY" \
	"$QD_SRCDIR/tests/integration/api_instances.py" "$port" "$root_pw" \
	> "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every instance, params, config and indicator check passed" test "$rc" -eq 0
check "the daemon still runs" kill -0 "$QD_PID"
check "quantctl instance stop" ctl instance stop b
check "quantctl instance start starts it again" ctl instance start b
check "quantctl instance start of a running one fails" sh -c "! '$QUANTCTL' -c '$T/quantd.json' instance start b"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
