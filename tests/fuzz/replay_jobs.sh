#!/bin/sh
# Replays the job submission fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_jobs_replay" "$QD_SRCDIR/tests/fuzz/corpus/jobs"
