#!/bin/sh
# The binance adapter in the daemon against tests/fakes/fake_binance.py
# (see venue_daemon.sh for what is checked), and its instrument list: asked
# for the subscribed symbols only, both of them arriving.
VENUE=binance FAKE_PY=fake_binance.py WS_PATH=/ws
venue_checks() {
	check "the instrument list arrives" wait_for 10 \
		log_has 'tag=binance msg="instrument list: 2 instruments"'
	check "no instrument list was refused" \
		sh -c "! grep -q 'instrument list refused' '$T/quantd.log'"
	q=$(curl -s "http://127.0.0.1:$HTTP/fake/instruments_log")
	case $q in
	*'symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D'*)
		ok "exchangeInfo is asked for the subscribed symbols" ;;
	*)	not_ok "exchangeInfo is asked for the subscribed symbols" "$q" ;;
	esac
}
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
