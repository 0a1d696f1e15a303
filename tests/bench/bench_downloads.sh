#!/bin/sh
# bench_downloads.sh -- a job's ~34 MB result downloaded through the API
# (curl, 1 and then 8 at once, each written to /dev/null) against reading
# the same file with cat: MB/s both ways (tests/integration/api_downloads.sh
# prints other requests' latency meanwhile).  The job is run by
# tests/fakes/fake_quantctl.sh (mode 8, a big result).  Figures only.
# Run from the top build dir.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
s=$(cd "${QD_SRCDIR:-$(dirname "$0")/../..}" && pwd)
R=${QD_BENCH_ROUNDS:-5}
. "$s/tests/bench/jobs_daemon.sh"
jobs_daemon_dir dl "{\"workers\": 1, \"quantctl\": \"$s/tests/fakes/fake_quantctl.sh\"}"
pw=$(openssl rand -hex 12)
printf '%s\n' "$pw" | q user add root --role admin --plan enterprise > /dev/null 2>&1
"$b/core/quantd" -c "$t/quantd.json" > /dev/null 2>&1 &
pid=$!
i=0
until grep -q 'msg="ready: ' "$t/quantd.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "the daemon did not start"; exit 1; }
	sleep 0.05
done
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$t/quantd.log" | tail -1)
api="http://127.0.0.1:$port/api/v1"
tok=$(curl -s -XPOST -d "{\"username\":\"root\",\"password\":\"$pw\"}" "$api/auth/login" |
	sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
curl -s -H "Authorization: Bearer $tok" -d '{"strategy":"ma-cross","params":{"fast":8},"data":{"exchange":"sim","symbol":"BTC/USDT","timeframe":"1m","from":1704067200000,"to":1704153600000}}' "$api/backtests" > /dev/null
i=0
until curl -s -H "Authorization: Bearer $tok" "$api/backtests/1" | grep -q '"state":"done"'; do
	i=$((i + 1)); [ $i -lt 600 ] || { echo "the job did not end"; exit 1; }
	sleep 0.1
done
f="$t/var/jobs/1/result.json"
size=$(wc -c < "$f")
now() { date +%s.%N; }
dl() { curl -s -o /dev/null -H "Authorization: Bearer $tok" "$api/backtests/1/result"; }
cat "$f" > /dev/null
t1=$(now); k=0; while [ $k -lt "$R" ]; do cat "$f" > /dev/null; k=$((k + 1)); done; t2=$(now)
dl
t3=$(now); k=0; while [ $k -lt "$R" ]; do dl; k=$((k + 1)); done; t4=$(now)
e=$(now)
for k in 1 2 3 4 5 6 7 8; do (dl; echo >> "$t/done") & done
while [ "$(cat "$t/done" 2>/dev/null | wc -l)" -lt 8 ]; do sleep 0.01; done
g=$(now)
awk -v sz="$size" -v r="$R" -v a="$t1" -v b="$t2" -v c="$t3" -v d="$t4" -v e="$e" -v g="$g" '
	BEGIN {
		mb = sz / 1e6
		printf "downloads: a job result of %.1f MB\n", mb
		printf "  cat of the file       %8.0f MB/s\n", r * mb / (b - a)
		printf "  through the API       %8.0f MB/s  (one at a time, curl)\n", r * mb / (d - c)
		printf "  8 at once             %8.0f MB/s  together (%.2f s)\n", 8 * mb / (g - e), g - e
	}'
