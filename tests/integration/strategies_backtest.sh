#!/bin/sh
# Every strategy of strategies/ through the real CLI: `quantctl data synth`
# then `quantctl backtest --json` with its default parameters.  Each must
# trade, report sane numbers, and give byte-identical output twice.
# (Exact turning points: tests/unit/test_strategies.c and
# strategies_turning_points.sh.)
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
for f in ta ma-cross rsi bollinger trend grid chan; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done

ctl data synth --bars 20000 --seed 11 > "$T/a.csv"
ctl data synth --bars 20000 --seed 11 > "$T/b.csv"
check "data synth is deterministic" cmp "$T/a.csv" "$T/b.csv"

# field NAME FILE: the first numeric value of "NAME": in FILE
field() { grep -o "\"$1\":[-0-9.e+]*" "$2" | head -1 | cut -d: -f2; }

for s in ma-cross rsi bollinger trend grid chan; do
	if ! ctl backtest --strategy $s --data "$T/a.csv" --json > "$T/$s.1" 2> "$T/$s.err"; then
		not_ok "$s backtest runs" "$(cat "$T/$s.err")"
		continue
	fi
	ctl backtest --strategy $s --data "$T/a.csv" --json > "$T/$s.2" 2>> "$T/$s.err"
	check "$s: identical JSON on a second run" cmp "$T/$s.1" "$T/$s.2"
	n=$(field trades "$T/$s.1")
	eq=$(field final_equity "$T/$s.1")
	dd=$(field max_drawdown "$T/$s.1")
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then ok "$s trades ($n)"; else not_ok "$s trades" "trades=$n"; fi
	if awk -v e="$eq" -v d="$dd" 'BEGIN { exit !(e > 0 && e < 1e6 && d >= 0 && d <= 1) }'; then
		ok "$s: final equity $eq, max drawdown $dd"
	else
		not_ok "$s: sane equity and drawdown" "final_equity=$eq max_drawdown=$dd"
	fi
	# Within buying power: with its defaults no order is rejected for
	# want of cash or margin (an order that was would not have filled).
	if grep -q "order(s) rejected: beyond the account's buying power" "$T/$s.err"; then
		not_ok "$s: within buying power" "$(grep rejected "$T/$s.err" | head -2)"
	else
		ok "$s: within buying power"
	fi
	# every closed trade exits at or after its entry, at a positive price
	if grep -o '"entry_ts":[0-9]*,"entry_price":[-0-9.e+]*,"exit_ts":[0-9null]*,"exit_price":[-0-9.e+null]*' "$T/$s.1" |
	    awk -F'[:,]' '{ if ($4 <= 0 || ($6 != "null" && ($6 < $2 || $8 <= 0))) bad++ } END { exit bad > 0 || NR == 0 }'; then
		ok "$s: trades exit after they enter"
	else
		not_ok "$s: trades exit after they enter"
	fi
done

# Parameters reach the strategy: a different fast/slow gives other trades.
ctl backtest --strategy ma-cross --param fast=5 --param slow=50 --data "$T/a.csv" --json > "$T/mac2.json"
if cmp -s "$T/ma-cross.1" "$T/mac2.json"; then not_ok "ma-cross params change the result"; else ok "ma-cross params change the result"; fi
# An invalid combination is refused before any bar.
if ctl backtest --strategy ma-cross --param fast=30 --param slow=20 --data "$T/a.csv" --json > /dev/null 2> "$T/bad.err"; then
	not_ok "ma-cross refuses fast >= slow"
else
	check "ma-cross refuses fast >= slow, saying why" grep -q "fast (30) must be below slow (20)" "$T/bad.err"
fi
finish
