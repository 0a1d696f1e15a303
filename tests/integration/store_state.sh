#!/bin/sh
# Plugin state lives in the store: what a strategy saved with state_save()
# is what state_load() gives it after the daemon restarts -- trusted and
# sandboxed, on SQLite and on PostgreSQL -- and a state file left by a
# quantd without a store is still read.
. "$QD_SRCDIR/tests/integration/lib.sh"
. "$QD_SRCDIR/tests/fakes/pg.sh"
trap 'pg_stop; cleanup' EXIT

setup() {
	rm -rf "$T/plugins" "$T/quantd.d" "$T/var" "$T/quantd.log"
	make_config
	for f in ta exchange-replay sma-cross-example; do
		ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
	done
	url=$(printf '%s' "$1" | sed 's/[&|]/\\&/g')
	sed -i "s|\"state_dir\": \"var\",|\"state_dir\": \"var\", \"storage\": {\"url\": \"$url\", \"flush_ms\": 20},|" "$T/quantd.json"
	echo '{"plugin": "replay", "instance": "feed", "params": {"interval_ms": 2}}' > "$T/quantd.d/feed.json"
	for t in trusted sandboxed; do
		cat > "$T/quantd.d/$t.json" <<JSON
{"plugin": "sma-cross-example", "instance": "st-$t", "trust": "$t",
 "exchange": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"fast": 2, "slow": 3}}
JSON
	done
}

# crosses INSTANCE: the last count the instance logged
crosses() { grep "tag=$1 " "$T/quantd.log" | grep -c 'cross: fast'; }

run() {
	tag=$1
	start_daemon || { not_ok "$tag: daemon starts" "$(tail -5 "$T/quantd.log")"; return; }
	wait_for 20 sh -c "[ \$(grep -c 'tag=st-sandboxed .*cross: fast' '$T/quantd.log') -ge 3 ] && [ \$(grep -c 'tag=st-trusted .*cross: fast' '$T/quantd.log') -ge 3 ]"
	stop_daemon
	nt=$(crosses st-trusted)
	ns=$(crosses st-sandboxed)
	mv "$T/quantd.log" "$T/quantd.log.1"
	start_daemon
	for t in trusted:$nt sandboxed:$ns; do
		n=${t#*:} t=${t%%:*}
		if wait_for 10 grep -q "tag=st-$t .*resuming after $n crosses" "$T/quantd.log"; then
			ok "$tag: st-$t resumes after its $n crosses"
		else
			not_ok "$tag: st-$t resumes after its $n crosses" "$(grep "tag=st-$t" "$T/quantd.log" | head -3)"
		fi
	done
	stop_daemon
}

setup quantd.db
run sqlite
# (The host's own rows, such as the risk engine's ":risk", are named so no
# instance can be.)
rows=$(sqlite3 "$T/var/quantd.db" "SELECT group_concat(instance) FROM (SELECT instance FROM plugin_state WHERE instance NOT LIKE ':%' ORDER BY 1)")
[ "$rows" = "st-sandboxed,st-trusted" ] && ok "sqlite: one plugin_state row per instance" || not_ok "sqlite: one plugin_state row per instance" "$rows"
[ ! -e "$T/var/st-trusted.state" ] && ok "sqlite: no state file written" || not_ok "sqlite: no state file written"

# A state file of a quantd without a store is read until the next save.
setup quantd.db
printf '\005\000\000\000\000\000\000\000' > "$T/var/st-trusted.state"
rm -f "$T/quantd.d/sandboxed.json"
sed -i 's/"interval_ms": 2/"interval_ms": 100000/' "$T/quantd.d/feed.json"
start_daemon
if wait_for 10 grep -q "tag=st-trusted .*resuming after 5 crosses" "$T/quantd.log"; then ok "an old state file is still read"
else not_ok "an old state file is still read" "$(grep tag=st-trusted "$T/quantd.log" | head -3)"; fi
stop_daemon

if pg_start "$T/pg"; then
	setup "$PG_URL"
	run postgresql
	rows=$(pg_psql "SELECT count(*) FROM plugin_state WHERE instance NOT LIKE ':%'")
	[ "$rows" = 2 ] && ok "postgresql: one plugin_state row per instance" || not_ok "postgresql: one plugin_state row per instance" "$rows"
else
	not_ok "PostgreSQL server starts"
fi
finish
