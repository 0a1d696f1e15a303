#!/bin/sh
# An exchange instance's api_secret given as "vault:NAME": sealed in the
# store by `quantctl secrets set`, opened by the daemon under api.master_keys
# and used by the host to sign the orders of a sandboxed adapter at
# tests/fakes/fake_binance.py, which checks every signature (a filled order
# proves the opened value is the right one).  The
# reference passes `quantctl config check`, a malformed one does not; after
# `quantctl secrets rotate` the new key alone opens it; a missing credential,
# a wrong master key under the same id and an unloaded key id each fail the
# instance's start with the reason; the value reaches no log, no output and
# not the store in clear.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KEY=bn-vs-key-51a0
SECRET=bn-vs-secret-c38e11f0
FAKE_BINANCE_API_KEY=$KEY FAKE_BINANCE_API_SECRET=$SECRET \
FAKE_BINANCE_BALANCES="USDT=100000,BTC=1" FAKE_BINANCE_LOT="BTCUSDT=0.001" \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_binance.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "fake binance starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"
hexkey() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
QD_VS_MK1=$(hexkey) QD_VS_MK2=$(hexkey) QD_VS_WRONG=$(hexkey)
export QD_VS_MK1 QD_VS_MK2 QD_VS_WRONG BN_VS_KEY=$KEY
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-binance.so" "$T/plugins/"
ln -s "$TP/tp-script.so" "$T/plugins/"
keys() {
	sed -i "s|\"master_keys\": \"[^\"]*\"|\"master_keys\": \"$1\"|" "$T/quantd.json"
}
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20}, "api": {"master_keys": "k1=env:QD_VS_MK1"},|' "$T/quantd.json"
URLS="\"ws_url\": \"ws://127.0.0.1:$WS/ws\", \"rest_url\": \"http://127.0.0.1:$HTTP\", \"ws_api_url\": \"ws://127.0.0.1:$WS/ws-api/v3\""
cat > "$T/quantd.d/binance.json" <<JSON
{"plugin": "binance", "instance": "binance", "trust": "sandboxed", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BN_VS_KEY", "api_secret": "vault:binance.api_secret"},
 "params": {$URLS}}
JSON
cat > "$T/quantd.d/nocred.json" <<JSON
{"plugin": "binance", "instance": "nocred", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BN_VS_KEY", "api_secret": "vault:binance.missing"},
 "params": {$URLS}}
JSON
cat > "$T/quantd.d/a.json" <<JSON
{"plugin": "tp-script", "instance": "a", "exchange": "binance",
 "account": {"id": "live:a", "venue": "binance", "balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "script": "wait 4000; buy market 0.002"}}
JSON

# The reference is checked for form only (nothing is opened).
check "config check: a vault: reference is well-formed" ctl config check
echo '{"plugin": "binance", "instance": "b2", "secrets": {"api_secret": "vault:"}}' > "$T/b2.json"
ctl config check "$T/b2.json" > "$T/check.out" 2>&1
check "config check: \"vault:\" without a name is refused at file:line" \
	grep -q 'b2.json:1:.*vault:NAME.* needs the credential' "$T/check.out"

# quantctl creates the store and seals the value under k1.
mkdir -p "$T/var"
printf '%s\n' "$SECRET" | QUANTD_MASTER_KEYS=k1=env:QD_VS_MK1 \
	ctl secrets set binance.api_secret > "$T/ctl.out" 2>&1
check "secrets set seals the credential under k1" sh -c \
	"QUANTD_MASTER_KEYS=k1=env:QD_VS_MK1 '$QUANTCTL' -c '$T/quantd.json' secrets list | grep -q 'binance.api_secret *key k1'"

# runs N: the N-th start of the daemon places and fills its market order
# (4 s after its start: the sandboxed adapter has its instrument list by
# then even on a loaded machine, or the order is refused as too early).
filled() { [ "$(grep -c 'tag=a msg="script order [0-9]* #1 FILLED' "$T/quantd.log")" -ge "$1" ]; }
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "an order signed with the opened credential fills" wait_for 20 filled 1
check "a missing credential fails its instance with the reason" log_has \
	'tag=nocred msg="instance failed: secret \\"api_secret\\" (vault:binance.missing): no such credential in the store (quantctl secrets set binance.missing)'
stop_daemon
rm "$T/quantd.d/nocred.json"

# Rotation: k1 and k2 loaded, everything re-sealed under k2; the daemon
# then has k2 alone.
QUANTD_MASTER_KEYS=k1=env:QD_VS_MK1,k2=env:QD_VS_MK2 ctl secrets rotate \
	>> "$T/ctl.out" 2>&1
check "secrets rotate re-seals under k2" grep -q 'secrets re-sealed under key k2' "$T/ctl.out"
keys k2=env:QD_VS_MK2
start_fresh || { not_ok "daemon starts with k2" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "after the rotation, k2 alone opens it: a second order fills" wait_for 20 filled 2
stop_daemon

# Another key under the id k2: the ciphertext does not authenticate.
keys k2=env:QD_VS_WRONG
start_fresh || { not_ok "daemon starts with a wrong key" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "a wrong master key fails the instance with the reason" log_has \
	'tag=binance msg="instance failed: secret \\"api_secret\\" (vault:binance.api_secret): does not open under master key \\"k2\\" (not the key it was sealed with'
stop_daemon

# Only k1 (the retired key) loaded: the sealing key's id is named.
keys k1=env:QD_VS_MK1
start_fresh || { not_ok "daemon starts with k1" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "an unloaded key id fails the instance with the reason" log_has \
	'tag=binance msg="instance failed: secret \\"api_secret\\" (vault:binance.api_secret): sealed under master key \\"k2\\", which is not loaded'
check "the daemon stops cleanly" stop_daemon
check "no order went out after the first two runs" sh -c "[ \$(grep -c 'tag=a msg=\"script order [0-9]* #1 FILLED' '$T/quantd.log') -eq 2 ]"

if grep -rqa -e "$SECRET" "$T/quantd.log" "$T/stdout" "$T/stderr" "$T/ctl.out" "$T/check.out" "$T/var" 2>/dev/null; then
	not_ok "the secret reaches no log, output or store in clear"
else
	ok "the secret reaches no log, output or store in clear"
fi
finish
