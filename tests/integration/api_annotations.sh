#!/bin/sh
# What a running strategy annotates, through the API: a `chan` instance on
# a synthetic replay feed (a bar every 20 ms) keeps its fractals, strokes
# and points; GET /instances/{name}/annotations pages through them in
# order, the channel annotations.{name} sends a snapshot then each new
# one, and the refusals name what is wrong
# (tests/integration/api_annotations.py).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
chan_live 20
api_daemon 9 || { finish; exit 1; }
QD_API_RECORD="$T/record.jsonl" "$PY" "$QD_SRCDIR/tests/integration/api_annotations.py" "$port" "$root_pw" > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every annotation check passed" test "$rc" -eq 0
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
