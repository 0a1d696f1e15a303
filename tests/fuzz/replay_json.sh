#!/bin/sh
# Replays the JSON fuzz corpus through the parser (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_json_replay" "$QD_SRCDIR/tests/fuzz/corpus/json"
