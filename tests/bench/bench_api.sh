#!/bin/sh
# bench_api.sh -- the API's cached GET (the newest 500 candles of a series,
# ~38 KB of JSON, authenticated with a bearer token; answered by the net
# thread from the answer cache after the first) under wrk, against
# nginx serving the same bytes as a static file in the same run; then the
# WebSocket fan-out: 1,000 clients on one trades channel.  Figures only.
# Run from the top build dir (make bench).
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
src=${QD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
D=${QD_BENCH_SECONDS:-5}
t=$(mktemp -d /tmp/qd-bench-api-XXXXXX)
[ -n "${KEEP:-}" ] && echo "kept $t"
pid=
ngx=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$ngx" ] && kill "$(cat "$t/nginx.pid" 2>/dev/null)" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$t"
}
trap cleanup EXIT
for tool in wrk nginx; do
	command -v $tool >/dev/null 2>&1 || [ -x /usr/sbin/$tool ] ||
		{ echo "bench_api: $tool is not installed (apt-get install wrk nginx-light)"; exit 0; }
done
mkdir -p "$t/plugins" "$t/quantd.d" "$t/var" "$t/www"
ln -s "$b/lib/plugins/exchange-replay.so" "$t/plugins/"
QD_JWT=$(openssl rand -hex 32)
export QD_JWT
cat > "$t/quantd.json" <<JSON
{"plugin_dirs": ["plugins"], "instances_dir": "quantd.d", "state_dir": "var",
 "listen": "127.0.0.1:0", "sandbox_helper": "$b/core/quantd-sandbox",
 "storage": {"url": "quantd.db"},
 "api": {"jwt_secret": "env:QD_JWT", "timeout_s": 30},
 "log": {"level": "info", "file": "quantd.log"}}
JSON
q() { "$b/core/quantctl" -c "$t/quantd.json" "$@"; }
q data synth --bars 5000 > "$t/bars.csv"
q data import "$t/bars.csv" --exchange bench --symbol BTC/USDT > /dev/null
# A plan whose requests per minute wrk cannot use up, for one user.
sqlite3 "$t/var/quantd.db" "INSERT INTO plans VALUES ('bench', -1, 'all', 0, 2000000000, 0);"
pw=$(openssl rand -hex 12)
printf '%s\n' "$pw" | q user add bench --role viewer --plan bench > /dev/null
"$b/core/quantd" -c "$t/quantd.json" > "$t/out" 2>&1 &
pid=$!
i=0
while ! grep -q 'msg="ready' "$t/quantd.log" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$t/quantd.log" | tail -1)
tok=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
	-d "{\"username\":\"bench\",\"password\":\"$pw\"}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
url="http://127.0.0.1:$port/api/v1/market/candles?exchange=bench&symbol=BTC/USDT&limit=500"
curl -s -H "Authorization: Bearer $tok" "$url" > "$t/www/candles.json"
n=$(python3 -c "import json; print(len(json.load(open('$t/www/candles.json'))['candles']))")
echo "api: GET the newest $n candles ($(wc -c < "$t/www/candles.json") bytes), bearer token, wrk 2 threads x 32 connections, ${D} s"

cat > "$t/nginx.conf" <<NGX
worker_processes 1;
pid $t/nginx.pid;
error_log $t/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:0;
    listen 127.0.0.1:18399;
    location / { root $t/www; default_type application/json; }
  }
}
NGX
sed -i '/listen 127.0.0.1:0;/d' "$t/nginx.conf"
/usr/sbin/nginx -c "$t/nginx.conf" -p "$t" 2>/dev/null && ngx=1

run() { wrk -t2 -c32 -d"${D}s" --latency "$@" 2>&1; }
figures() {
	rps=$(echo "$1" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
	p99=$(echo "$1" | sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p')
	non2xx=$(echo "$1" | sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')
	echo "$rps ${p99:-?} ${non2xx:-0}"
}
set -- $(figures "$(run -H "Authorization: Bearer $tok" "$url")")
q_rps=$1; q_p99=$2; q_bad=$3
net=$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^quantd_api_cached_answers_total{thread="net"} \([0-9]*\)$/\1/p')
echo "  quantd: $q_rps req/s, p99 $q_p99 (non-2xx: $q_bad; ${net:-0} answered by the net thread from the cache)"
if [ -n "$ngx" ]; then
	set -- $(figures "$(run "http://127.0.0.1:18399/candles.json")")
	echo "  nginx (1 worker, the same bytes as a static file): $1 req/s, p99 $2"
	awk -v a="$q_rps" -v b="$1" 'BEGIN { printf "  ratio quantd / nginx: %.2f\n", a / b }'
fi

# WebSocket fan-out: a replayed trade feed, 1,000 clients on trades.BTC-USDT.
python3 - "$t/trades.csv" <<'PY'
import random, sys
r = random.Random(3)
t0, p, rows = 1704067200000, 100.0, []
for i in range(200000):
    p = round(p * (1 + r.uniform(-5e-4, 5e-4)), 2)
    rows.append("%d,%.2f,%.4f,%d,%d,%d,%s,True" % (i + 1, p, r.uniform(0.001, 0.2), i + 1, i + 1, t0 + i * 50, "true" if r.random() < .5 else "false"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
cat > "$t/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$t/trades.csv", "symbol": "BTC/USDT", "speed": 1, "loop": true}}
JSON
kill "$pid"; wait "$pid" 2>/dev/null || true
"$b/core/quantd" -c "$t/quantd.json" > "$t/out" 2>&1 &
pid=$!
sleep 1.5
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$t/quantd.log" | tail -1)
tok=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
	-d "{\"username\":\"bench\",\"password\":\"$pw\"}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
[ -n "${QD_BENCH_NO_WS:-}" ] && exit 0
/usr/bin/python3 "$src/tests/bench/ws_fanout.py" "$port" "$tok" 1000 "$D"
