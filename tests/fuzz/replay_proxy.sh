#!/bin/sh
# Replays the sandbox proxy fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_proxy_replay" "$QD_SRCDIR/tests/fuzz/corpus/proxy"
