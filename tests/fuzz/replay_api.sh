#!/bin/sh
# Replays the API fuzz corpus through the request parser and router (built
# without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_api_replay" "$QD_SRCDIR/tests/fuzz/corpus/api"
