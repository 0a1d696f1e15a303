#!/bin/sh
# The okx adapter in the daemon against tests/fakes/fake_okx.py (see
# venue_daemon.sh for what is checked): trades on the public WebSocket,
# 1m candles on the business one.  Then what is OKX's own: the closed
# candles of the business WebSocket reach the host, both links send the
# text ping (the fake logs it and answers pong), and a service-upgrade
# notice moves both links to fresh connections with no loss and no trade
# twice (the final check of venue_daemon.sh); the SPOT instrument list is
# fetched from the fake at start and taken whole.
VENUE=okx FAKE_PY=fake_okx.py WS_PATH=/ws/v5/public
WS2_PARAM=ws_business_url WS2_PATH=/ws/v5/business WS_LINKS=2

klines() { ctl --json data stats | sed -n 's/.*"klines":\([0-9]*\).*/\1/p'; }

venue_checks() {
	check "the instrument list is taken" wait_for 10 log_has 'msg="instrument list: 2 instruments'
	check "and not refused" sh -c "! grep -q 'instrument list refused' '$T/quantd.log'"
	k0=$(klines)
	check "a closed 1m candle arrives on the business WebSocket" \
		wait_for 65 sh -c "[ \$(\"$QUANTCTL\" -c '$T/quantd.json' --json data stats | sed -n 's/.*\"klines\":\([0-9]*\).*/\1/p') -gt ${k0:-0} ]"
	check "the public link is pinged" wait_for 30 grep -q "ping on /ws/v5/public" "$T/fake.err"
	check "the business link is pinged" wait_for 30 grep -q "ping on /ws/v5/business" "$T/fake.err"
	check "no subscription was refused" sh -c "! grep -q 'request refused' '$T/quantd.log'"
	lost=$(grep -c 'msg="connection lost' "$T/quantd.log")
	n=$(grep -c 'switched to a fresh connection' "$T/quantd.log")
	before=$(stored BTC/USDT)
	curl -s -X POST "http://127.0.0.1:$HTTP/fake/notice" > /dev/null
	check "the upgrade notice is logged" wait_for 5 log_has 'msg="notice 64008'
	check "both links move to fresh connections" wait_for 10 sh -c "[ \$(grep -c 'switched to a fresh connection' '$T/quantd.log') -ge $((n + 2)) ]"
	sleep 3
	check "the venue's cut of the old ones loses no link" sh -c "[ \$(grep -c 'msg=\"connection lost' '$T/quantd.log') -eq $lost ]"
	check "trades flow on the fresh connection" wait_for 10 sh -c "[ \$(sqlite3 '$T/var/quantd.db' \"SELECT count(*) FROM trades WHERE symbol = 'BTC/USDT'\") -gt $((before + 20)) ]"
}

. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
