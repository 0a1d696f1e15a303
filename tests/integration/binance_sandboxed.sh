#!/bin/sh
# The binance adapter sandboxed: the same checks as binance_daemon.sh, with
# every WebSocket and HTTP event passing through the sandbox's frames and
# the adapter's network calls through the host (venue_daemon.sh).
VENUE=binance FAKE_PY=fake_binance.py WS_PATH=/ws TRUST=sandboxed
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"
