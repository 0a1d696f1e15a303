# lib.sh -- helpers for integration tests (sourced).  Needs QD_SRCDIR and
# QD_BUILDDIR (set by `make check`).  Each test works in its own temp dir
# and stops every daemon it started.
set -u
: "${QD_SRCDIR:?run through make check}"
: "${QD_BUILDDIR:?run through make check}"
QUANTD=$QD_BUILDDIR/core/quantd
QUANTCTL=$QD_BUILDDIR/core/quantctl
TP=$QD_BUILDDIR/tests/plugins/.libs
# This SDK's ABI as MAJOR.MINOR, and as a regex.
QD_ABI=$(sed -n 's/^#define QD_ABI_MAJOR \([0-9]*\)$/\1/p' "$QD_SRCDIR/sdk/quantd/sdk.h").$(sed -n 's/^#define QD_ABI_MINOR \([0-9]*\)$/\1/p' "$QD_SRCDIR/sdk/quantd/sdk.h")
QD_ABI_RE=$(printf '%s' "$QD_ABI" | sed 's/\./\\./')
QD_ABI_MINOR=${QD_ABI#*.}
T=$(mktemp -d /tmp/qd-it-XXXXXX)
QD_PID=
fails=0
passes=0

cleanup() {
	[ -n "${KEEP:-}" ] && { echo "kept $T"; return; }
	if [ -n "$QD_PID" ] && kill -0 "$QD_PID" 2>/dev/null; then
		kill -KILL "$QD_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'; }

# check NAME COMMAND...: passes if the command succeeds.
check() { name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi; }

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	limit=$1; shift
	i=0
	while [ "$i" -lt $((limit * 20)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# A daemon config in $T: plugins from $T/plugins, instances in $T/quantd.d.
make_config() {
	mkdir -p "$T/plugins" "$T/quantd.d" "$T/var"
	cat > "$T/quantd.json" <<JSON
{
  "plugin_dirs": ["plugins"],
  "instances_dir": "quantd.d",
  "state_dir": "var",
  "listen": "127.0.0.1:0",
  "sandbox_helper": "$QD_BUILDDIR/core/quantd-sandbox",
  "log": {"level": "debug", "file": "quantd.log"}
}
JSON
}

# sandbox_config NAME...: make_config, plus a sandbox plugin directory
# $T/untrusted holding tests/sandbox's hostile-NAME.so modules (NAME may be
# a glob), the ta, replay and example plugins trusted, and a replay feed
# "feed" at 20 ms.
sandbox_config() {
	make_config
	sed -i 's|"plugin_dirs": \["plugins"\],|"plugin_dirs": ["plugins"], "sandbox_plugin_dirs": ["untrusted"],|' "$T/quantd.json"
	mkdir -p "$T/untrusted"
	for f in ta exchange-replay sma-cross-example; do
		ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
	done
	for m in "$@"; do
		cp "$QD_BUILDDIR"/tests/sandbox/.libs/hostile-$m.so "$T/untrusted/"
	done
	echo '{"plugin": "replay", "instance": "feed", "params": {"interval_ms": 20}}' > "$T/quantd.d/feed.json"
}

start_daemon() {
	"$QUANTD" -c "$T/quantd.json" > "$T/stdout" 2> "$T/stderr" &
	QD_PID=$!
	# Ready once every configured instance has been started (generous:
	# dozens of sandboxed modules under sanitizers on a busy machine).
	wait_for 30 test -S "$T/var/quantd.sock" &&
		wait_for 60 grep -q 'tag=daemon msg="ready: ' "$T/quantd.log"
}

stop_daemon() {
	kill -TERM "$QD_PID"
	wait "$QD_PID"
	rc=$?
	QD_PID=
	return $rc
}

ctl() { "$QUANTCTL" -c "$T/quantd.json" "$@"; }

log_has() { grep -q -- "$1" "$T/quantd.log"; }

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}

# start_fresh: start the daemon and wait for a "ready" line newer than
# those already in the log (a daemon killed before leaves its own).
start_fresh() {
	sf_before=$(grep -c 'tag=daemon msg="ready: ' "$T/quantd.log" 2>/dev/null || echo 0)
	rm -f "$T/var/quantd.sock"
	"$QUANTD" -c "$T/quantd.json" > "$T/stdout" 2>> "$T/stderr" &
	QD_PID=$!
	wait_for 15 sh -c "[ \$(grep -c 'tag=daemon msg=\"ready: ' '$T/quantd.log') -gt $sf_before ]"
}

# kill_loop N LO HI: N times, start the daemon, let it run a random
# LO..HI seconds (times QD_TIME_SCALE, for slow builds such as ASan's),
# SIGKILL it, then run $KL_AFTER when set; sets kl_started to how many
# starts came up.
kill_loop() {
	kl_k=0
	kl_started=0
	while [ "$kl_k" -lt "$1" ]; do
		start_fresh && kl_started=$((kl_started + 1))
		sleep "$(/usr/bin/python3 -c "import random; print('%.3f' % (${QD_TIME_SCALE:-1} * random.uniform($2, $3)))")"
		kill -KILL "$QD_PID" 2>/dev/null
		wait "$QD_PID" 2>/dev/null
		QD_PID=
		kl_k=$((kl_k + 1))
		[ -n "${KL_AFTER:-}" ] && $KL_AFTER
	done
}

# replay_trades FILE SEED: 20,000 BTC/USDT trades 50 ms apart from
# 2024-01-01, a random walk of SEED, in the replay exchange's CSV form.
replay_trades() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import random, sys
r = random.Random(int(sys.argv[2]))
t0, p, rows = 1704067200000, 100.0, []
for i in range(20000):
    p = round(p * (1 + r.uniform(-8e-4, 8e-4)), 2)
    rows.append("%d,%.2f,%.4f,%d,%d,%d,%s,True" % (i + 1, p, r.uniform(0.001, 0.2), i + 1, i + 1, t0 + i * 50, "true" if r.random() < .5 else "false"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
}

# api_daemon SEED [API]: start a daemon with the API on a free port (storage in
# quantd.db, a JWT secret in $QD_JWT, master key k1 in $QD_MK), a replayed
# BTC/USDT feed ("feed", trades random-walked from SEED) and a paper
# strategy "hold" that buys 2 and holds, and an admin "root" (enterprise
# plan) whose password is in $root_pw; API, when given, adds members to
# the config's "api" object.  Sets $port; returns 1 (logged)
# when the daemon does not start.
api_daemon() {
	ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
	ln -s "$TP/tp-storm.so" "$T/plugins/"
	QD_JWT=$(openssl rand -hex 32)
	QD_MK=$(openssl rand -hex 32)
	QUANTD_MASTER_KEYS="k1=env:QD_MK"
	export QD_JWT QD_MK QUANTD_MASTER_KEYS
	sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "storage": {"url": "quantd.db", "flush_ms": 20}, "api": {"jwt_secret": "env:QD_JWT", "master_keys": "k1=env:QD_MK"'"${2:+, $2}"'},|' "$T/quantd.json"
	replay_trades "$T/trades.csv" "$1"
	cat > "$T/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "BTC/USDT", "speed": 5, "loop": true}}
JSON
	cat > "$T/quantd.d/hold.json" <<JSON
{"plugin": "tp-storm", "instance": "hold", "exchange": "feed",
 "account": {"balance": 100000, "quote": "USDT"},
 "params": {"symbol": "BTC/USDT", "hold": true, "qty": 2}}
JSON
	root_pw=$(openssl rand -hex 12)
	printf '%s\n' "$root_pw" | ctl user add root --role admin --plan enterprise > "$T/useradd" 2>&1
	check "quantctl user add makes the first admin" test $? -eq 0
	if ! start_daemon; then
		not_ok "the daemon starts" "$(tail -5 "$T/stderr")"
		return 1
	fi
	port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
}

# chan_live [INTERVAL_MS]: a running `chan` strategy "chanlive" (paper
# account) on a synthetic ETH/USDT feed "synth" that closes a 1m bar every
# INTERVAL_MS (default 100) of wall time, for its live annotations.
chan_live() {
	[ -e "$T/plugins/chan.so" ] || ln -s "$QD_BUILDDIR/lib/plugins/chan.so" "$T/plugins/"
	cat > "$T/quantd.d/synth.json" <<JSON
{"plugin": "replay", "instance": "synth", "params": {"interval_ms": ${1:-100}, "seed": 5, "price": 100, "volatility": 0.004}}
JSON
	cat > "$T/quantd.d/chanlive.json" <<JSON
{"plugin": "chan", "instance": "chanlive", "exchange": "synth", "symbols": ["ETH/USDT"], "timeframes": ["1m"],
 "account": {"balance": 10000, "quote": "USDT"}}
JSON
}

# openapi_check RECORD: the OpenAPI document and every response recorded in
# RECORD (JSON lines) validated by tests/openapi/validate.mjs (npm's
# swagger-parser and Ajv, installed by scripts/setup.sh).
openapi_check() {
	if [ ! -d "$QD_SRCDIR/tests/openapi/node_modules/ajv" ]; then
		not_ok "OpenAPI validation: run scripts/setup.sh (npm ci in tests/openapi)"
		return
	fi
	node "$QD_SRCDIR/tests/openapi/validate.mjs" "$QD_SRCDIR/core/api/openapi.json" "$1" > "$T/openapi.out" 2>&1
	oc=$?
	sed 's/^/  /' "$T/openapi.out"
	check "responses match the OpenAPI document" test "$oc" -eq 0
}

# quiesce_venue URL OPEN: after settle_venue, cancel every order
# still open here (those at the venue and the stops the host holds) through
# the control socket, and wait (up to 30 s) until neither side has one open
# (OPEN as for settle_venue); a cancel refused (the venue's request rate)
# is asked again.  Then no held stop can trigger and
# no report is on its way when the daemon is stopped and the two records
# are compared.  Returns 0 once quiet, 1 if it never was.
quiesce_venue() {
	/usr/bin/python3 - "$T/var/quantd.sock" "$1" "$2" <<'PY'
import json, socket, sys, time, urllib.request
sock, url, open_ = sys.argv[1], sys.argv[2], sys.argv[3].split(",")

def ask(req):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(json.dumps(req).encode() + b"\n")
    r = b""
    while not r.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        r += c
    s.close()
    return json.loads(r)

asked = set()
deadline = time.time() + 30
while time.time() < deadline:
    ours = ask({"cmd": "trade.orders"}).get("orders", [])
    for o in ours:
        # Asked again only when refused (a venue's request rate limit).
        if o["id"] not in asked and "ok" in ask({"cmd": "trade.cancel", "id": o["id"]}):
            asked.add(o["id"])
    rec = json.load(urllib.request.urlopen(url + "/fake/record"))
    if not ours and not [o for o in rec["orders"] if o["status"] in open_]:
        sys.exit(0)
    time.sleep(0.25)
print("# still open here: %s; at the venue: %s" % (
    [(o["id"], o.get("type"), o.get("state")) for o in ours],
    [(o.get("client_id", o.get("cl_ord_id")), o["status"]) for o in rec["orders"] if o["status"] in open_]))
sys.exit(1)
PY
}

# settle_venue URL OPEN [CID_KEY]: after a restart, wait (up to 30 s) until
# the daemon's open orders are the venue's open ones (its /fake/record:
# orders whose status is one of the comma-separated OPEN, by CID_KEY,
# default client_id): the restored orders have been asked about and
# reconciled, however long a loaded machine takes.  Returns 0 once they
# agree, 1 if they never did (the record check then says how).
settle_venue() {
	sv_limit=30
	sv_i=0
	while [ "$sv_i" -lt $((sv_limit * 4)) ]; do
		if ctl --json orders > "$T/sv_ours" 2>/dev/null &&
		    curl -s "$1/fake/record" > "$T/sv_venue" &&
		    /usr/bin/python3 - "$T/sv_ours" "$T/sv_venue" "$2" "${3:-client_id}" <<'PY'
import json, sys
ours = {o.get("client_id") for o in json.load(open(sys.argv[1])).get("orders", []) if o.get("type") in ("market", "limit")}
open_ = sys.argv[3].split(",")
venue = {o[sys.argv[4]] for o in json.load(open(sys.argv[2]))["orders"] if o["status"] in open_}
sys.exit(0 if ours == venue else 1)
PY
		then
			return 0
		fi
		sleep 0.25
		sv_i=$((sv_i + 1))
	done
	return 1
}
