#!/bin/sh
# Replays the Bybit parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_bybit_replay" "$QD_SRCDIR/tests/fuzz/corpus/bybit"
