#!/bin/sh
# bench_store.sh -- store write and read throughput for 1 M candles, per
# backend, against the limit of the backend's own bulk tool on the same
# rows: `sqlite3 .import` of the CSV, and `psql \copy` in and out on a real
# PostgreSQL server started here (tests/fakes/pg.sh).  Runs alternate ours
# and the tool; each figure is the median of 3.  Run from the top build dir.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
src=${QD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${QD_BENCH_CANDLES:-1000000}
t=$(mktemp -d /tmp/qd-bench-store-XXXXXX)
. "$src/tests/fakes/pg.sh"
trap 'pg_stop; rm -rf "$t"' EXIT
now() { date +%s.%N; }
median() { sort -g | sed -n 2p; }
el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# ours: "wrote ... in W s ...; read ... in R s"
ours() {
	out=$("$b/tests/bench/bench_store" "$1" "$N" ${2:-})
	echo "$out" | sed -n 's/.*wrote [0-9]* candles in \([0-9.]*\) s.*read [0-9]* in \([0-9.]*\) s.*/\1 \2/p'
}

echo "store: $N candles of one series, one transaction, median of 3"
# SQLite
: > "$t/sq_w"; : > "$t/sq_r"; : > "$t/sq_tw"; : > "$t/sq_tr"
for r in 1 2 3; do
	rm -f "$t"/s.db*
	set -- $(ours "$t/s.db" "$t/rows.csv")
	echo "$1" >> "$t/sq_w"; echo "$2" >> "$t/sq_r"
	rm -f "$t"/c.db*
	"$b/core/quantctl" data list --db "$t/c.db" > /dev/null
	t0=$(now); sqlite3 "$t/c.db" ".mode csv" ".import $t/rows.csv candles"; t1=$(now)
	el "$t0" "$t1" >> "$t/sq_tw"
	t0=$(now); sqlite3 "$t/c.db" "SELECT * FROM candles WHERE exchange = 'binance' AND symbol = 'BTC/USDT' AND timeframe = '1m' ORDER BY open_time" > /dev/null; t1=$(now)
	el "$t0" "$t1" >> "$t/sq_tr"
done
report() {
	w=$(median < "$t/$1_w"); r=$(median < "$t/$1_r"); tw=$(median < "$t/$1_tw"); tr=$(median < "$t/$1_tr")
	awk -v n="$N" -v w="$w" -v r="$r" -v tw="$tw" -v tr="$tr" -v name="$2" -v tin="$3" -v tout="$4" 'BEGIN {
		printf "  %-10s write %7.0f k/s (%.2f s)   %s %7.0f k/s   speed vs tool %.2fx\n", name, n / w / 1e3, w, tin, n / tw / 1e3, tw / w
		printf "  %-10s read  %7.2f M/s (%.2f s)   %s %7.2f M/s   speed vs tool %.2fx\n", name, n / r / 1e6, r, tout, n / tr / 1e6, tr / r
	}'
}
report sq sqlite "sqlite3 .import   " "sqlite3 SELECT    "

# PostgreSQL
if pg_start "$t/pg" > /dev/null; then
	: > "$t/pg_w"; : > "$t/pg_r"; : > "$t/pg_tw"; : > "$t/pg_tr"
	for r in 1 2 3; do
		for db in ours$r tool$r; do
			pg_as "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U postgres "$db"
		done
		base="postgresql:///ours$r?host=$PG_DIR&port=$PG_PORT&user=postgres"
		tool="postgresql:///tool$r?host=$PG_DIR&port=$PG_PORT&user=postgres"
		set -- $(ours "$base")
		echo "$1" >> "$t/pg_w"; echo "$2" >> "$t/pg_r"
		"$b/core/quantctl" data list --db "$tool" > /dev/null
		psqlt() { pg_as "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "tool$r" -qAtX -c "$1"; }
		psqlt "SELECT qd_ensure_partitions('candles', 1577836800000, 1577836800000 + $N * 60000::bigint)" > /dev/null
		chmod a+r "$t/rows.csv"; chmod a+x "$t"
		t0=$(now); psqlt "\\copy candles FROM '$t/rows.csv' CSV"; t1=$(now)
		el "$t0" "$t1" >> "$t/pg_tw"
		t0=$(now); psqlt "\\copy (SELECT * FROM candles WHERE exchange = 'binance' AND symbol = 'BTC/USDT' AND timeframe = '1m' ORDER BY open_time) TO '/dev/null'"; t1=$(now)
		el "$t0" "$t1" >> "$t/pg_tr"
	done
	report pg postgresql "psql \\copy in      " "psql \\copy out     "
else
	echo "  postgresql: not installed, skipped"
fi
