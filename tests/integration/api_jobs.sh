#!/bin/sh
# Backtests and optimisations as API jobs: candles imported with quantctl,
# a backtest through the API whose result is byte for byte what quantctl
# backtest prints for the same stored candles, its report and trades, an
# optimisation, a walk-forward, a Monte Carlo run, a cancel, refusals (a
# bad strategy, parameter, range, member; another user's job; the plan's
# queue), the progress of a Chan analysis of 300,000 bars, and kill -9 of
# the daemon with a job running and one queued (tests/integration/api_jobs.py
# does the API part).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
for f in ta ma-cross chan; do ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"; done
# An untrusted strategy: its jobs run sandboxed, as its instances would.
mkdir -p "$T/untrusted"
cp "$QD_BUILDDIR/lib/plugins/sma-cross-example.so" "$T/untrusted/"
sed -i 's|"plugin_dirs": \["plugins"\],|"plugin_dirs": ["plugins"], "sandbox_plugin_dirs": ["untrusted"],|' "$T/quantd.json"
QD_JWT=$(openssl rand -hex 32)
export QD_JWT
sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "storage": {"url": "quantd.db", "flush_ms": 20}, "api": {"jwt_secret": "env:QD_JWT"}, "jobs": {"workers": 1, "timeout_s": 120, "max_queued_per_user": {"enterprise": 3, "default": 1}},|' "$T/quantd.json"

# 4,000 one-minute candles of sim BTC/USDT from 2024-01-01.
ctl data synth --bars 4000 --timeframe 1m --seed 11 > "$T/bars.csv"
ctl data import "$T/bars.csv" --exchange sim --symbol BTC/USDT --timeframe 1m > "$T/import" 2>&1
check "quantctl data import stores the candles" grep -q 'imported 4000 candles' "$T/import"
FROM=1704070800000
TO=1704290400000
# What the API's backtest must give, from quantctl directly.
ctl backtest --strategy ma-cross --param fast=5 --param slow=20 \
	--data store:sim:BTC/USDT:1m --from $FROM --to $TO --json > "$T/expected.json" 2> "$T/expected.err"
check "quantctl backtest over the stored candles runs" test -s "$T/expected.json"
ctl backtest --strategy sma-cross-example --param fast=6 --sandbox \
	--data store:sim:BTC/USDT:1m --from $FROM --to $TO --json > "$T/expected_sandboxed.json" 2> "$T/expected.err"
check "quantctl backtest of the untrusted strategy runs sandboxed" test -s "$T/expected_sandboxed.json"
ctl backtest --strategy ma-cross --data store:sim:BTC/USDT:1m --from $FROM --to $TO --progress > /dev/null 2> "$T/progress.err"
check "quantctl backtest --progress ends with all the range's bars done" sh -c "tail -1 '$T/progress.err' | grep -Eq '^progress ([0-9]+) \\1\$'"

# 300,000 more of sim ETH/USDT from 2024-01-01 for a Chan analysis long
# enough to report progress on the way.
ctl data synth --bars 300000 --timeframe 1m --seed 5 > "$T/chan.csv"
ctl data import "$T/chan.csv" --exchange sim --symbol ETH/USDT --timeframe 1m > "$T/import" 2>&1
check "quantctl data import stores the Chan analysis's candles" grep -q 'imported 300000 candles' "$T/import"
CHAN_FROM=1704067200000
CHAN_TO=$((CHAN_FROM + 299999 * 60000))
ctl chan --data "$T/chan.csv" --progress > /dev/null 2> "$T/chan.err"
check "quantctl chan --progress: bars done of 300,000, rising, the last line all of them" \
	awk '$1 != "progress" || $3 != 300000 || $2 < last { bad = 1 } { last = $2; n++ }
	     END { exit bad || n < 2 || last != 300000 }' "$T/chan.err"
rm -f "$T/chan.csv"

pw_root=$(openssl rand -hex 12)
pw_alice=$(openssl rand -hex 12)
pw_bob=$(openssl rand -hex 12)
printf '%s\n' "$pw_root" | ctl user add root --role admin --plan enterprise > /dev/null 2>&1
printf '%s\n' "$pw_alice" | ctl user add alice --role trader --plan enterprise > /dev/null 2>&1
printf '%s\n' "$pw_bob" | ctl user add bob --role trader --plan pro > /dev/null 2>&1
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
export QD_PORT=$port QD_FROM=$FROM QD_TO=$TO QD_EXPECTED="$T/expected.json" \
	QD_EXPECTED_SANDBOXED="$T/expected_sandboxed.json" \
	QD_PW_ROOT=$pw_root QD_PW_ALICE=$pw_alice QD_PW_BOB=$pw_bob \
	QD_API_RECORD="$T/record.jsonl" QD_STATE="$T/state" \
	QD_CHAN_FROM=$CHAN_FROM QD_CHAN_TO=$CHAN_TO
"$PY" "$QD_SRCDIR/tests/integration/api_jobs.py" run > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every job check passed" test "$rc" -eq 0
check "the untrusted strategy's job ran sandboxed, ma-cross's in-process" sh -c "grep -q 'job 1 (backtest of alice) started: pid' '$T/quantd.log' && grep -Eq 'job [0-9]+ \(backtest of alice\) started sandboxed: pid' '$T/quantd.log'"

# kill -9 with a long job running and a short one queued behind it (one
# worker): after the restart the first failed with the reason, the other
# ran.
"$PY" "$QD_SRCDIR/tests/integration/api_jobs.py" before-kill > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "a long job runs and a short one waits" test "$rc" -eq 0
kill -KILL "$QD_PID"
wait "$QD_PID" 2>/dev/null
QD_PID=
start_fresh || { not_ok "the daemon starts again"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
QD_PORT=$port "$PY" "$QD_SRCDIR/tests/integration/api_jobs.py" after-kill > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "after kill -9: the running job failed with the reason, the queued one ran" test "$rc" -eq 0
no_orphan() { ! pgrep -f -- "-c $T/quantd.json --json optimize" > /dev/null; }
check "no quantctl of the killed daemon is left running" wait_for 10 no_orphan
check "no password reached the log" sh -c "! grep -q -e '$pw_root' -e '$pw_alice' -e '$QD_JWT' '$T/quantd.log' '$T/stderr'"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
