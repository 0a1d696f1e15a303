#!/bin/sh
# The bybit adapter in the daemon against tests/fakes/fake_bybit.py (see
# venue_daemon.sh for what is checked).
VENUE=bybit FAKE_PY=fake_bybit.py WS_PATH=/v5/public/spot
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
