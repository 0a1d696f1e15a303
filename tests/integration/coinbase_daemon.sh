#!/bin/sh
# The coinbase adapter in the daemon against tests/fakes/fake_coinbase.py
# (see venue_daemon.sh for what is checked; BTC-USDT and ETH-USDT are
# products the venue lists).
VENUE=coinbase FAKE_PY=fake_coinbase.py WS_PATH=
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
