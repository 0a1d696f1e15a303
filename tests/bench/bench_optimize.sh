#!/bin/sh
# bench_optimize.sh -- quantctl optimize: runs/s for a 100-point grid of
# ma-cross over 20,000 bars, with every worker process busy, and the bars/s
# each worker sustains: compare it with bench_backtest's in-process rate,
# the limit of one backtest (the optimizer adds forking, parameter binding,
# metrics and collecting results).  Run from the top build dir.
set -eu
b=${QD_BUILDDIR:-.}
t=$(mktemp -d /tmp/qd-bench-opt-XXXXXX)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/plugins"
for f in ta ma-cross; do ln -s "$(cd "$b" && pwd)/lib/plugins/$f.so" "$t/plugins/"; done
printf '{"plugin_dirs": ["plugins"], "instances_dir": "none", "state_dir": "var"}\n' > "$t/q.json"
q() { "$b/core/quantctl" -c "$t/q.json" "$@"; }
q data synth --bars 20000 --seed 5 > "$t/d.csv"
jobs=$(nproc)
now() { date +%s.%N; }
best=
for r in 1 2 3 4 5; do
	t0=$(now)
	q optimize --strategy ma-cross --data "$t/d.csv" --grid fast=5:50:5 \
		--grid slow=20:200:20 --jobs "$jobs" --json > "$t/o.json"
	t1=$(now)
	best=$(awk -v a="$t0" -v b="$t1" -v m="$best" 'BEGIN { d = b - a;
		print (m == "" || d < m) ? d : m }')
done
n=$(sed -n 's/.*"points":\([0-9]*\).*/\1/p' "$t/o.json")
awk -v s="$best" -v n="$n" -v j="$jobs" 'BEGIN {
	printf "optimize: %d-point grid (fast 5..50 x slow 20..200), ma-cross, 20000 bars, %d jobs, best of 5\n", n, j
	printf "  %.3f s = %.0f runs/s; per worker %.2f ms a run = %.1f M bars/s\n", s, n / s, s * j / n * 1000, 20000 * n / (s * j) / 1e6
}'
