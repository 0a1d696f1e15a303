#!/bin/sh
# Big job results through the API and the control socket: read off the
# core thread, so that 8 downloads of a ~30 MB result at once leave other
# requests answered (their latency printed), each download the file byte
# for byte (over the control socket: the JSON reply it always was, and the
# daemon's peak memory grows by less than half the file); then the daemon
# stopped with downloads in flight stops cleanly (jobs run
# tests/fakes/fake_quantctl.sh; tests/integration/api_downloads.py does
# the API part).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
for f in ta ma-cross; do ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"; done
QD_JWT=$(openssl rand -hex 32)
export QD_JWT
sed -i "s|\"listen\": \"127.0.0.1:0\",|\"listen\": \"127.0.0.1:0\", \"storage\": {\"url\": \"quantd.db\", \"flush_ms\": 20}, \"api\": {\"jwt_secret\": \"env:QD_JWT\"}, \"jobs\": {\"workers\": 1, \"quantctl\": \"$QD_SRCDIR/tests/fakes/fake_quantctl.sh\"},|" "$T/quantd.json"
pw_alice=$(openssl rand -hex 12)
printf '%s\n' "$pw_alice" | ctl user add alice --role trader --plan enterprise > /dev/null 2>&1
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
export QD_PORT=$port QD_PW_ALICE=$pw_alice QD_STATE="$T/var" QD_PID
"$PY" "$QD_SRCDIR/tests/integration/api_downloads.py" run > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every download check passed" test "$rc" -eq 0

# Stopped with 8 downloads and 8 control-socket job.result asked for and
# unread: a clean exit (under ASan: no leak, no use after free).
"$PY" "$QD_SRCDIR/tests/integration/api_downloads.py" inflight > "$T/out" 2>&1 &
py=$!
wait_for 10 grep -q "in flight" "$T/out"
check "the daemon stops cleanly with downloads in flight" stop_daemon
wait "$py"
check "nothing was reported on its standard error" sh -c "! grep -Eq 'Sanitizer|runtime error' '$T/stderr'"
finish
