#!/bin/sh
# quantctl backtest and data synth: a hand-computed run (tp-bt buys 1 at
# the open after the first close >= 102 and sells at the open after the
# first close >= 104), 4h candles assembled from 1m bars without
# look-ahead, byte-identical JSON, bad data, synthetic data, ma-cross.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
for f in ta ma-cross rsi bollinger trend grid chan; do ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"; done
ln -s "$TP/tp-bt.so" "$T/plugins/"

# 480 one-minute bars from 2024-01-01 00:00 UTC: closes 100 (bars 0-9),
# 102 (10-19), 104 (20-479); each bar opens at the previous close.
awk 'BEGIN { print "ts,open,high,low,close,volume"; prev = 100;
	for (i = 0; i < 480; i++) { c = i < 10 ? 100 : i < 20 ? 102 : 104;
		o = prev; h = o > c ? o : c; l = o < c ? o : c;
		printf "%.0f,%g,%g,%g,%g,1\n", 1704067200000 + i * 60000, o, h, l, c;
		prev = c } }' > "$T/bars.csv"

ctl backtest --strategy tp-bt --data "$T/bars.csv" --fee-rate 0 --json > "$T/a.json" 2> "$T/a.err"
check "backtest runs" test -s "$T/a.json"
check "no bar was seen before its close" sh -c "! grep -q LOOKAHEAD '$T/a.err'"
# Buy at bar 11's open 102, sell at bar 21's open 104: pnl 2.
check "final equity 10002" grep -q '"final_equity":10002[,}]' "$T/a.json"
check "total return 0.0002" grep -q '"total_return":0.000199999999999' "$T/a.json"
check "one winning trade" grep -q '"trades":1,' "$T/a.json"
check "trade entry/exit at the fill bars" grep -q '"entry_ts":1704067860000,"entry_price":102,"exit_ts":1704068460000,"exit_price":104' "$T/a.json"
check "win rate 1" grep -q '"win_rate":1,' "$T/a.json"
# Exposed on bars 11..20: 10 of 480 samples.
check "exposure 10/480" grep -q '"exposure":0.020833333333333' "$T/a.json"
# 4h candles: bars 0-239 then 240-479, each delivered once closed.
check "first 4h candle O100 H104 L100 C104 V240" grep -q 'htf 1704067200000 100 104 100 104 240"' "$T/a.err"
check "second 4h candle" grep -q 'htf 1704081600000 104 104 104 104 240"' "$T/a.err"
check "exactly two 4h candles" sh -c "[ \$(grep -c 'htf ' '$T/a.err') -eq 2 ]"

# Outputs by choice: the JSON's equity curve is one sample a day by default
# (these 480 bars are one day: its last), every bar or one an hour when
# asked; --equity-out writes every sample; the metrics never change.
check "default equity: the day's last sample" grep -q '"equity":\[\[1704095940000,10002\]\]' "$T/a.json"
ctl backtest --strategy tp-bt --data "$T/bars.csv" --fee-rate 0 --json --equity-every bar --equity-out "$T/eq.csv" > "$T/e.json" 2>/dev/null
check "--equity-every bar lists 480 samples" sh -c "test \$(grep -o '\],\[' '$T/e.json' | wc -l) -eq 479"
check "--equity-out writes every sample" sh -c "test \$(wc -l < '$T/eq.csv') -eq 481 && head -1 '$T/eq.csv' | grep -qx 'ts,equity' && tail -1 '$T/eq.csv' | grep -qx '1704095940000,10002'"
ctl backtest --strategy tp-bt --data "$T/bars.csv" --fee-rate 0 --json --equity-every 1h > "$T/h.json" 2>/dev/null
check "--equity-every 1h: 8 samples, each the hour's last" sh -c "grep -o '\"equity\":.*' '$T/h.json' | grep -o '\[170[0-9]*,' | tr -d '[,' | tr '\n' ' ' | grep -qx '1704070740000 1704074340000 1704077940000 1704081540000 1704085140000 1704088740000 1704092340000 1704095940000 '"
sed 's/,"equity":.*//' "$T/a.json" > "$T/a.m"
for x in e h; do sed 's/,"equity":.*//' "$T/$x.json" > "$T/$x.m"; done
check "the metrics and trades do not depend on the equity output" sh -c "cmp -s '$T/a.m' '$T/e.m' && cmp -s '$T/a.m' '$T/h.m'"
ctl backtest --strategy tp-bt --data "$T/bars.csv" --equity-every 2x > /dev/null 2> "$T/err"
if [ $? -eq 2 ] && grep -q "bad option --equity-every 2x" "$T/err"; then ok "a bad --equity-every is refused"; else not_ok "a bad --equity-every is refused" "$(cat "$T/err")"; fi
# --equity-out past its write buffer (1 MiB; these 60,000 lines are
# 1.1 MB), with losses beyond the cash (a short through the price's jumps):
# each line is the JSON's sample, the same double; a failed write exits 1.
ctl data synth --bars 60000 --seed 1 --volatility 0.3 --price 1000 > "$T/v.csv"
ctl backtest --strategy ma-cross --param short=1 --param fraction=1 --data "$T/v.csv" --json --equity-every bar --equity-out "$T/v-eq.csv" > "$T/v.json" 2>/dev/null
sed 's/.*"equity":\[\[//; s/\]\].*//; s/\],\[/\n/g' "$T/v.json" > "$T/v-json.csv"
check "--equity-out: 60,000 lines, negative ones too, each the JSON's sample" awk -F, '
	NR == FNR { ts[NR] = $1; eq[NR] = $2; n = NR; next }
	FNR == 1 { if ($0 != "ts,equity") { bad = 1; exit } next }
	$1 != ts[FNR - 1] || $2 + 0 != eq[FNR - 1] + 0 { bad = 1; exit }
	$2 < 0 { neg++ }
	END { exit bad || !(n == 60000 && FNR == 60001 && neg > 0) }' "$T/v-json.csv" "$T/v-eq.csv"
