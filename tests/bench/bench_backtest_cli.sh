#!/bin/sh
# bench_backtest_cli.sh -- `quantctl backtest` as a user runs it, whole
# process: ma-cross (sizing=qty) over generated one-minute CSV files, bars/s
# and peak RSS (/usr/bin/time -v), in-process and sandboxed, against the
# engine's own rate (bench_backtest's figure, the limit of the command: the
# command adds reading the CSV and writing the outputs).  Then many symbols
# merged by time in one run, at two sizes, to show the cost per bar stays
# flat.  The floor of a run: reading its CSV file (cat to /dev/null).  The
# machine is shared: each run is made RUNS times (default 3), the best
# shown with the range, and the CPU time (user + system, the process and
# its sandbox child) beside the wall time.  Run from the top build dir;
# BARS (default 10000000), SYMS (100) and SYM_BARS (1000000) size the runs.
# Figures only.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
BARS=${BARS:-10000000}
SYMS=${SYMS:-100}
SYM_BARS=${SYM_BARS:-1000000}
RUNS=${RUNS:-3}
t=$(mktemp -d /tmp/qd-bench-btcli-XXXXXX)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/plugins"
for f in ta ma-cross; do ln -s "$b/lib/plugins/$f.so" "$t/plugins/"; done
printf '{"plugin_dirs": ["plugins"], "instances_dir": "none", "state_dir": "var", "sandbox_helper": "%s/core/quantd-sandbox"}\n' "$b" > "$t/q.json"
q() { "$b/core/quantctl" -c "$t/q.json" "$@"; }
Q="$b/core/quantctl -c $t/q.json"

# Runs "$@" under /usr/bin/time RUNS times; prints "best_seconds
# max_rss_kib worst_seconds cpu_seconds" (the RSS and CPU of the best run).
measure() {
	: > "$t/runs"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		/usr/bin/time -v -o "$t/time" "$@" > "$t/out" 2> "$t/err" || {
			echo "bench_backtest_cli: $* failed: $(tail -3 "$t/err")" >&2
			return 1
		}
		awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":");
			s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
			/Maximum resident set size/ { r = $2 }
			/User time|System time/ { c += $2 }
			END { print s, r, c }' "$t/time" >> "$t/runs"
		i=$((i + 1))
	done
	sort -n "$t/runs" | awk '{ if (NR == 1) b = $0; w = $1 }
		END { split(b, f, " "); print f[1], f[2], w, f[3] }'
}

report() {   # label bars "best rss worst cpu" engine_rate floor_seconds
	echo "$3" | awk -v l="$1" -v n="$2" -v e="$4" -v fl="${5:-0}" '{
		r = n / $1
		printf "  %-37s %6.2f s (to %.2f, cpu %.2f s) %11.0f bars/s %7.1f MB peak RSS", l, $1, $3, $4, r, $2 / 1024
		if (e > 0) printf "  %.2fx the engine", r / e
		if (fl > 0) printf "  %.1fx the floor", $1 / fl
		printf "\n" }'
}

# ENGINE=bars/s skips running bench_backtest (the engine's figure).
engine=${ENGINE:-0}
if [ "$engine" = 0 ] && [ -x "$b/tests/bench/bench_backtest" ]; then
	engine=$("$b/tests/bench/bench_backtest" 2>/dev/null |
		awk '$1 == "backtest" && $3 == "bars/s" { print $2 }')
	engine=${engine:-0}
fi

q data synth --bars "$BARS" --seed 7 > "$t/d.csv"
echo "backtest CLI: ma-cross sizing=qty over $BARS one-minute bars ($(du -m "$t/d.csv" | cut -f1) MB of CSV), best of $RUNS runs"
echo "  engine (bench_backtest, in memory) $(awk -v e="$engine" 'BEGIN { printf "%.0f", e }') bars/s"
m=$(measure cat "$t/d.csv")
floor=${m%% *}
report "floor: cat the CSV to /dev/null" "$BARS" "$m" 0
set -- backtest --strategy ma-cross --param sizing=qty --data "$t/d.csv"
m=$(measure $Q "$@"); report "in-process, summary" "$BARS" "$m" "$engine" "$floor"
mj=$(measure $Q "$@" --json); cp "$t/out" "$t/a.json"
report "in-process, --json" "$BARS" "$mj" "$engine" "$floor"
if q backtest --help 2>&1 | grep -q -- --equity-out; then
	m=$(measure $Q "$@" --json --equity-out "$t/eq.csv")
	report "in-process, --equity-out (every bar)" "$BARS" "$m" "$engine" "$floor"
	# What the curve adds to --json, against its floor: cat writing the
	# same bytes to a file (read back from the page cache).
	e=$(measure sh -c 'cat "$1" > "$2"' sh "$t/eq.csv" "$t/eq2.csv")
	echo "$mj $m $e" | awk -v mb="$(du -m "$t/eq.csv" | cut -f1)" '{
		printf "  --equity-out adds %.2f s (cpu %.2f s) to --json for its %d MB; cat writes them in %.2f s (cpu %.2f s)\n",
			$5 - $1, $8 - $4, mb, $9, $12 }'
	rm -f "$t/eq.csv" "$t/eq2.csv"
	m=$(measure $Q "$@" --report "$t/r.html")
	report "in-process, --report" "$BARS" "$m" "$engine" "$floor"
fi
m=$(measure $Q "$@" --json --sandbox); cp "$t/out" "$t/b.json"
report "--sandbox, --json" "$BARS" "$m" "$engine" "$floor"
if cmp -s "$t/a.json" "$t/b.json"; then echo "  sandboxed JSON: identical"; else echo "  sandboxed JSON: DIFFERS"; fi
rm -f "$t/d.csv"

if q backtest --help 2>&1 | grep -q -- --equity-out; then
	for n in $((SYM_BARS / 10)) "$SYM_BARS"; do
		set -- backtest --strategy ma-cross --param sizing=qty
		i=0
		while [ "$i" -lt "$SYMS" ]; do
			f="$t/s$((i % 10))-$n.csv"
			[ -f "$f" ] || q data synth --bars "$n" --seed $((i % 10 + 1)) --price $((50 + i % 10 * 10)) > "$f"
			set -- "$@" --data "$f" --symbol "S$i/USDT"
			i=$((i + 1))
		done
		m=$(measure $Q "$@")
		report "$SYMS symbols x $n bars, merged" $((SYMS * n)) "$m" "$engine"
	done
fi
