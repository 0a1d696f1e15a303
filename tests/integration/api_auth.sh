#!/bin/sh
# Signing in to the API: an admin made with quantctl, users by the API,
# tokens and their rotation, 2FA, API keys' signed requests, plan limits,
# throttling, the audit log, hostile tokens and SQL in every parameter,
# and WebSocket clients with their plans (tests/integration/api_auth.py).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
api_daemon 5 || { finish; exit 1; }
QD_API_RECORD="$T/record.jsonl" "$PY" "$QD_SRCDIR/tests/integration/api_auth.py" "$port" "$root_pw" > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every sign-in check passed" test "$rc" -eq 0
check "no secret reached the log" sh -c "! grep -q -e '$root_pw' -e '$QD_JWT' -e '$QD_MK' '$T/quantd.log' '$T/stderr'"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
