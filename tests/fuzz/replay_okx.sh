#!/bin/sh
# Replays the OKX parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_okx_replay" "$QD_SRCDIR/tests/fuzz/corpus/okx"
