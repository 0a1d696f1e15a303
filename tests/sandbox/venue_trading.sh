#!/bin/sh
# A real venue adapter trading from its sandbox child: the whole Bybit
# trading scenario (tests/integration/bybit_trading.sh -- signed orders,
# partial fills, refusals with the venue's codes, the private stream lost
# and reconciled with every fill once, a 429 and its pause, balances)
# with the bybit instance "trust": "sandboxed".  Its key is signed by the
# host: the child never holds the secret.
QD_VENUE_TRUST=sandboxed exec sh "$QD_SRCDIR/tests/integration/bybit_trading.sh"
