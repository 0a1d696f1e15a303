#!/bin/sh
# quantctl indicator: golden outputs (checked by hand: sma(3) on bar 2 =
# (100 + 101.5 + 102.25) / 3 = 101.25; bbands(4) on bar 3: mean 101.1875,
# population sd 0.817290..., upper 102.822087...), stdin/stdout and
# --output, the exchanges' kline format, and bad input: exit 2, FILE:LINE,
# nothing on stdout.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
ln -s "$QD_BUILDDIR/plugins/ta/.libs/ta.so" "$T/plugins/"
F=$QD_SRCDIR/tests/fixtures

ctl indicator sma --param period=3 --input "$F/ohlcv-small.csv" > "$T/sma.csv"
check "sma(3) matches the golden file" cmp "$T/sma.csv" "$F/ohlcv-small.sma3.csv"
ctl indicator bbands --param period=4 --input - --output "$T/bb.csv" < "$F/ohlcv-small.csv"
check "bbands(4) from stdin to --output matches" cmp "$T/bb.csv" "$F/ohlcv-small.bbands4.csv"

# The same bars as a Binance kline file (no header, 12 columns, ms).
tail -n +2 "$F/ohlcv-small.csv" | awk -F, '{print $1","$2","$3","$4","$5","$6","$1+59999",0,1,0,0,0"}' > "$T/binance.csv"
ctl indicator sma --param period=3 --input "$T/binance.csv" > "$T/sma-b.csv"
check "kline CSV gives the same output" cmp "$T/sma-b.csv" "$F/ohlcv-small.sma3.csv"

bad() {
	# bad NAME FILE-CONTENT EXPECTED-MESSAGE
	printf '%b' "$2" > "$T/bad.csv"
	ctl indicator sma --param period=2 --input "$T/bad.csv" > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$T/out" ] && grep -qF "$T/bad.csv:$3" "$T/err"; then
		ok "$1"
	else
		not_ok "$1" "rc=$rc out=$(cat "$T/out") err=$(cat "$T/err")"
	fi
}
bad "missing column" 'ts,open,high,low,close\n1,1,1,1,1\n' "1: header lacks column 'volume'"
bad "non-number" 'ts,open,high,low,close,volume\n1,1,1,1,1,1\n2,1,1,1,abc,1\n' '3: close "abc" is not a finite number'
bad "non-increasing ts" 'ts,open,high,low,close,volume\n5,1,1,1,1,1\n6,1,1,1,1,1\n6,1,1,1,1,1\n' "4: ts is not after the previous row's"
bad "inconsistent prices" 'ts,open,high,low,close,volume\n1,5,4,3,4,1\n' "2: prices inconsistent"
bad "short row" 'ts,open,high,low,close,volume\n1,1,1,1,1\n' "2: 5 columns, expected 6"

ctl indicator sma --param period=0 --input "$F/ohlcv-small.csv" > "$T/out" 2> "$T/err"
if [ $? -eq 2 ] && grep -q "param period: 0 is out of range" "$T/err"; then ok "bad param exits 2"; else not_ok "bad param exits 2" "$(cat "$T/err")"; fi
ctl indicator nosuch --input "$F/ohlcv-small.csv" > "$T/out" 2> "$T/err"
if [ $? -eq 2 ] && grep -q "no indicator named 'nosuch'" "$T/err"; then ok "unknown indicator exits 2"; else not_ok "unknown indicator exits 2"; fi
ctl indicator --list > "$T/list"
check "--list names every indicator" sh -c "[ \$(wc -l < '$T/list') -eq 23 ]"
finish
