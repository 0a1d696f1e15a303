#!/bin/sh
# Replays the OKX trading parser fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_okx_trade_replay" "$QD_SRCDIR/tests/fuzz/corpus/okx_trade"
