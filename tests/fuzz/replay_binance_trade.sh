#!/bin/sh
# Replays the Binance private-message parser fuzz corpus (built without
# libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_binance_trade_replay" "$QD_SRCDIR/tests/fuzz/corpus/binance_trade"
