#!/bin/sh
# Users' own notification channels end to end (tests/integration/
# notify_user.py): users set their channels through the API, their alerts
# reach their own endpoints signed with their own secrets, a pro user is
# refused an enterprise channel, a downgrade skips with the reason; then
# quantctl notify channel, and no secret in the log.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
FAKE_PID=
trap 'kill $FAKE_PID 2>/dev/null; cleanup' EXIT
ALICE_SECRET=$(openssl rand -hex 20)
BOB_SECRET=$(openssl rand -hex 20)
OPS_SECRET=$(openssl rand -hex 20)
export OPS_SECRET   # the daemon reads the operator's reference from its environment
TG_TOKEN=424242:AAusertelegramtoken

"$PY" "$QD_SRCDIR/tests/fakes/fake_notify.py" "$T/port" unused-secret \
	"$TG_TOKEN" "alice=$ALICE_SECRET" "bob=$BOB_SECRET" \
	"ops=$OPS_SECRET" & FAKE_PID=$!
wait_for 10 test -s "$T/port" || not_ok "the fake receivers start"
BASE=http://127.0.0.1:$(cat "$T/port")

make_config
# The receivers are on loopback: the operator allows users' URLs there.
sed -i 's|"state_dir": "var",|"state_dir": "var", "notify": {"user_urls": {"allow_private": true}},|' "$T/quantd.json"
for p in webhook telegram; do
	ln -s "$QD_BUILDDIR/lib/plugins/notify-$p.so" "$T/plugins/"
done
# Instances that carry users' channels only: no url or chat of their own,
# and a route no operator event takes.
cat > "$T/quantd.d/uhook.json" <<JSON
{"plugin": "notify-webhook", "instance": "uhook",
 "route": {"events": ["operators.none"], "user_channels": true, "inflight": 8}}
JSON
cat > "$T/quantd.d/utg.json" <<JSON
{"plugin": "notify-telegram", "instance": "utg",
 "params": {"base_url": "$BASE"},
 "route": {"events": ["operators.none"], "user_channels": true}}
JSON
api_daemon 11 || { finish; exit 1; }
QD_API_RECORD="$T/record.jsonl" "$PY" "$QD_SRCDIR/tests/integration/notify_user.py" \
	"$port" "$root_pw" "$BASE" "$ALICE_SECRET" "$BOB_SECRET" "$TG_TOKEN" > "$T/out" 2>&1
rc=$?
sed 's/^/  /' "$T/out"
check "every users' channel check passed" test "$rc" -eq 0

# quantctl: the operator may keep a secret as a reference.
check "quantctl notify channel set (a reference)" ctl notify channel set webhook --user root --url "$BASE/hook/ops" --secret-ref env:OPS_SECRET
check "quantctl notify channel list shows it by reference" sh -c "'$QUANTCTL' -c '$T/quantd.json' notify channel list --user root | grep -q 'webhook .*secret set (env)'"
check "quantctl notify channel test" ctl notify channel test webhook --user root
wait_for 20 sh -c "curl -s '$BASE/_stats' | grep -q '\"hook/ops\": {\"keys\": {\"n:'"
check "the test reached the operator's endpoint, signed with the referenced secret" sh -c "curl -s '$BASE/_stats' | $PY -c 'import json,sys; s=json.load(sys.stdin)[\"hook/ops\"]; sys.exit(0 if len(s[\"keys\"]) == 1 and s[\"bad_signature\"] == 0 else 1)'"
printf '%s\n' "$(openssl rand -hex 20)" | ctl notify channel set webhook --user root --url "$BASE/hook/ops" --secret-stdin > /dev/null
check "quantctl --secret-stdin seals it" sh -c "'$QUANTCTL' -c '$T/quantd.json' notify channel list --user root | grep -q 'secret set (store)'"
check "quantctl notify channel rm" ctl notify channel rm webhook --user root
ctl notify channel rm webhook --user root > /dev/null 2>&1
check "removing it twice is not found" test $? -ne 0
check "no channel secret or bot token reached the log" sh -c "! grep -q -e '$ALICE_SECRET' -e '$BOB_SECRET' -e '$OPS_SECRET' -e 'AAusertelegramtoken' '$T/quantd.log' '$T/stderr'"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
