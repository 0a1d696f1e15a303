#!/bin/sh
# quantd with one good, one broken (ABI 2) and one failing plugin: the good
# instance runs, the others are reported, plugin list shows all of it, and
# SIGTERM stops cleanly with exit status 0.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
ln -s "$TP/tp-good.so" "$T/plugins/tp-good.so"
ln -s "$TP/tp-abi2.so" "$T/plugins/tp-abi2.so"
ln -s "$TP/tp-failcreate.so" "$T/plugins/tp-failcreate.so"
ln -s "$QD_BUILDDIR/plugins/exchange-replay/.libs/exchange-replay.so" "$T/plugins/"
cat > "$T/quantd.d/good.json" <<'JSON'
{"plugin": "tp-good", "instance": "good", "params": {"period": 7},
 "exchange": "zfeed", "symbols": ["BTC/USDT"], "timeframes": ["1m"]}
JSON
cat > "$T/quantd.d/zfeed.json" <<'JSON'
{"plugin": "replay", "instance": "zfeed", "params": {"interval_ms": 10}}
JSON
cat > "$T/quantd.d/bad.json" <<'JSON'
{"plugin": "tp-failcreate", "instance": "bad"}
JSON
cat > "$T/quantd.d/gone.json" <<'JSON'
{"plugin": "tp-abi2", "instance": "gone"}
JSON

check "quantd --check-config accepts the config" "$QUANTD" -c "$T/quantd.json" --check-config
if start_daemon; then ok "daemon starts with a broken plugin present"; else not_ok "daemon starts" "$(cat "$T/stderr" "$T/quantd.log" 2>/dev/null)"; fi
check "good instance created with its params" wait_for 5 log_has "tag=good msg=\"tp create period=7"
check "good instance started" wait_for 5 log_has "tag=good msg=\"tp start\""
check "abi2 refusal logged with file and fix" log_has "plugin $T/plugins/tp-abi2.so refused: built for SDK ABI 2.0, this quantd provides ABI $QD_ABI (major versions must match); rebuild the plugin"
check "failing instance reported" wait_for 5 log_has "tag=bad msg=\"instance failed: create failed"

ctl plugin list > "$T/list.txt" 2>&1
check "plugin list: good running" grep -Eq "^tp-good +strategy +1\\.2\\.3 +$QD_ABI_RE +good +trusted +running" "$T/list.txt"
check "plugin list: bad failed" grep -Eq '^tp-failcreate .* bad +trusted +failed' "$T/list.txt"
check "plugin list: abi2 refused" grep -Eq 'refused +.*tp-abi2\.so' "$T/list.txt"
check "plugin list: instance of refused plugin shown" grep -Eq '^tp-abi2 .* gone +trusted +failed' "$T/list.txt"
ctl --json plugin list > "$T/list.json"
check "plugin list --json is JSON with the refusal reason" grep -q '"reason":.*rebuild the plugin' "$T/list.json"
ctl plugin info tp-good > "$T/info.txt"
check "plugin info shows param ranges" grep -Eq 'period +int +14 +\[1, 100\] +a period' "$T/info.txt"
check "plugin info shows enum choices" grep -Eq 'mode +enum +fast +fast\|slow' "$T/info.txt"

check "exchange started before the strategy" sh -c "grep -n 'msg=\"started plugin' '$T/quantd.log' | head -1 | grep -q 'tag=zfeed'"
check "strategy received bars" wait_for 5 log_has "tag=zfeed msg=\"streaming synthetic BTC/USDT bars of 60s"
if stop_daemon; then ok "SIGTERM exits 0"; else not_ok "SIGTERM exits 0"; fi
check "instance stopped and destroyed" log_has "tag=good msg=\"tp destroy\""
check "strategy stopped before its exchange" sh -c "grep -n 'msg=\"stopped\"' '$T/quantd.log' | head -1 | grep -q 'tag=good'"
check "bars were delivered before stop" sh -c "grep -q 'tag=good msg=\"tp stop after [1-9]' '$T/quantd.log'"
check "control socket removed" test ! -e "$T/var/quantd.sock"
finish
