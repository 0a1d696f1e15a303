#!/bin/sh
# Metrics: the daemon with a replay feed of trades, the SQLite store and a
# paper strategy that holds a position.  `quantctl metrics` prints the
# Prometheus text; promtool accepts it; its series move between two
# scrapes (feed messages, candles closed, bus events, store rows and commit
# latency, orders and fills); an emergency close shows in the orders by
# state and the risk counters.  promtool accepts the alert rules and their
# unit tests, and the Grafana dashboard is JSON whose queries name only
# metrics the daemon serves.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
RULES=$QD_SRCDIR/etc/prometheus/quantd-rules.yml
DASH=$QD_SRCDIR/etc/grafana/quantd.json

if ! command -v promtool >/dev/null 2>&1; then
	not_ok "promtool is installed" "scripts/setup.sh installs it (from Debian's prometheus package)"
	finish
	exit 1
fi

make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "trades": true, "flush_ms": 50},|' "$T/quantd.json"
"$PY" - "$T/BTC.csv" <<'PY'
import random, sys
r = random.Random(5)
p, t0 = 100.0, 1704067200000
rows = []
for i in range(20000):
    p = round(p * (1 + r.uniform(-2e-4, 2e-4)), 4)
    rows.append("%d,%.4f,%.4f,%d,%d,%d,false,True" % (i + 1, p, 5, i + 1, i + 1, t0 + i * 1000))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
cat > "$T/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/BTC.csv", "symbol": "BTC/USDT", "speed": 600, "loop": true}}
JSON
cat > "$T/quantd.d/hold.json" <<JSON
{"plugin": "tp-storm", "instance": "hold", "exchange": "feed",
 "account": {"balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "hold": true, "qty": 2}}
JSON
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }

# value FILE SERIES: the sample of SERIES (name{labels} exactly) in FILE.
value() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { exit !f }' "$1"; }
# grew SERIES: its value in scrape 2 is above scrape 1's.
grew() {
	a=$(value "$T/m1" "$1") && b=$(value "$T/m2" "$1") &&
		awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a) }'
}
# positive FILE SERIES: its value is above 0.
positive() { v=$(value "$1" "$2") && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; }
pos() { ctl --json accounts | "$PY" -c "import json,sys; a=[x for x in json.load(sys.stdin)['accounts'] if x['instance']=='hold'][0]; print('%g' % sum(p['qty'] for p in a['positions']))"; }
is() { [ "$($1)" = "$2" ]; }

check "hold holds 2" wait_for 10 is pos 2
check "a 1m candle is closed" wait_for 10 sh -c "'$QUANTCTL' -c '$T/quantd.json' metrics | grep -q '^quantd_candles_closed_total{timeframe=\"1m\"} [1-9]'"
check "a batch is committed" wait_for 10 sh -c "'$QUANTCTL' -c '$T/quantd.json' metrics | grep -q '^quantd_store_batches_total [1-9]'"
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
curl -s -o /dev/null "http://127.0.0.1:$port/healthz"
curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/nothing"
ctl metrics > "$T/m1"
check "quantctl metrics exits 0" test $? -eq 0
sleep 1.5
ctl metrics > "$T/m2"
if out=$(promtool check metrics < "$T/m2" 2>&1); then
	ok "promtool check metrics accepts the scrape"
else
	not_ok "promtool check metrics accepts the scrape" "$out"
fi
code=$(curl -s -o "$T/m3" -D "$T/m3.head" -w '%{http_code}' "http://127.0.0.1:$port/metrics")
check "GET /metrics is 200" test "$code" = 200
check "in the text exposition format 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' "$T/m3.head"
if out=$(promtool check metrics < "$T/m3" 2>&1); then
	ok "promtool check metrics accepts the HTTP scrape"
else
	not_ok "promtool check metrics accepts the HTTP scrape" "$out"
fi
check "the API counts its requests by route and status" grep -q '^quantd_api_requests_total{route="/healthz",method="GET",status="200"} [1-9]' "$T/m3"
check "unmatched paths under one label" grep -q '^quantd_api_requests_total{route="other",method="GET",status="404"} [1-9]' "$T/m3"
check "and their latency" grep -q '^quantd_api_request_duration_seconds_count{route="/healthz"} [1-9]' "$T/m3"
for s in 'quantd_feed_messages_total{exchange="feed",type="trade"}' \
    'quantd_candles_closed_total{timeframe="1m"}' \
    'quantd_bus_events_published_total{topic="trade"}' \
    'quantd_bus_events_published_total{topic="bar"}' \
    'quantd_candles_trades_total' \
    'quantd_store_rows_written_total' \
    'quantd_store_commit_duration_seconds_count' \
    'quantd_feed_last_message_timestamp_seconds{exchange="feed"}' \
    'quantd_process_cpu_seconds_total'; do
	check "$s moves between scrapes" grew "$s"
