#!/bin/sh
# Alerts through quantctl against a running daemon fed by replays of a
# recorded trade file and a recorded candle file: price, composite, RSI and
# close alerts fire exactly on the hand-checked crossings,
# are published (BUS_ALERT) and kept in their history, survive a restart
# with their state, and the CLI's mistakes and refusals name the field.
. "$QD_SRCDIR/tests/integration/lib.sh"
make_config
for f in ta exchange-replay; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
# One trade a second, Binance aggTrades rows.  Prices and what fires:
#   100 102 104 106  : 104 -> 106 crosses above 105 (alert 1, every)
#   104 100          : the band [100, 103] is entered (alert 3)
#    96              : 100 -> 96 crosses below 97 (alert 2, once)
#    98 106          : 98 -> 106 crosses above 105 again (alert 1)
#    95              : below 97 again, but alert 2 fired once already
#   101              : the band entered again (alert 3)
# The first trade (100, inside the band) fires nothing: no previous price.
i=0
for p in 100 102 104 106 104 100 96 98 106 95 101; do
	i=$((i + 1))
	echo "$i,$p.00,1.0,$i,$i,$((1704067200000 + i * 1000)),false,True"
done > "$T/trades.csv"
Q="$QUANTCTL -c $T/quantd.json"  # ctl inside sh -c
# Seven recorded 1m candles (closes 10 11 10 12 13 10 14): RSI(2) of the
# closes is 50 at bar 2, 83.3 at bar 3 (above 70: fires), 90, 26.5, then
# 74.5 at bar 6 (fires again); the close crosses above 11.5 at bars 3
# (10 -> 12) and 6 (10 -> 14).
{
	echo "ts,open,high,low,close,volume"
	i=0
	for c in 10 11 10 12 13 10 14; do
		echo "$((1704067200000 + i * 60000)),$c,$c,$c,$c,1"
		i=$((i + 1))
	done
} > "$T/candles.csv"
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }

# The CLI's refusals.
ctl alert add --exchange rt --symbol ETH/USDT >"$T/o" 2>"$T/e"
check "a missing condition is bad usage (2)" test $? -eq 2
ctl alert add --exchange rt --symbol ETH/USDT --above -5 >"$T/o" 2>"$T/e"
check "a negative level is refused naming condition.price" sh -c "grep -q 'condition.price' '$T/e'"
ctl alert add --exchange rt --symbol eth --above 5 >"$T/o" 2>"$T/e"
check "a bad symbol is refused naming symbol" sh -c "grep -q 'symbol: expected BASE/QUOTE' '$T/e'"
ctl alert add --exchange rt --symbol ETH/USDT --rsi-above 70 >"$T/o" 2>"$T/e"
check "an RSI alert without a timeframe names it" sh -c "grep -q 'condition.timeframe' '$T/e'"
ctl alert show 999 >"$T/o" 2>"$T/e"
check "an unknown alert is not found (1)" sh -c "[ $? -eq 1 ] && grep -q 'no such alert' '$T/e'"
ctl alert enable x >/dev/null 2>&1
check "a malformed id is bad usage" test $? -eq 2

# The alerts, created before the data starts.
check "alert 1: above 105, every time" ctl alert add --exchange rt --symbol ETH/USDT --above 105 --fire every --name breakout
check "alert 2: below 97, once" ctl alert add --exchange rt --symbol ETH/USDT --below 97
check "alert 3: and-composite, every time" ctl alert add --exchange rt --symbol ETH/USDT --fire every \
	--condition '{"type":"and","of":[{"type":"price_above","price":100},{"type":"price_below","price":103}]}'
check "alert 4: RSI(2) above 70 on 1m closes" ctl alert add --exchange rc --symbol BTC/USDT --fire every \
	--rsi-above 70 --period 2 --timeframe 1m
check "alert 5: close above 11.5 on 1m" ctl alert add --exchange rc --symbol BTC/USDT --fire every \
	--above 11.5 --timeframe 1m