if [ -w /dev/full ]; then
	ctl backtest --strategy ma-cross --data "$T/v.csv" --equity-out /dev/full > /dev/null 2> "$T/err"
	if [ $? -eq 1 ] && grep -q "/dev/full: No space left" "$T/err"; then ok "--equity-out: a failed write exits 1"; else not_ok "--equity-out: a failed write exits 1" "$(cat "$T/err")"; fi
fi

# Fees: 0.1% of 102 and of 104 -> pnl 1.794.
ctl backtest --strategy tp-bt --data "$T/bars.csv" --fee-rate 0.001 --json > "$T/f.json" 2>/dev/null
check "fees 0.206" grep -q '"fees":0.206,' "$T/f.json"
check "net pnl 1.794" grep -q '"pnl":1.794' "$T/f.json"

ctl backtest --strategy tp-bt --data "$T/bars.csv" --fee-rate 0 --json > "$T/b.json" 2>/dev/null
check "byte-identical JSON across runs" cmp "$T/a.json" "$T/b.json"

printf 'ts,open,high,low,close,volume\n2,1,1,1,1,1\n1,1,1,1,1,1\n' > "$T/bad.csv"
ctl backtest --strategy tp-bt --data "$T/bad.csv" > "$T/out" 2> "$T/err"
if [ $? -eq 2 ] && grep -q "bad.csv:3: ts is not after" "$T/err"; then ok "bad data exits 2 with FILE:LINE"; else not_ok "bad data exits 2" "$(cat "$T/err")"; fi

# Read as the run goes: a bad row deep in a file still exits 2 with its
# FILE:LINE, prints nothing and leaves no equity file.
ctl data synth --bars 20000 --seed 5 > "$T/long.csv"
sed '15000s/^\([0-9]*\),/\1,-/' "$T/long.csv" > "$T/longbad.csv"
ctl backtest --strategy ma-cross --data "$T/longbad.csv" --json --equity-out "$T/lb.csv" > "$T/out" 2> "$T/err"
if [ $? -eq 2 ] && grep -q "longbad.csv:15000: prices inconsistent" "$T/err" && [ ! -s "$T/out" ] && [ ! -e "$T/lb.csv" ]; then ok "bad data deep in a file exits 2 with FILE:LINE, no output"; else not_ok "bad data deep in a file" "$(cat "$T/err")"; fi

ctl data synth --bars 5000 --seed 3 > "$T/s1.csv"
ctl data synth --bars 5000 --seed 3 > "$T/s2.csv"
ctl data synth --bars 5000 --seed 4 > "$T/s3.csv"
check "synth is deterministic" cmp "$T/s1.csv" "$T/s2.csv"
check "another seed, other data" sh -c "! cmp -s '$T/s1.csv' '$T/s3.csv'"
check "synth passes the CSV checks" ctl indicator sma --param period=5 --input "$T/s1.csv"

