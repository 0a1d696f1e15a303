#!/bin/sh
# Replays the Coinbase parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_coinbase_replay" "$QD_SRCDIR/tests/fuzz/corpus/coinbase"
