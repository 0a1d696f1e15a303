#!/bin/sh
# Replays the Coinbase private-parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_coinbase_trade_replay" "$QD_SRCDIR/tests/fuzz/corpus/coinbase_trade"