ctl backtest --strategy ma-cross --param fast=5 --param slow=20 --data "$T/s1.csv" --json --trades "$T/t.csv" > "$T/m.json"
ctl backtest --strategy ma-cross --param fast=5 --param slow=20 --data "$T/s1.csv" > "$T/m.txt"
check "ma-cross trades on synthetic data" sh -c "grep -q '\"trades\":[1-9]' '$T/m.json'"
ctl backtest --strategy ma-cross --param fast=5 --param slow=20 --data "$T/s1.csv" --report "$T/r.html" > /dev/null
check "report written" grep -q '<svg' "$T/r.html"
check "report: 5000 bars, downsampled" grep -q 'BTC/USDT, 5000 bars (candles merged for display)' "$T/r.html"
check "report: the run's maximum drawdown, from every sample" sh -c "grep -q \"drawdown (max \$(sed -n 's/^max_drawdown *\([0-9.]*\) %\$/\1/p' '$T/m.txt' | awk '{ printf \"%.2f\", \$1 }')%)\" '$T/r.html'"
check "report is self-contained (no URL, no script)" sh -c "! grep -Eqi 'https?://|<script|<link' '$T/r.html'"
check "report lists the trades" grep -q '<h2>Trades</h2>' "$T/r.html"
check "trades CSV written" grep -q '^symbol,side,qty,entry_ts,entry_price,exit_ts,exit_price,fees,pnl$' "$T/t.csv"

# A backtest's time is simulated: 3 MiB of annotations on one bar (beyond
# the daemon's per-second caps for a sandboxed plugin) give the same bytes
# sandboxed; a sandboxed strategy that dies fails the run, saying why.
ctl backtest --strategy tp-bt --param annotate_kib=3072 --data "$T/bars.csv" --json > "$T/ann.in" 2>/dev/null
ctl backtest --strategy tp-bt --param annotate_kib=3072 --data "$T/bars.csv" --json --sandbox > "$T/ann.sb" 2>/dev/null
check "786 annotations of 4000 bytes listed" sh -c "test \$(grep -o '\"kind\":\"tp.burst\"' '$T/ann.in' | wc -l) -eq 786"
check "annotation burst: sandboxed equals in-process" cmp "$T/ann.in" "$T/ann.sb"
ctl backtest --strategy tp-bt --param crash_bar=5 --data "$T/bars.csv" --json --sandbox > "$T/crash.out" 2> "$T/crash.err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$T/crash.out" ] && grep -Eq 'strategy tp-bt was stopped in the sandbox: (killed by SIGSEGV|forbidden syscall)' "$T/crash.err"; then
	ok "a sandboxed strategy that crashes fails the backtest (exit 1, why)"
else
	not_ok "a sandboxed strategy that crashes fails the backtest" "rc=$rc $(cat "$T/crash.err")"
fi

# The other strategies trade the synthetic data, deterministically.  The
# strategy "rsi" shares its name with the indicator: names are per kind.
for s in rsi bollinger trend; do
	ctl backtest --strategy $s --data "$T/s1.csv" --json > "$T/$s.1" 2> "$T/$s.err"
	ctl backtest --strategy $s --data "$T/s1.csv" --json > "$T/$s.2" 2>> "$T/$s.err"
	check "$s trades on synthetic data" sh -c "grep -q '\"trades\":[1-9]' '$T/$s.1'"
	check "$s is deterministic" cmp "$T/$s.1" "$T/$s.2"
done
# The same strategies sandboxed: the same bytes (indicators run in the
# child, orders and the clock come from the backtester through frames).
for s in ma-cross trend grid chan; do
	ctl backtest --strategy $s --data "$T/s1.csv" --json > "$T/$s.in"
	ctl backtest --strategy $s --data "$T/s1.csv" --json --sandbox > "$T/$s.sb"
	check "$s sandboxed equals in-process, bit for bit" cmp "$T/$s.in" "$T/$s.sb"
