#!/bin/sh
# The bybit adapter in the daemon against tests/fakes/fake_bybit.py (see
# venue_daemon.sh for what is checked), and its spot instrument list.
VENUE=bybit FAKE_PY=fake_bybit.py WS_PATH=/v5/public/spot
venue_checks() {
	check "the instrument list arrives" wait_for 10 \
		log_has 'tag=bybit msg="instrument list: 2 instruments"'
	check "no instrument list was refused" \
		sh -c "! grep -q 'instrument list refused' '$T/quantd.log'"
	q=$(curl -s "http://127.0.0.1:$HTTP/fake/instruments_log")
	case $q in
	*'category=spot'*) ok "instruments-info is asked for spot" ;;
	*)	not_ok "instruments-info is asked for spot" "$q" ;;
	esac
}
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
