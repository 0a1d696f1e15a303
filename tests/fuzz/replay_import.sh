#!/bin/sh
# Replays the data-import fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_import_replay" "$QD_SRCDIR/tests/fuzz/corpus/import"
