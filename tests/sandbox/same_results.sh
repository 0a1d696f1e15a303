#!/bin/sh
# The same strategy, fed the same bars, in-process and sandboxed: the same
# sequence of decisions (its log lines), line for line.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
for f in ta exchange-replay sma-cross-example; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
echo '{"plugin": "replay", "instance": "feed", "params": {"interval_ms": 15, "bars": 150}}' > "$T/quantd.d/feed.json"
for t in trusted sandboxed; do
	echo "{\"plugin\": \"sma-cross-example\", \"instance\": \"$t\", \"trust\": \"$t\", \"exchange\": \"feed\", \"symbols\": [\"BTC/USDT\"], \"limits\": {\"orders_per_sec\": 100000}, \"params\": {\"fast\": 3, \"slow\": 8}}" > "$T/quantd.d/$t.json"
done
start_daemon || { not_ok "daemon starts" "$(cat "$T/stderr")"; finish; exit 1; }
sleep 4
stop_daemon
sed -n 's/.* tag=trusted msg="\(.* \(golden\|death\) cross.*\)"$/\1/p' "$T/quantd.log" > "$T/a"
sed -n 's/.* tag=sandboxed msg="\(.* \(golden\|death\) cross.*\)"$/\1/p' "$T/quantd.log" > "$T/b"
check "the strategy made decisions" test "$(wc -l < "$T/a")" -gt 10
if cmp -s "$T/a" "$T/b"; then ok "sandboxed decisions equal in-process ($(wc -l < "$T/a") lines)"; else not_ok "sandboxed equals in-process" "$(diff "$T/a" "$T/b" | head -5)"; fi
finish