done
check "one order created, filled" sh -c "[ \"\$(awk '\$1 == \"quantd_orders_total{state=\\\"filled\\\"}\" { print \$2 }' '$T/m2')\" -ge 1 ]"
check "fills counted" positive "$T/m2" quantd_order_fills_total
check "the resting order is open" positive "$T/m2" 'quantd_orders_open{state="pending"}'
check "two instances running" sh -c "grep -qx 'quantd_plugin_instances{state=\"running\"} 2' '$T/m2'"
check "resident memory is read" positive "$T/m2" quantd_process_resident_memory_bytes
check "open fds are read" positive "$T/m2" quantd_process_open_fds
check "start time is now-ish" sh -c "awk -v now=\$(date +%s) '\$1 == \"quantd_process_start_time_seconds\" { exit !(\$2 > now - 600 && \$2 <= now) }' '$T/m2'"
check "the build's version" grep -q "^quantd_build_info{version=\"[0-9]" "$T/m2"
check "commit latency buckets end at +Inf" grep -q '^quantd_store_commit_duration_seconds_bucket{le="+Inf"} [1-9]' "$T/m2"
check "sandbox counters are there" grep -q '^quantd_sandbox_restarts_total 0$' "$T/m2"
check "net queue drops are there" grep -q '^quantd_net_queue_dropped_total 0$' "$T/m2"

ctl emergency-close > /dev/null
check "the position is closed" wait_for 10 is pos 0
ctl metrics > "$T/m3"
check "the canceled order is counted" positive "$T/m3" 'quantd_orders_total{state="canceled"}'
check "the emergency halt is a risk trip" positive "$T/m3" quantd_risk_trips_total
check "the halt shows" positive "$T/m3" 'quantd_risk_halted_scopes{scope="global"}'
check "journal commits are timed" positive "$T/m3" quantd_journal_commit_duration_seconds_count

ctl --json metrics > "$T/m.json"
check "--json: the text is in the reply" "$PY" -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["ok"] and o["text"].startswith("# HELP") and o["content_type"].startswith("text/plain; version=0.0.4")' "$T/m.json"
check "quantctl help metrics" sh -c "'$QUANTCTL' metrics --help | grep -q 'Prometheus text'"
stop_daemon
out=$(ctl metrics 2>&1)
check "without a daemon: exit 1 and a reason" sh -c "! '$QUANTCTL' -c '$T/quantd.json' metrics 2>/dev/null && echo '$out' | grep -q 'no daemon is running'"

# The alert rules, and their unit tests (tests/fixtures/quantd-rules.test.yml).
if out=$(promtool check rules "$RULES" 2>&1); then
	ok "promtool check rules accepts etc/prometheus/quantd-rules.yml"
else
	not_ok "promtool check rules accepts etc/prometheus/quantd-rules.yml" "$out"
fi
cp "$RULES" "$T/quantd-rules.yml"
cp "$QD_SRCDIR/tests/fixtures/quantd-rules.test.yml" "$T/"
if out=$(cd "$T" && promtool test rules quantd-rules.test.yml 2>&1); then
	ok "promtool test rules: every alert fires when it should"
else
	not_ok "promtool test rules: every alert fires when it should" "$out"
fi
# Every metric the rules and the dashboard query is one the daemon serves.
sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$T/m2" > "$T/names"
if out=$("$PY" -m json.tool "$DASH" 2>&1 >/dev/null); then
	ok "the Grafana dashboard is valid JSON"
else
	not_ok "the Grafana dashboard is valid JSON" "$out"
fi
missing=$("$PY" - "$DASH" "$RULES" "$T/names" <<'PY'
import json, re, sys
names = set(open(sys.argv[3]).read().split())
exprs = []
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "expr" and isinstance(v, str):
                exprs.append(v)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(open(sys.argv[1])))
exprs += re.findall(r"expr:\s*(.*(?:\n\s{10,}.*)*)", open(sys.argv[2]).read())
bad = set()
for e in exprs:
    for m in re.findall(r"\bquantd_[a-z0-9_]+", e):
        base = re.sub(r"_(bucket|sum|count)$", "", m)
        if m not in names and base not in names:
            bad.add(m)
print(" ".join(sorted(bad)))
PY
)
check "the dashboard and rules query only served metrics${missing:+ (unknown: $missing)}" test -z "$missing"
finish
