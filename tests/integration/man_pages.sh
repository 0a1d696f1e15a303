#!/bin/sh
# The man pages render without a warning, and say what the programs do
# now (options and commands that exist).
. "$QD_SRCDIR/tests/integration/lib.sh"

for page in quantd.8 quantctl.1 quantd-sdk.3; do
	if groff -man -Tutf8 -ww -z "$QD_SRCDIR/man/$page" > "$T/w" 2>&1 && [ ! -s "$T/w" ]; then
		ok "$page renders without a warning"
	else
		not_ok "$page renders without a warning" "$(cat "$T/w")"
	fi
	groff -man -Tascii -P-cbou "$QD_SRCDIR/man/$page" > "$T/$page.txt" 2>/dev/null
done
check "quantd(8) documents --check-config" grep -q -- '--check-config' "$T/quantd.8.txt"
check "quantd(8) documents SIGHUP" grep -q 'SIGHUP' "$T/quantd.8.txt"
check "quantd(8) documents --emergency-close and SIGUSR1" sh -c "grep -q -- --emergency-close $T/quantd.8.txt && grep -q SIGUSR1 $T/quantd.8.txt"
check "quantctl(1) documents --log-level" grep -q -- '--log-level' "$T/quantctl.1.txt"
# Every command quantctl has help for is in its man page.
for cmd in backtest optimize montecarlo data indicator chan plugin config instance reload version orders accounts risk emergency-close user apikey secrets metrics alert; do
	check "quantctl(1) lists $cmd" grep -Eq "^ +$cmd( |$)" "$T/quantctl.1.txt"
done
# Every option of quantctl alert's help is in the man page.
for opt in $("$QUANTCTL" alert --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	check "quantctl(1) documents alert $opt" grep -q -- "$opt" "$T/quantctl.1.txt"
done
check "quantd-sdk(3) shows QD_MODULE" grep -q 'QD_MODULE' "$T/quantd-sdk.3.txt"
finish
