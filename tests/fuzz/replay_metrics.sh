#!/bin/sh
# Replays the metrics label-value fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_metrics_replay" "$QD_SRCDIR/tests/fuzz/corpus/metrics"
