#!/bin/sh
# Replays the sandbox frame fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_frames_replay" "$QD_SRCDIR/tests/fuzz/corpus/frames"
