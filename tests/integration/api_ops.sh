#!/bin/sh
# quantctl's remaining actions through the API, and the retention of
# finished jobs (tests/integration/api_ops.py does the API part):
#   - data import: a CSV body stored as quantctl data import stores it,
#     its errors with the line, the body cap;
#   - notify send: queued in the outbox and delivered to a local webhook
#     (tests/fakes/fake_notify.py), each refusal queuing nothing;
#   - the Chan analysis as a job, sandboxed, byte for byte quantctl chan;
#   - secrets rotate: with the old key missing (409, nothing changed), with
#     the old and the new (every value re-sealed under the new), and the
#     daemon with the new key only still opens them; no value anywhere;
#   - retention: finished jobs beyond jobs.retention_max and past
#     jobs.retention_s deleted, their rows and their files.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
FAKE_PID=
trap 'kill $FAKE_PID 2>/dev/null; cleanup' EXIT
HOOK_SECRET=hook-$(openssl rand -hex 12)
export HOOK_SECRET
"$PY" "$QD_SRCDIR/tests/fakes/fake_notify.py" "$T/port" "$HOOK_SECRET" 1:none & FAKE_PID=$!
wait_for 10 test -s "$T/port" || not_ok "the fake webhook receiver starts"
QD_HOOK=http://127.0.0.1:$(cat "$T/port")

make_config
QD_RETENTION_S=15
QD_BODY_MAX=200000
sed -i 's|"state_dir": "var",|"state_dir": "var", "jobs": {"workers": 1, "timeout_s": 120, "retention_s": '$QD_RETENTION_S', "retention_max": 3},|' "$T/quantd.json"
# the chan plugin untrusted: its jobs run sandboxed
mkdir -p "$T/untrusted"
cp "$QD_BUILDDIR/lib/plugins/chan.so" "$T/untrusted/"
sed -i 's|"plugin_dirs": \["plugins"\],|"plugin_dirs": ["plugins"], "sandbox_plugin_dirs": ["untrusted"],|' "$T/quantd.json"
ln -s "$QD_BUILDDIR/lib/plugins/notify-webhook.so" "$T/plugins/"
cat > "$T/quantd.d/hook.json" <<JSON
{"plugin": "notify-webhook", "instance": "hook", "params": {"url": "$QD_HOOK/hook"},
 "secrets": {"signing_secret": "env:HOOK_SECRET"}, "route": {"events": ["ops.*"]}}
JSON
# 2,000 one-minute candles from 2024-01-01 (about 120 KB: under the cap)
ctl data synth --bars 2000 --timeframe 1m --seed 7 > "$T/bars.csv"
QD_SECRET="s3cr3t-$(openssl rand -hex 12)"
QD_MK2=$(openssl rand -hex 32)
export QD_SECRET QD_MK2 QD_HOOK QD_RETENTION_S QD_BODY_MAX QD_T="$T" QUANTCTL
export QD_FROM=1704067200000 QD_TO=1704150000000
api_daemon 7 '"body_max": '$QD_BODY_MAX || { finish; exit 1; }
export QD_PW_ROOT="$root_pw" QD_API_RECORD="$T/record.jsonl"

# phase PHASE DESCRIPTION: api_ops.py PHASE against the running daemon
phase() {
	QD_PORT=$port "$PY" "$QD_SRCDIR/tests/integration/api_ops.py" "$1" > "$T/out" 2>&1
	prc=$?
	sed 's/^/  /' "$T/out"
	check "$2" test "$prc" -eq 0
}

# restart KEYS: the daemon again with api.master_keys KEYS
restart() {
	stop_daemon
	sed -i 's|"master_keys": "[^"]*"|"master_keys": "'"$1"'"|' "$T/quantd.json"
	QUANTD_MASTER_KEYS=$1
	start_fresh || not_ok "the daemon starts with master keys $1"
	port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
}

phase main "data import, notify send, the Chan analysis and secrets through the API"
restart "k2=env:QD_MK2"
phase rotate-missing "rotating without the old key changes nothing"
restart "k1=env:QD_MK,k2=env:QD_MK2"
phase rotate "rotating with the old and the new key re-seals everything under the new"
restart "k2=env:QD_MK2"
phase after-rotate "the new key alone opens what was re-sealed"
ctl secrets list > "$T/secrets" 2>&1
check "quantctl lists the secret under k2" grep -q "exchange.ops.key .*key k2" "$T/secrets"
phase retention "finished jobs are deleted past jobs.retention_max and jobs.retention_s"
check "the daemon says so" log_has 'past retention deleted'
check "the daemon stops cleanly" stop_daemon
left=$("$PY" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM jobs').fetchone()[0])" "$T/var/quantd.db")
check "no deleted job is left in the store ($left rows)" test "$left" -eq 0
check "the secret's value (and the keys) is in no log, answer or output" sh -c "! grep -q -e '$QD_SECRET' -e '$QD_MK' -e '$QD_MK2' -e '$QD_JWT' '$T/quantd.log' '$T/stderr' '$T/stdout' '$T/record.jsonl' '$T/out' '$T/secrets'"
check "nor in the store in clear" sh -c "! find '$T' -name 'quantd.db*' -exec grep -q -a -e '$QD_SECRET' {} +"
openapi_check "$T/record.jsonl"
finish