check "alert 6: to be deleted" ctl alert add --exchange rt --symbol ETH/USDT --above 1 --user bob
check "alert 6 is bob's, not admin's" sh -c "$Q alert show 6 --user admin; [ \$? -eq 1 ]"
check "alert 6 deleted" ctl alert rm 6 --user bob

cat > "$T/quantd.d/rt.json" <<JSON
{"plugin": "replay", "instance": "rt", "symbols": ["ETH/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "ETH/USDT", "speed": 100}}
JSON
cat > "$T/quantd.d/rc.json" <<JSON
{"plugin": "replay", "instance": "rc", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/candles.csv", "symbol": "BTC/USDT", "speed": 3000}}
JSON
ctl reload >/dev/null
check "the trade file is replayed" wait_for 15 log_has 'tag=rt msg="replay of file:.*trades.csv finished: 11 rows"'
check "the candle file is replayed" wait_for 15 log_has 'tag=rc msg="replay of file:.*candles.csv finished: 7 rows"'
sleep 0.5
fired() { ctl --json alert show "$1" | sed -n 's/.*"fire_count":\([0-9]*\).*/\1/p'; }
check "alert 1 fired twice" test "$(fired 1)" = 2
check "alert 2 fired once" test "$(fired 2)" = 1
check "alert 3 fired twice" test "$(fired 3)" = 2
check "alert 4 (RSI) fired twice" test "$(fired 4)" = 2
check "alert 5 (close) fired twice" test "$(fired 5)" = 2
check "alert 4 fired at the close of bar 3 with RSI 83.33" log_has 'msg="alert 4 of admin fired: rc BTC/USDT: RSI(2) 83.33 above 70"'
check "alert 2 (once) is disabled" sh -c "$Q --json alert show 2 | grep -q '\"status\":\"disabled\"'"
check "the fires reached the bus and the log" log_has 'msg="alert 1 of admin fired: rt ETH/USDT: price 106 crossed above 105"'
ctl --json alert history >"$T/h"
check "history: nine events" sh -c "[ \$(grep -o '\"alert\":' '$T/h' | wc -l) -eq 9 ]"
check "history of alert 1 alone" sh -c "[ \$($Q --json alert history 1 | grep -o '\"alert\":1' | wc -l) -eq 2 ]"
check "alert 6 is gone" sh -c "! $Q --json alert list | grep -q '\"id\":6'"
check "set a cooldown and an expiry" ctl alert set 1 --cooldown 30 --expires +2h
ctl alert set 1 --fire sometimes >"$T/o" 2>"$T/e"
check "a bad fire mode is refused naming fire" sh -c "grep -q '^quantctl: fire:' '$T/e'"
check "disable alert 3" ctl alert disable 3

# A restart keeps every alert with its state.
stop_daemon
rm -f "$T/quantd.d/rt.json" "$T/quantd.d/rc.json"
start_fresh || { not_ok "daemon restarts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "five alerts after the restart" sh -c "[ \$($Q --json alert list | grep -o '\"id\":' | wc -l) -eq 5 ]"
check "alert 1 kept its count, cooldown and expiry" sh -c "$Q --json alert show 1 | grep '\"fire_count\":2' | grep '\"cooldown_s\":30' | grep -q '\"expires\":[0-9]'"
check "alert 2 stays disabled" sh -c "$Q --json alert show 2 | grep -q '\"enabled\":false'"
check "alert 3 stays disabled" sh -c "$Q --json alert show 3 | grep -q '\"status\":\"disabled\"'"
check "the history came back" sh -c "[ \$($Q --json alert history | grep -o '\"alert\":' | wc -l) -eq 9 ]"
check "the text forms show the alerts" sh -c "$Q alert show 1 | grep -q 'alert 1 (breakout) of admin' && $Q alert list | grep -q 'price_below'"
stop_daemon
finish
