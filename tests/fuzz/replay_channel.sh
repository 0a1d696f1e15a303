#!/bin/sh
# Replays the users' channel settings fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_channel_replay" "$QD_SRCDIR/tests/fuzz/corpus/channel"
