#!/bin/sh
# bench_jobs.sh -- backtests as API jobs against the same backtests run
# straight with quantctl: N backtests of ma-cross over 20,000 stored 1m
# candles, two at a time both ways (jobs.workers 2; xargs -P2), wall time
# from the first submission to the last job done (polled every 20 ms) and
# the per-job overhead the runner adds (process start, the store's rows,
# the API).  Figures only.  Run from the top build dir.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
N=${QD_BENCH_JOBS:-40}
. "${QD_SRCDIR:-$(dirname "$0")/../..}/tests/bench/jobs_daemon.sh"
jobs_daemon_dir jobs '{"workers": 2, "max_queued_per_user": 0}'
q data synth --bars 20000 --timeframe 1m --seed 5 > "$t/bars.csv"
q data import "$t/bars.csv" --exchange sim --symbol BTC/USDT --timeframe 1m > /dev/null
pw=$(openssl rand -hex 12)
printf '%s\n' "$pw" | q user add root --role admin --plan enterprise > /dev/null 2>&1
FROM=1704067200000
TO=$((FROM + 19999 * 60000))
now() { date +%s.%N; }

# A first round warms the caches; the second is timed.
seq "$N" | xargs -P2 -I{} "$b/core/quantctl" -c "$t/quantd.json" backtest \
	--strategy ma-cross --data store:sim:BTC/USDT:1m --from $FROM --to $TO \
	--json > /dev/null 2>&1 || true
t1=$(now)
seq "$N" | xargs -P2 -I{} sh -c "'$b/core/quantctl' -c '$t/quantd.json' backtest \
	--strategy ma-cross --data store:sim:BTC/USDT:1m --from $FROM --to $TO \
	--json --trades '$t/x{}.csv' --report '$t/x{}.html' > '$t/x{}.json'"
t2=$(now)

"$b/core/quantd" -c "$t/quantd.json" > /dev/null 2>&1 &
pid=$!
i=0
while ! grep -q 'msg="ready: ' "$t/quantd.log" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$t/quantd.log" | tail -1)
jobs_s=$(python3 - "$port" "$pw" "$N" "$FROM" "$TO" <<'PY'
import json, sys, time, urllib.request
port, pw, n, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
base = "http://127.0.0.1:%s/api/v1" % port
def call(method, path, body=None, tok=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None, method=method)
    if tok:
        req.add_header("Authorization", "Bearer " + tok)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
tok = call("POST", "/auth/login", {"username": "root", "password": pw})["access_token"]
bt = {"strategy": "ma-cross", "data": {"exchange": "sim", "symbol": "BTC/USDT", "timeframe": "1m", "from": lo, "to": hi}}
t0 = time.time()
for _ in range(n):
    call("POST", "/backtests", bt, tok)
while True:
    jobs = call("GET", "/backtests", None, tok)["jobs"]
    if all(j["state"] in ("done", "failed") for j in jobs):
        break
    time.sleep(0.02)
t1 = time.time()
assert all(j["state"] == "done" for j in jobs), [j.get("error") for j in jobs]
print("%.3f" % (t1 - t0))
PY
)
awk -v n="$N" -v d="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" -v j="$jobs_s" 'BEGIN {
	printf "jobs: %d backtests of 20,000 bars, two at a time\n", n
	printf "  quantctl straight  %7.3f s  (%.1f ms a backtest)\n", d, d * 1000 / n
	printf "  as API jobs        %7.3f s  (%.1f ms a backtest)\n", j, j * 1000 / n
	printf "  ratio %.2fx, %.1f ms of overhead a job (process start, store rows, API, polling)\n", j / d, (j - d) * 1000 / n
}'