done
# Sandboxed batches: an order on every bar (its fill goes with the next
# batch, ahead of the bar), on every 7th, and a limit order placed and
# cancelled every 3 bars: the same orders, ids, fills, positions (read and
# marked in the child) and times, annotated, as in-process.
ctl data synth --bars 3000 --seed 9 > "$T/s9.csv"
for a in "flip_every=1 2999 tp.order" "flip_every=7 428 tp.order" "cancel_every=3 1999 tp.rc"; do
	set -- $a
	ctl backtest --strategy tp-bt --param htf=false --param "$1" --data "$T/s9.csv" --json > "$T/tp.in" 2>/dev/null
	ctl backtest --strategy tp-bt --param htf=false --param "$1" --data "$T/s9.csv" --json --sandbox > "$T/tp.sb" 2> "$T/tp.err"
	check "tp-bt $1: $2 $3 annotated" sh -c "test \$(grep -o '\"kind\":\"$3\"' '$T/tp.in' | wc -l) -eq $2"
	check "tp-bt $1: sandboxed equals in-process" cmp "$T/tp.in" "$T/tp.sb"
done
check "a limit order placed and cancelled sandboxed: ids and answers" sh -c "grep -q '\"data\":{\"call\":\"cancel\",\"rc\":0,\"id\":999}' '$T/tp.sb'"
# Several symbols merged by time in one run: both trade, one equity sample
# per timestamp, the same sandboxed.
ctl backtest --strategy ma-cross --param sizing=qty --param qty=1 --data "$T/s1.csv" --data "$T/s3.csv" --symbol BTC/USDT --symbol ETH/USDT --json --equity-every bar > "$T/two.json"
check "two symbols: both trade" sh -c "grep -q '\"symbol\":\"BTC/USDT\"' '$T/two.json' && grep -q '\"symbol\":\"ETH/USDT\"' '$T/two.json'"
check "two symbols: one equity sample per timestamp" sh -c "test \$(grep -o '\],\[' '$T/two.json' | wc -l) -eq 4999"
ctl backtest --strategy ma-cross --param sizing=qty --param qty=1 --data "$T/s1.csv" --data "$T/s3.csv" --symbol BTC/USDT --symbol ETH/USDT --json --equity-every bar --sandbox > "$T/two.sb"
check "two symbols: sandboxed equals in-process" cmp "$T/two.json" "$T/two.sb"
ctl backtest --strategy chan --data "$T/s1.csv" --json > "$T/chan.json"
check "chan trades its buy/sell points" sh -c "grep -q '\"trades\":[1-9]' '$T/chan.json'"
ctl chan --data "$T/s1.csv" > "$T/chan-structs.json"
check "quantctl chan prints the structures" grep -q '"strokes":\[{"dir":' "$T/chan-structs.json"
check "quantctl chan finds pivots and points" sh -c "grep -q '\"pivots\":\[{' '$T/chan-structs.json' && grep -q '\"points\":\[{' '$T/chan-structs.json'"
# quantctl chan runs the chan plugin and prints what its annotations say:
# the bytes the analysis compiled into quantctl used to print, on these
# bars (sha256 of that output, default and --min-gap 3); the plugin's
# numbers survive the host's normalising of annotations to the last bit.
check "quantctl chan: the same bytes as the analysis it replaced" sh -c "sha256sum < '$T/chan-structs.json' | grep -q '^fe4f9664eafe0d062c4c7314c7232a67c27a06ac30fc35381b9de2690bc35855 '"
ctl chan --data "$T/s1.csv" --min-gap 3 > "$T/chan-g3.json"
check "quantctl chan --min-gap 3: the same bytes too" sh -c "sha256sum < '$T/chan-g3.json' | grep -q '^73929eb03c46863c871ea3151477dba1a2f01ee6c8c554feccc7b70ad46b5714 '"
ctl chan --data "$T/s1.csv" --min-gap 51 > /dev/null 2> "$T/chan-g51.err"
check "quantctl chan: --min-gap outside the plugin's range is refused" grep -q 'min_gap: 51 is out of range \[2, 50\]' "$T/chan-g51.err"
# Without the chan plugin loaded there is no analysis to run.
mkdir -p "$T/nochan"
sed 's|"plugin_dirs": \["plugins"\]|"plugin_dirs": ["nochan"]|' "$T/quantd.json" > "$T/nochan.json"
"$QUANTCTL" -c "$T/nochan.json" chan --data "$T/s1.csv" > /dev/null 2> "$T/nochan.err"
if [ $? -eq 2 ] && grep -q "no strategy named 'chan' is loaded" "$T/nochan.err"; then ok "quantctl chan needs the chan plugin"; else not_ok "quantctl chan needs the chan plugin" "$(cat "$T/nochan.err")"; fi
ctl plugin info indicator:rsi > "$T/ir.txt"
check "indicator:rsi picks the indicator" grep -q '^rsi 1.0.0 (indicator' "$T/ir.txt"
check "indicator:rsi shows only the indicator" sh -c "! grep -q '(strategy' '$T/ir.txt'"
ctl plugin info rsi > "$T/r.txt"
check "plugin info rsi shows the strategy and the indicator" sh -c "grep -q '^rsi 1.0.0 (strategy' '$T/r.txt' && grep -q '^rsi 1.0.0 (indicator' '$T/r.txt'"
ctl --json plugin info rsi > "$T/r.json"
check "and --json lists both" sh -c "grep -c '\"kind\":' '$T/r.json' | grep -qx 2"
# A module by path, out of tree, even one named like an installed plugin:
# described in a confined child.
mkdir -p "$T/mine"
cp "$QD_BUILDDIR/lib/plugins/sma-cross-example.so" "$T/mine/my-strategy.so"
ctl plugin info "$T/mine/my-strategy.so" > "$T/p.txt" 2>&1
check "plugin info PATH.so" grep -q "^sma-cross-example 1.0.0 (strategy, ABI $QD_ABI_RE)" "$T/p.txt"
check "plugin info PATH.so names the file" grep -q "file: *$T/mine/my-strategy.so" "$T/p.txt"
ctl plugin info "$T/mine/none.so" > "$T/p2.txt" 2>&1
check "plugin info of a missing file says so" grep -q "none.so: No such file or directory" "$T/p2.txt"

