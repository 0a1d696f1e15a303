#!/bin/sh
# Users' URLs reach public addresses only (the daemon has no
# "notify": {"user_urls": {"allow_private": true}}):
#   - PUT /api/v1/me/channels/{kind} and quantctl notify channel set refuse
#     obviously internal URLs (loopback, the metadata service, private
#     ranges, odd IPv4 spellings, localhost) with a 400 saying why;
#   - URLs that check cannot see (an operator's env: reference to a user's
#     Discord webhook_url: by the name localhost, and by 127.0.0.1) are
#     refused where the daemon connects: the receiver gets nothing, the row
#     is dead after its attempts with the reason, the log names the plugin;
#   - an operator's own instance URL on loopback is still delivered.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
FAKE_PID=
trap 'kill $FAKE_PID 2>/dev/null; cleanup' EXIT
HOOK_SECRET=$(openssl rand -hex 20)
export HOOK_SECRET DC_NAME DC_ADDR

"$PY" "$QD_SRCDIR/tests/fakes/fake_notify.py" "$T/port" "$HOOK_SECRET" \
	424242:AAunused & FAKE_PID=$!
wait_for 10 test -s "$T/port" || not_ok "the fake receivers start"
PORT=$(cat "$T/port")
BASE=http://127.0.0.1:$PORT
DC_NAME=http://localhost:$PORT/api/webhooks/1/byname
DC_ADDR=$BASE/api/webhooks/2/byaddress

make_config
sed -i 's|"state_dir": "var",|"state_dir": "var", "notify": {"backoff_ms": 100, "backoff_max_ms": 200, "max_attempts": 2},|' "$T/quantd.json"
for p in webhook discord; do
	ln -s "$QD_BUILDDIR/lib/plugins/notify-$p.so" "$T/plugins/"
done
# The operator's own URL (loopback) on an instance that also carries
# users' webhooks; and one that carries users' Discord webhooks.
cat > "$T/quantd.d/uhook.json" <<JSON
{"plugin": "notify-webhook", "instance": "uhook",
 "params": {"url": "$BASE/hook"},
 "secrets": {"signing_secret": "env:HOOK_SECRET"},
 "route": {"events": ["ops.*"], "users": ["@operators"], "user_channels": true}}
JSON
cat > "$T/quantd.d/udc.json" <<JSON
{"plugin": "notify-discord", "instance": "udc",
 "route": {"events": ["operators.none"], "user_channels": true}}
JSON
api_daemon 11 || { finish; exit 1; }

