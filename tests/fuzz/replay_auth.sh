#!/bin/sh
# Replays the auth fuzz corpus (tokens, signed requests; built without
# libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_auth_replay" "$QD_SRCDIR/tests/fuzz/corpus/auth"
