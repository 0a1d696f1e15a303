#!/bin/sh
# Replays the alert-definition fuzz corpus (built without libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_alert_replay" "$QD_SRCDIR/tests/fuzz/corpus/alert"
