#!/bin/sh
# Replays the Kraken parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_kraken_replay" "$QD_SRCDIR/tests/fuzz/corpus/kraken"
