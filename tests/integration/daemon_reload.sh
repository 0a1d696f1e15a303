#!/bin/sh
# SIGHUP: a changed instance restarts, an unchanged one is untouched, an
# invalid new config is rejected whole, a replaced module is upgraded.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
cp "$TP/tp-good.so" "$T/plugins/tp-good.so"
echo '{"plugin": "tp-good", "instance": "a", "params": {"period": 1}}' > "$T/quantd.d/a.json"
echo '{"plugin": "tp-good", "instance": "b", "params": {"period": 2}}' > "$T/quantd.d/b.json"
start_daemon || { not_ok "daemon starts" "$(cat "$T/stderr")"; finish; exit 1; }
wait_for 5 log_has "tag=b msg=\"tp start\""

# 1. change a, keep b
echo '{"plugin": "tp-good", "instance": "a", "params": {"period": 3}}' > "$T/quantd.d/a.json"
kill -HUP "$QD_PID"
if wait_for 5 log_has "tag=a msg=\"tp create period=3"; then ok "changed instance restarted with new params"; else not_ok "changed instance restarted" "$(tail -20 "$T/quantd.log")"; fi
check "unchanged instance untouched" sh -c "! grep -q 'tag=b msg=\"tp stop' '$T/quantd.log'"

# 2. invalid config rejected whole
echo '{"plugin": "tp-good", "instance": "a", "params": {"period": 999}}' > "$T/quantd.d/a.json"
echo '{"plugin": "tp-good", "instance": "c"}' > "$T/quantd.d/c.json"
kill -HUP "$QD_PID"
if wait_for 5 log_has "reload rejected"; then ok "invalid reload rejected"; else not_ok "invalid reload rejected"; fi
check "rejection names file, line, col and key" log_has "a.json:1:61: params.period: 999 is out of range"
check "new instance of the rejected config not started" sh -c "! grep -q 'tag=c msg=\"tp create' '$T/quantd.log'"
ctl plugin list > "$T/list.txt"
check "running instance a kept" grep -Eq ' a +trusted +running' "$T/list.txt"

# 3. remove c and fix a; upgrade the module to 2.0.0
echo '{"plugin": "tp-good", "instance": "a", "params": {"period": 3}}' > "$T/quantd.d/a.json"
rm -f "$T/quantd.d/c.json"
cp "$TP/tp-v2.so" "$T/plugins/tp-good.so.new"
mv "$T/plugins/tp-good.so.new" "$T/plugins/tp-good.so"
kill -HUP "$QD_PID"
wait_for 5 log_has "changed on disk: upgrading"
sleep 0.3
ctl plugin list > "$T/list.txt"
if grep -Eq '^tp-good +strategy +2\.0\.0 .* a +trusted +running' "$T/list.txt"; then ok "module upgraded in place"; else not_ok "module upgraded" "$(cat "$T/list.txt"; tail -20 "$T/quantd.log")"; fi
check "other instance also upgraded" grep -Eq '^tp-good +strategy +2\.0\.0 .* b +trusted +running' "$T/list.txt"

# 4. restart and stop one instance over the control socket
check "instance restart" ctl instance restart b
check "instance stop" ctl instance stop a
ctl plugin list > "$T/list.txt"
check "stopped instance listed as stopped" grep -Eq ' a +trusted +stopped' "$T/list.txt"
check "unknown instance is an error" sh -c "! '$QUANTCTL' -c '$T/quantd.json' instance stop nope"

if stop_daemon; then ok "SIGTERM exits 0"; else not_ok "SIGTERM exits 0"; fi
finish
