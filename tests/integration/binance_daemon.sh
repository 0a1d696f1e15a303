#!/bin/sh
# The binance adapter in the daemon against tests/fakes/fake_binance.py
# (see venue_daemon.sh for what is checked).
VENUE=binance FAKE_PY=fake_binance.py WS_PATH=/ws
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
