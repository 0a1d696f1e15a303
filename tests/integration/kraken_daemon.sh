#!/bin/sh
# The kraken adapter in the daemon against tests/fakes/fake_kraken.py (see
# venue_daemon.sh for what is checked).
VENUE=kraken FAKE_PY=fake_kraken.py WS_PATH=/v2
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
