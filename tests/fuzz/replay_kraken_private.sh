#!/bin/sh
# Replays the Kraken private parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_kraken_private_replay" "$QD_SRCDIR/tests/fuzz/corpus/kraken_private"
