#!/bin/sh
# Replays the Binance parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_binance_replay" "$QD_SRCDIR/tests/fuzz/corpus/binance"
