#!/bin/sh
# Replays the Bybit private-message parser fuzz corpus (built without
# libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_bybit_private_replay" "$QD_SRCDIR/tests/fuzz/corpus/bybit_private"
