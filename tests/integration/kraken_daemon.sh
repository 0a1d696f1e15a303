#!/bin/sh
# The kraken adapter in the daemon against tests/fakes/fake_kraken.py (see
# venue_daemon.sh for what is checked).  Then what is Kraken's own: the
# instrument list (/0/public/AssetPairs) is read a second after the start,
# both of the fake's pairs counted, none refused.
VENUE=kraken FAKE_PY=fake_kraken.py WS_PATH=/v2

venue_checks() {
	check "the instrument list is read" \
		wait_for 10 log_has 'tag=kraken msg="instrument list: 2 instruments"'
	check "and not refused" sh -c "! grep -q 'msg=\"instrument list: [a-z]\|instrument list refused' '$T/quantd.log'"
}

. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
