#!/bin/sh
# Replays the fixed-point text fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_fixed_replay" "$QD_SRCDIR/tests/fuzz/corpus/fixed"
