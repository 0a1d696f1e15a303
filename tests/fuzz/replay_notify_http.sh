#!/bin/sh
# Replays the notifiers' answer corpus through nh_answer (built without
# libFuzzer).
exec "$QD_BUILDDIR/tests/fuzz/fuzz_notify_http_replay" "$QD_SRCDIR/tests/fuzz/corpus/notify_http"
