#!/bin/sh
# The notification outbox against local receivers (tests/fakes/
# fake_notify.py) through the real notifier plugins:
#   - 1,000 notifications queued, the daemon killed with SIGKILL while it
#     sends them: after the restart the webhook receiver has every key
#     (checked signatures, counted by Idempotency-Key), none lost;
#   - the webhook down for a while (the backoff is the config's, short
#     here): retried, then delivered once;
#   - the webhook rejecting forever: dead-lettered with its reason, listed
#     by quantctl notify dead, delivered after quantctl notify retry;
#   - Telegram and Discord receive theirs, Discord's 429s honoured, and
#     the bot token never reaches the log;
#   - an emergency close (a risk action) notifies.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
FAKE_PID=
trap 'kill $FAKE_PID 2>/dev/null; cleanup' EXIT
export HOOK_SECRET=hook-secret-0123456789
export TG_TOKEN=123456:AAtelegramtoken
export DC_URL

"$PY" "$QD_SRCDIR/tests/fakes/fake_notify.py" "$T/port" "$HOOK_SECRET" \
	"$TG_TOKEN" & FAKE_PID=$!
wait_for 10 test -s "$T/port" || not_ok "the fake receivers start"
PORT=$(cat "$T/port")
BASE=http://127.0.0.1:$PORT
DC_URL=$BASE/api/webhooks/42/discordtoken

make_config
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false}, "notify": {"backoff_ms": 200, "backoff_max_ms": 800, "max_attempts": 8, "send_timeout_ms": 5000},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
for p in webhook telegram discord; do
	ln -s "$QD_BUILDDIR/lib/plugins/notify-$p.so" "$T/plugins/"
done
cat > "$T/quantd.d/hook.json" <<JSON
{"plugin": "notify-webhook", "instance": "hook",
 "params": {"url": "$BASE/hook"},
 "secrets": {"signing_secret": "env:HOOK_SECRET"},
 "route": {"events": ["test.*", "risk.*"], "inflight": 64}}
JSON
cat > "$T/quantd.d/tg.json" <<JSON
{"plugin": "notify-telegram", "instance": "tg",
 "params": {"base_url": "$BASE", "chat_id": "-100200"},
 "secrets": {"bot_token": "env:TG_TOKEN"},
 "route": {"events": ["chat.*"]}}
JSON
cat > "$T/quantd.d/dc.json" <<JSON
{"plugin": "notify-discord", "instance": "dc",
 "secrets": {"webhook_url": "env:DC_URL"},
 "route": {"events": ["chat.*"], "rate_per_sec": 100, "burst": 100}}
JSON

# send FIRST COUNT EVENT PREFIX: COUNT notifications in one request
# straight to the control socket (what quantctl notify send does for one).
send() {
	"$PY" - "$T/var/quantd.sock" "$1" "$2" "$3" "$4" <<'PY'
import json, socket, sys
path, first, n, event, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ns = [{"event": event, "title": "t %d" % i, "body": "%s-%d" % (prefix, i),
       "key": "%s-%d" % (prefix, i)} for i in range(first, first + n)]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.sendall(json.dumps({"cmd": "notify.send", "notifications": ns}).encode() + b"\n")
r = b""
while not r.endswith(b"\n"):
    c = s.recv(65536)
    if not c:
        break
    r += c
print(json.loads(r).get("queued", -1))
PY
}

# stat TARGET FIELD [PREFIX]: a receiver's counter; "distinct"/"dups" count
# the keys starting with PREFIX seen once or more / more than once.
stat() {
	"$PY" - "$BASE/_stats" "$@" <<'PY'
import json, sys, urllib.request
st = json.load(urllib.request.urlopen(sys.argv[1]))[sys.argv[2]]
f, pre = sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else ""
keys = {k: v for k, v in st["keys"].items() if k.startswith(pre)}
print(len(keys) if f == "distinct" else sum(v - 1 for v in keys.values()) if f == "dups" else st[f])
PY
}
mode() { "$PY" -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('$BASE/_mode?target=$1&mode=$2', data=b''))"; }
ge() { [ "$("$@" | tail -1)" -ge "$GE" ]; }

