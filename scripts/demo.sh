#!/bin/sh
# demo.sh -- quantd's main job on its built-in defaults: a backtest of
# generated sample data, then the daemon with the default plugin set (the
# replay feed and the demo strategy instance) until Ctrl-C.
set -eu
sample=${TMPDIR:-/tmp}/quantd-sample-btc-1m.csv
echo "== quantctl data synth --bars 100000 --seed 7 > $sample"
quantctl data synth --bars 100000 --timeframe 1m --seed 7 > "$sample"
echo "== quantctl backtest --strategy ma-cross --param fast=10 --param slow=40 --data $sample"
quantctl backtest --strategy ma-cross --param fast=10 --param slow=40 \
	--data "$sample"
echo "== quantd (built-in defaults; Ctrl-C stops it)"
exec quantd