# grid on a market that swings 100 -> 99 -> 100 ten times: each swing
# fills the buys at 99.5 and 99 and their re-quoted sells at 100 and 99.5,
# +1.0 per swing with qty 1 and no fees: final equity 10010 exactly.
awk 'BEGIN { print "ts,open,high,low,close,volume"; t = 1704067200000;
	printf "%.0f,100,100,100,100,1\n", t;
	for (i = 0; i < 10; i++) {
		t += 60000; printf "%.0f,100,100,99,99,1\n", t;
		t += 60000; printf "%.0f,99,100,99,100,1\n", t } }' > "$T/swing.csv"
ctl backtest --strategy grid --param interval=0.5 --param levels=2 --param qty=1 --data "$T/swing.csv" --fee-rate 0 --json > "$T/g.json"
check "grid earns one step per level per swing" grep -q '"final_equity":10010[,}]' "$T/g.json"
# A tiny return is shown, not rounded to 0.0000 %.
ctl backtest --strategy grid --param interval=0.5 --param levels=2 --param qty=0.0001 --data "$T/swing.csv" --fee-rate 0 > "$T/g.txt"
check "a 1e-5 % return reads as one" grep -Eq '^total_return +1\.000e-05 %$' "$T/g.txt"

# optimize: the same ranking whatever the number of worker processes.
ctl optimize --strategy ma-cross --data "$T/s1.csv" --grid fast=5:15:5 --grid slow=20:40:10 --jobs 1 --json > "$T/o1.json"
ctl optimize --strategy ma-cross --data "$T/s1.csv" --grid fast=5:15:5 --grid slow=20:40:10 --jobs 2 --json > "$T/o2.json"
check "optimize covers the grid" grep -q '"points":9,' "$T/o1.json"
check "optimize results do not depend on --jobs" cmp "$T/o1.json" "$T/o2.json"
# A point the strategy refuses (fast >= slow) is listed as failed, with no
# metrics rather than zeros.
ctl optimize --strategy ma-cross --data "$T/s1.csv" --grid fast=10:30:10 --grid slow=20:20:1 --json --top 10 > "$T/of.json" 2> /dev/null
check "a refused point is ok:false with null metrics" grep -q '"params":"fast=30 slow=20","ok":false,"sharpe":null,"total_return":null,"max_drawdown":null,"calmar":null' "$T/of.json"
check "and the valid one is ranked" grep -Eq '"params":"fast=10 slow=20","ok":true,"sharpe":-?[0-9]' "$T/of.json"
ctl optimize --strategy ma-cross --data "$T/s1.csv" --grid fast=0:10:1 > "$T/out" 2> "$T/err"
if [ $? -eq 2 ] && grep -q "range 0..10 leaves the parameter's range \[1, 10000\]" "$T/err"; then ok "grid ranges checked against the specs"; else not_ok "grid ranges checked" "$(cat "$T/err")"; fi
ctl optimize --strategy ma-cross --data "$T/s1.csv" --grid fast=5:10:5 --grid slow=20:30:10 --walk-forward train=2000,test=1000 --json > "$T/wf.json"
check "walk-forward reports stitched out-of-sample metrics" grep -q '"out_of_sample":{"metrics":{"total_return":' "$T/wf.json"
check "walk-forward has 3 windows" sh -c "[ \$(grep -o test_from '$T/wf.json' | wc -l) -eq 3 ]"

