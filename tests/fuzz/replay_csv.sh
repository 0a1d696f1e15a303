#!/bin/sh
# Replays the CSV fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_csv_replay" "$QD_SRCDIR/tests/fuzz/corpus/csv"