QD_API_RECORD="$T/record.jsonl" "$PY" - "$port" "$root_pw" "$PORT" > "$T/out" 2>&1 <<'PY'
import os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ["QD_SRCDIR"], "tests", "integration"))
import apitest
base = "http://127.0.0.1:%s" % sys.argv[1]
fake = sys.argv[3]
tok = apitest.login(base, "root", sys.argv[2])
bad = 0
refused = [
    ("webhook", "url", "http://127.0.0.1:%s/hook" % fake, "127.0.0.1 is a loopback address"),
    ("webhook", "url", "http://localhost:%s/hook" % fake, "localhost is an internal host name"),
    ("webhook", "url", "http://2130706433/hook", "2130706433 is a loopback address"),
    ("webhook", "url", "http://0x7f.1/hook", "0x7f.1 is a loopback address"),
    ("webhook", "url", "http://0/", "0 is an unspecified address"),
    ("webhook", "url", "http://[::1]:%s/" % fake, "::1 is a loopback address"),
    ("webhook", "url", "http://[::ffff:127.0.0.1]/", "is a loopback address"),
    ("webhook", "url", "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("webhook", "url", "http://10.1.2.3/", "10.1.2.3 is a private address"),
    ("webhook", "url", "https://192.168.0.10/", "is a private address"),
    ("webhook", "url", "http://100.64.0.1/", "is a shared (carrier-grade NAT) address"),
    ("discord", "webhook_url", "http://127.0.0.1:%s/api/webhooks/3/t" % fake, "webhook_url: 127.0.0.1 is a loopback"),
]
for kind, key, url, want in refused:
    body = {key: url}
    if kind == "webhook":
        body["secret"] = "s" * 20
    r = apitest.call(base, "PUT", "/api/v1/me/channels/" + kind, body, tok)
    msg = r.doc.get("error", {}).get("message", "") if isinstance(r.doc, dict) else ""
    code = r.doc.get("error", {}).get("code") if isinstance(r.doc, dict) else None
    good = r.status == 400 and code == "bad_request" and want in msg and "public" in msg
    bad += not good
    print("%s - PUT %s %s is refused: %d %s" % ("ok" if good else "not ok", kind, url, r.status, msg))
# A public one is taken (nothing is sent to it here).
r = apitest.call(base, "PUT", "/api/v1/me/channels/webhook",
                 {"url": "https://example.com/hook", "secret": "s" * 20}, tok)
bad += r.status != 200
print("%s - a public URL is taken: %d" % ("ok" if r.status == 200 else "not ok", r.status))
r = apitest.call(base, "DELETE", "/api/v1/me/channels/webhook", None, tok)
bad += r.status not in (200, 204)
sys.exit(1 if bad else 0)
PY
rc=$?
sed 's/^/  /' "$T/out"
check "the API refuses every obviously internal URL with a 400" test "$rc" -eq 0

printf 'sssssssssssssssssssss\n' | ctl notify channel set webhook --user root --url "http://0x7f.1:$PORT/hook" --secret-stdin > "$T/set.out" 2>&1
check "quantctl notify channel set refuses http://0x7f.1/" test $? -ne 0
check "and says why" grep -q "0x7f.1 is a loopback address, not a public one" "$T/set.out"

# Past the set-time check: an operator's reference, read when sending.
printf '%s\n' "$(openssl rand -hex 12)" | ctl user add bob --plan enterprise > /dev/null 2>&1
check "quantctl notify channel set discord (by name, a reference)" ctl notify channel set discord --user root --secret-ref env:DC_NAME
check "quantctl notify channel set discord (by address, a reference)" ctl notify channel set discord --user bob --secret-ref env:DC_ADDR
check "a test to the channel by name is queued" ctl notify channel test discord --user root
check "a test to the channel by address is queued" ctl notify channel test discord --user bob
wait_for 20 sh -c "ctl() { '$QUANTCTL' -c '$T/quantd.json' \"\$@\"; }; [ \$(ctl notify dead --json | grep -o 'destination refused' | wc -l) -eq 2 ]"
ctl notify dead --json > "$T/dead.json"
dead() {
	"$PY" - "$T/dead.json" "$1" "$2" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["dead"] if r.get("user") == sys.argv[2]]
ok = len(rows) == 1 and rows[0]["attempts"] == 2 and sys.argv[3] in rows[0]["last_error"]
print(rows)
sys.exit(0 if ok else 1)
PY
}
check "the row by name is dead after 2 attempts, refused after the lookup" dead root "destination refused: localhost -> 127.0.0.1 is not a public address (loopback)"
check "the row by address is dead after 2 attempts, refused" dead bob "destination refused: 127.0.0.1 is not a public address (loopback)"
check "the log names the plugin" log_has "plugin notify-discord: connection refused: localhost -> 127.0.0.1"
check "the Discord receiver got nothing" sh -c "curl -s '$BASE/_stats' | $PY -c 'import json,sys; s=json.load(sys.stdin)[\"discord\"]; sys.exit(0 if not s[\"keys\"] else 1)'"

# The operator's own URL is the operator's: loopback is fine.
check "quantctl notify send to the operator's instance" ctl notify send --event ops.check --title t --body b
wait_for 20 sh -c "curl -s '$BASE/_stats' | $PY -c 'import json,sys; s=json.load(sys.stdin)[\"hook\"]; sys.exit(0 if len(s[\"keys\"]) == 1 and s[\"bad_signature\"] == 0 else 1)'"
check "the operator's loopback receiver got it, signed" sh -c "curl -s '$BASE/_stats' | $PY -c 'import json,sys; s=json.load(sys.stdin)[\"hook\"]; sys.exit(0 if len(s[\"keys\"]) == 1 and s[\"bad_signature\"] == 0 else 1)'"
openapi_check "$T/record.jsonl"
check "the daemon stops cleanly" stop_daemon
finish