# ---- 1,000 queued, kill -9 while sending ---------------------------------
start_fresh || not_ok "the daemon starts"
q1=$(send 0 500 test.bulk bulk)
q2=$(send 500 500 test.bulk bulk)
check "1,000 notifications queued" test "$((q1 + q2))" -eq 1000
sleep 0.2
kill -KILL "$QD_PID"; wait "$QD_PID" 2>/dev/null; QD_PID=
before=$(stat hook distinct bulk)
start_fresh || not_ok "the daemon starts after kill -9"
GE=1000 wait_for 120 ge stat hook distinct bulk
distinct=$(stat hook distinct bulk)
dups=$(stat hook dups bulk)
check "every one of the 1,000 delivered after the restart ($before before the kill; $dups sent again and counted once by key)" test "$distinct" -eq 1000
check "no bad signature at the receiver" test "$(stat hook bad_signature)" -eq 0
check "nothing left waiting" sh -c "'$QUANTCTL' -c '$T/quantd.json' --json notify list | grep -q '\"pending_now\":0'"

# ---- down for a while: retries, then delivered ----------------------------
mode hook down
r0=$(stat hook refused)
check "queued while the receiver is down" test "$(send 0 3 test.down down)" -eq 3
GE=$((r0 + 6)) wait_for 15 ge stat hook refused
ok "retried while down ($(( $(stat hook refused) - r0 )) refused attempts)"
mode hook ok
GE=3 wait_for 15 ge stat hook distinct down
check "delivered once it is back, each once" sh -c "[ $(stat hook distinct down) -eq 3 ] && [ $(stat hook dups down) -eq 0 ]"

# ---- rejected forever: dead-lettered with the reason, then retried --------
mode hook reject
send 0 1 test.reject reject > /dev/null
wait_for 20 sh -c "'$QUANTCTL' -c '$T/quantd.json' notify dead | grep -q 'rejected by the fake'"
check "dead-lettered with the receiver's reason" sh -c "'$QUANTCTL' -c '$T/quantd.json' notify dead | grep -q 'HTTP 400: .*rejected by the fake'"
check "after 8 attempts" sh -c "'$QUANTCTL' -c '$T/quantd.json' --json notify dead | grep -q '\"attempts\":8'"
mode hook ok
check "quantctl notify retry all" sh -c "'$QUANTCTL' -c '$T/quantd.json' notify retry all | grep -q 'retried 1'"
GE=1 wait_for 10 ge stat hook distinct reject
check "delivered after the retry" test "$(stat hook distinct reject)" -eq 1

# ---- Telegram and Discord ------------------------------------------------
send 0 3 chat.msg tg > /dev/null
send 3 9 chat.msg dc > /dev/null
GE=12 wait_for 20 ge stat telegram distinct
GE=12 wait_for 20 ge stat discord distinct
check "Telegram got all 12, one per key" sh -c "[ $(stat telegram distinct) -eq 12 ] && [ $(stat telegram dups) -eq 0 ]"
check "Discord got all 12 despite its 429s ($(stat discord throttled) throttled)" sh -c "[ $(stat discord distinct) -eq 12 ] && [ $(stat discord throttled) -ge 1 ]"
check "the bot token and the webhook token are not in the log" sh -c "! grep -q 'AAtelegramtoken\|discordtoken' '$T/quantd.log'"

# ---- a risk action notifies ------------------------------------------------
ctl emergency-close > /dev/null
GE=1 wait_for 10 ge stat hook distinct risk:emergency_close
check "an emergency close reaches the webhook as risk.emergency_close" test "$(stat hook distinct risk:emergency_close)" -eq 1
stop_daemon
finish
