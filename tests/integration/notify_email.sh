#!/bin/sh
# notify-email against a real SMTP server (tests/fakes/smtp_server.py,
# aiosmtpd) that requires STARTTLS with a certificate of a CA made here
# and AUTH over TLS: the notifications arrive encrypted and authenticated,
# with their idempotency key; a wrong password is dead-lettered with the
# server's refusal; the password never reaches the log; a user's own
# e-mail channel gets its test at the user's address only.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
SMTP_PID=
trap 'kill $SMTP_PID 2>/dev/null; cleanup' EXIT
export SMTP_PW=mail-pass-0123 SMTP_BAD=wrong-pass

printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$T/san.ext"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" \
	-days 2 -subj "/CN=quantd test CA" 2> "$T/openssl.err" &&
openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" \
	-subj "/CN=localhost" 2>> "$T/openssl.err" &&
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/san.ext" 2>> "$T/openssl.err" ||
	not_ok "a test CA and certificate" "$(cat "$T/openssl.err")"
"$PY" "$QD_SRCDIR/tests/fakes/smtp_server.py" "$T/port" "$T/mail.jsonl" \
	"$T/srv.pem" "$T/srv.key" quantd "$SMTP_PW" 2> "$T/smtp.err" & SMTP_PID=$!
wait_for 15 test -s "$T/port" || not_ok "the SMTP server starts" "$(cat "$T/smtp.err")"
PORT=$(cat "$T/port")

make_config
sed -i "s|\"state_dir\": \"var\",|\"state_dir\": \"var\", \"ca_file\": \"$T/ca.pem\", \"storage\": {\"url\": \"quantd.db\", \"enabled\": false}, \"notify\": {\"backoff_ms\": 100, \"backoff_max_ms\": 200, \"max_attempts\": 2},|" "$T/quantd.json"
ln -s "$QD_BUILDDIR/lib/plugins/notify-email.so" "$T/plugins/"
cat > "$T/quantd.d/mail.json" <<JSON
{"plugin": "notify-email", "instance": "mail",
 "params": {"smtp_url": "smtp://localhost:$PORT", "username": "quantd",
            "from": "quantd@example.org", "to": "ops@example.org, cto@example.org"},
 "secrets": {"smtp_password": "env:SMTP_PW"},
 "route": {"events": ["mail.*"], "user_channels": true}}
JSON
cat > "$T/quantd.d/badmail.json" <<JSON
{"plugin": "notify-email", "instance": "badmail",
 "params": {"smtp_url": "smtp://localhost:$PORT", "username": "quantd",
            "from": "quantd@example.org", "to": "ops@example.org"},
 "secrets": {"smtp_password": "env:SMTP_BAD"},
 "route": {"events": ["badmail.*"]}}
JSON
start_daemon || not_ok "the daemon starts" "$(cat "$T/stderr")"
for i in 1 2 3; do
	ctl notify send --event mail.test --severity critical --title "stop loss $i ✓" \
		--body "line one
line two" --key "mail-$i" > /dev/null
done
ctl notify send --event badmail.test --title x --key bad-1 > /dev/null
wait_for 20 sh -c "[ \$(wc -l < '$T/mail.jsonl') -ge 3 ]"
ctl notify send --event mail.test --title "two
Bcc: evil@example.org" --key mail-4 > /dev/null
wait_for 20 sh -c "[ \$(wc -l < '$T/mail.jsonl') -ge 4 ]"
check "a title on two lines is one subject line, no header injected" "$PY" -c "
import json, sys
r = [json.loads(l) for l in open('$T/mail.jsonl')][-1]
sys.exit(not (r['key'] == 'mail-4' and r['subject'] == '[info] two Bcc: evil@example.org' and r['to'] == ['ops@example.org', 'cto@example.org']))"
out=$("$PY" - "$T/mail.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][:3]
keys = sorted(r["key"] for r in recs)
ok = (keys == ["mail-1", "mail-2", "mail-3"] and all(r["tls"] for r in recs)
      and all(r["to"] == ["ops@example.org", "cto@example.org"] for r in recs)
      and all(r["from"] == "quantd@example.org" for r in recs)
      and any(r["subject"] == "[CRITICAL] stop loss 1 \u2713" for r in recs)
      and all(r["message_id"] == "<%s@quantd>" % r["key"] for r in recs)
      and all("line one\nline two" in r["body"].replace("\r\n", "\n") for r in recs))
print("ok" if ok else "bad: %r" % recs)
PY
)
check "3 mails over STARTTLS with AUTH, to both recipients, with their keys and subjects ($out)" test "$out" = ok
wait_for 15 sh -c "'$QUANTCTL' -c '$T/quantd.json' notify dead | grep -q badmail"
check "a wrong password is dead-lettered with the server's refusal" sh -c "'$QUANTCTL' -c '$T/quantd.json' --json notify dead | grep -q '\"channel\":\"badmail\".*535'"
check "no password in the log" sh -c "! grep -q 'mail-pass-0123\|wrong-pass' '$T/quantd.log'"

# A user's own e-mail channel, through the instance that carries users'.
check "a user's e-mail channel is set" ctl notify channel set email --user dana --to dana@example.org
check "and tested" ctl notify channel test email --user dana
wait_for 20 sh -c "grep -q 'dana@example.org' '$T/mail.jsonl'"
check "the test mail went to her address alone, over STARTTLS" "$PY" -c "
import json, sys
r = [json.loads(l) for l in open('$T/mail.jsonl') if 'dana@' in l]
sys.exit(not (len(r) == 1 and r[0]['to'] == ['dana@example.org'] and r[0]['tls'] and 'test of your email channel' in r[0]['subject']))"
ctl notify channel set email --user dana --to 'dana@example.org
Bcc: evil@example.org' > /dev/null 2>&1
check "an address with a header in it is refused" test $? -ne 0
stop_daemon
finish