# montecarlo: reproducible with a seed.
ctl montecarlo --from-backtest "$T/m.json" --runs 2000 --seed 9 --json > "$T/mc1.json"
ctl montecarlo --from-backtest "$T/m.json" --runs 2000 --seed 9 --json > "$T/mc2.json"
check "montecarlo percentiles" grep -q '"total_return":{"p5":' "$T/mc1.json"
check "montecarlo is reproducible with a seed" cmp "$T/mc1.json" "$T/mc2.json"
# --log-level: a backtested strategy's info lines, in-process and sandboxed.
ctl backtest --strategy ma-cross --data "$T/s1.csv" > /dev/null 2> "$T/ll0.err"
check "backtests log at warn by default" sh -c "! grep -q 'level=info tag=ma-cross' '$T/ll0.err'"
ctl --log-level info backtest --strategy ma-cross --data "$T/s1.csv" > /dev/null 2> "$T/ll1.err"
ctl --log-level info backtest --strategy ma-cross --data "$T/s1.csv" --sandbox > /dev/null 2> "$T/ll2.err"
check "--log-level info shows the strategy's info lines" grep -q 'level=info tag=ma-cross msg="BTC/USDT cross ' "$T/ll1.err"
sed 's/^ts=[^ ]* //' "$T/ll1.err" | grep 'tag=ma-cross' > "$T/ll1.txt"
sed 's/^ts=[^ ]* //' "$T/ll2.err" | grep 'tag=ma-cross' > "$T/ll2.txt"
check "the same lines from a sandboxed backtest" cmp "$T/ll1.txt" "$T/ll2.txt"
ctl --log-level loud version > /dev/null 2> "$T/ll3.err"
if [ $? -eq 2 ] && grep -q 'expected error, warn, info or debug' "$T/ll3.err"; then ok "a bad --log-level is refused"; else not_ok "a bad --log-level is refused" "$(cat "$T/ll3.err")"; fi
# Buying power: a qty the account cannot pay for is rejected (the strategy
# hears REJECTED with the reason), never filled.
ctl backtest --strategy ma-cross --param sizing=qty --param qty=1000000 --data "$T/s1.csv" --json > "$T/bp.json" 2> "$T/bp.err"
check "an order beyond buying power never fills" grep -q '"total_return":0,' "$T/bp.json"
check "no trades" grep -q '"trades":0,' "$T/bp.json"
check "the strategy is told why" grep -q 'rejected: insufficient funds: the buy costs' "$T/bp.err"
check "and the run counts them" grep -q "order(s) rejected: beyond the account's buying power" "$T/bp.err"
ctl backtest --strategy ma-cross --param sizing=qty --param qty=1000000 --data "$T/s1.csv" --json --sandbox > "$T/bp-sb.json" 2> /dev/null
check "the same sandboxed" cmp "$T/bp.json" "$T/bp-sb.json"
# Every command has its own help, on stdout, exit 0.
for cmd in backtest optimize montecarlo data chan indicator plugin config instance reload version; do
	if "$QUANTCTL" $cmd --help > "$T/help.txt" 2>&1 && grep -q "^usage: quantctl $cmd" "$T/help.txt"; then
		ok "quantctl $cmd --help"
	else
		not_ok "quantctl $cmd --help" "$(head -3 "$T/help.txt")"
	fi
done
"$QUANTCTL" help backtest > "$T/help.txt"
check "backtest help documents --strategy PATH.so" grep -q -- '--strategy NAME|PATH.so' "$T/help.txt"
check "and points at the installed backtest.md" grep -q 'share/doc/quantd/backtest.md' "$T/help.txt"
finish
