#!/bin/sh
# Replays the params-splicing fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_paramtext_replay" "$QD_SRCDIR/tests/fuzz/corpus/paramtext"
