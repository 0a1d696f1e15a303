#!/bin/sh
# The API's read routes and their channels: an account's ledger in pages,
# the risk log, positions (REST and the positions channel), data coverage,
# gaps, prune and vacuum, secrets (sealed, never echoed), the logs channel
# for admins only, and each route's errors (tests/integration/api_read.py).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
api_daemon 7 || { finish; exit 1; }
# the value PUT as a secret: it must appear nowhere but sealed in the store
QD_SECRET="s3cr3t-$(openssl rand -hex 12)"
export QD_SECRET
QD_API_RECORD="$T/record.jsonl" "$PY" "$QD_SRCDIR/tests/integration/api_read.py" "$port" "$root_pw" > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every read route check passed" test "$rc" -eq 0
ctl secrets list > "$T/secrets" 2>&1
check "quantctl lists the secret the API sealed" grep -q "exchange.binance.key .*key k1" "$T/secrets"
check "the secret's value (and the keys) is in no log, response or output" sh -c "! grep -q -e '$QD_SECRET' -e '$QD_MK' -e '$QD_JWT' '$T/quantd.log' '$T/stderr' '$T/stdout' '$T/record.jsonl' '$T/out' '$T/secrets'"
check "nor in the store in clear" sh -c "! find '$T' -name 'quantd.db*' -exec grep -q -a -e '$QD_SECRET' {} +"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
