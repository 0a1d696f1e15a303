#!/bin/sh
# Replays the instance-config fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_config_replay" "$QD_SRCDIR/tests/fuzz/corpus/config"
