#!/bin/sh
# The daemon's store under stress, with the replay exchange streaming many
# series into it:
#   1. SQLite, kill -9 at random moments of heavy ingest, 20 times on the
#      same database: it stays intact, keys never duplicate, rows only grow
#      and every series stays a gap-free prefix of the feed;
#   2. PostgreSQL restarted mid-ingest: the daemon reconnects and, after a
#      graceful stop, nothing is lost or duplicated;
#   3. disk full (a small tmpfs as state_dir): the daemon keeps running and
#      answering, writes again once there is room, and loses nothing.
# Set QD_SEED to replay the kill moments of a failed run; KEEP=1 keeps $T.
. "$QD_SRCDIR/tests/integration/lib.sh"
. "$QD_SRCDIR/tests/fakes/pg.sh"

MNT=
is_mounted() { [ -n "$1" ] && awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/mounts; }
teardown() {
	if [ -n "$QD_PID" ] && kill -0 "$QD_PID" 2>/dev/null; then
		kill -KILL "$QD_PID" 2>/dev/null
		wait "$QD_PID" 2>/dev/null
	fi
	QD_PID=
	pg_stop
	if is_mounted "$MNT"; then
		[ -n "${KEEP:-}" ] && cp -a "$MNT" "$MNT.kept" 2>/dev/null
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	cleanup
}
trap teardown EXIT
trap 'exit 1' HUP INT TERM

START_MS=1704067200000          # the replay feed's first open time
SYMS20='"AAA/USDT"'
for s in BBB CCC DDD EEE FFF GGG HHH III JJJ KKK LLL MMM NNN OOO PPP QQQ RRR SSS TTT; do
	SYMS20="$SYMS20, \"$s/USDT\""
done
SYMS5='"AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT", "EEE/USDT"'

# store_config STORAGE_JSON INTERVAL_MS SYMBOLS: the daemon config with that
# "storage" object and one replay instance "feed" streaming 1m bars of
# SYMBOLS (a JSON list body) every INTERVAL_MS; a fresh state_dir and log.
store_config() {
	make_config
	cat > "$T/quantd.json" <<JSON
{
  "plugin_dirs": ["plugins"],
  "instances_dir": "quantd.d",
  "state_dir": "var",
  "listen": "127.0.0.1:0",
  "sandbox_helper": "$QD_BUILDDIR/core/quantd-sandbox",
  "storage": $1,
  "log": {"level": "debug", "file": "quantd.log"}
}
JSON
	ln -sf "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
	cat > "$T/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": [$3], "timeframes": ["1m"],
 "params": {"interval_ms": $2, "seed": 7}}
JSON
	rotate_log
}

# Earlier runs' lines go to quantd.log.old, so `ready` and every other log
# check are about the daemon started next.
rotate_log() {
	if [ -f "$T/quantd.log" ]; then
		cat "$T/quantd.log" >> "$T/quantd.log.old"
		rm -f "$T/quantd.log"
	fi
}

# store_stats: the daemon's store counters (quantctl data stats --json).
store_stats() {
	"$QUANTCTL" -c "$T/quantd.json" --json data stats
}

# stats_check NAME PATTERN: store.stats matches the shell PATTERN.
stats_check() {
	st=$(store_stats 2>&1)
	echo "# store.stats $st"
	case $st in
	$2) ok "$1" ;;
	*) not_ok "$1" "$st" ;;
	esac
}

# The store's invariants as queries valid in SQLite and PostgreSQL.
Q_COUNT="SELECT count(*) FROM candles"
Q_DUPS="SELECT count(*) FROM (SELECT exchange, symbol, timeframe, open_time,
	count(*) AS c FROM candles GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"
# Series not a gap-free prefix of the feed: a hole, or a missing start.
Q_HOLES="SELECT exchange || ' ' || symbol || ' ' || timeframe || ': ' ||
	count(*) || ' rows, ' || min(open_time) || '..' || max(open_time)
	FROM candles GROUP BY exchange, symbol, timeframe
	HAVING count(*) <> (max(open_time) - min(open_time)) / 60000 + 1
	    OR min(open_time) <> $START_MS"
Q_SERIES="SELECT count(DISTINCT symbol) FROM candles"

sq() { sqlite3 "$T/var/quantd.db" "$1"; }
sq_rows() { n=$(sq "$Q_COUNT" 2>/dev/null) && [ "${n:-0}" -gt 0 ]; }
pg_rows() { n=$(pg_psql "$Q_COUNT" 2>/dev/null) && [ "${n:-0}" -gt 0 ]; }
# pg_newer MS: PostgreSQL has a candle opening after MS.
pg_newer() {
	n=$(pg_psql "SELECT coalesce(max(open_time), 0) FROM candles" 2>/dev/null) &&
		[ "${n:-0}" -gt "$1" ]
}

# Lines that say queued rows were given up.
LOST_RE='could not be written|rows not written|dropping the oldest'

# ---- 1. SQLite: kill -9 during heavy ingest, 20 times -------------------

KILLS=20
SEED=${QD_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# kill moments from QD_SEED=$SEED"
DELAYS=$(awk -v s="$SEED" -v n="$KILLS" 'BEGIN { srand(s);
	for (i = 0; i < n; i++) printf "%.2f\n", 0.2 + 0.8 * rand() }')
store_config '{"url": "quantd.db", "flush_rows": 1000, "flush_ms": 50}' 1 "$SYMS20"
prev=0 round=0 started=0
bad_int= bad_dup= bad_grow= bad_hole= bad_start=
for d in $DELAYS; do
	round=$((round + 1))
	rotate_log
	if ! start_daemon; then
		bad_start="round $round: the daemon did not come up
$(cat "$T/stderr"; tail -20 "$T/quantd.log" 2>/dev/null)"
		break
	fi
	started=$((started + 1))
	# The first round makes sure something reaches the database at all.
	[ "$round" -eq 1 ] && wait_for 30 sq_rows
	sleep "$d"
	if ! kill -0 "$QD_PID" 2>/dev/null; then
		wait "$QD_PID"
		bad_start="round $round: the daemon exited by itself (status $?)
$(cat "$T/stderr"; tail -20 "$T/quantd.log")"
		QD_PID=
		break
	fi
	kill -KILL "$QD_PID"
	wait "$QD_PID" 2>/dev/null
	QD_PID=
	r=$(sq "PRAGMA integrity_check" 2>&1)
	[ "$r" = ok ] || bad_int="$bad_int
round $round (after ${d}s): $r"
	r=$(sq "$Q_DUPS" 2>&1)
	[ "$r" = 0 ] || bad_dup="$bad_dup
round $round: $r duplicate keys"
	n=$(sq "$Q_COUNT" 2>&1)
	case $n in
	''|*[!0-9]*) bad_grow="$bad_grow
round $round: count failed: $n"; n=$prev ;;
	*) [ "$n" -ge "$prev" ] || bad_grow="$bad_grow
round $round: $prev rows before, $n after"; prev=$n ;;
	esac
	r=$(sq "$Q_HOLES" 2>&1)
	[ -z "$r" ] || bad_hole="$bad_hole
round $round (after ${d}s):
$r"
done
echo "# sqlite: $started runs killed, $prev rows in $(sq "$Q_SERIES") series at the end"
if [ -z "$bad_start" ]; then ok "sqlite: the daemon starts again after each of $KILLS kill -9"
else not_ok "sqlite: the daemon starts again after each kill -9" "$bad_start"; fi
if [ "$prev" -gt 0 ]; then ok "sqlite: heavy ingest stored candles"
else not_ok "sqlite: heavy ingest stored candles" "$(tail -20 "$T/quantd.log")"; fi
if [ -z "$bad_int" ]; then ok "sqlite: integrity_check ok after every kill"
else not_ok "sqlite: integrity_check ok after every kill" "$bad_int"; fi
if [ -z "$bad_dup" ]; then ok "sqlite: no duplicate keys after any kill"
else not_ok "sqlite: no duplicate keys after any kill" "$bad_dup"; fi
if [ -z "$bad_grow" ]; then ok "sqlite: rows only grow across restarts"
else not_ok "sqlite: rows only grow across restarts" "$bad_grow"; fi
if [ -z "$bad_hole" ]; then ok "sqlite: every series a gap-free prefix of the feed after every kill"
else not_ok "sqlite: every series a gap-free prefix of the feed after every kill" "$bad_hole"; fi

# ---- 2. PostgreSQL restarted mid-ingest ----------------------------------

rm -rf "$T/var"
if ! pg_start "$T/pg"; then
	not_ok "PostgreSQL server starts (install the postgresql package)"
else
	store_config "{\"url\": \"$PG_URL\", \"flush_ms\": 50}" 5 "$SYMS5"
	if ! start_daemon; then
		not_ok "pg: daemon starts" "$(cat "$T/stderr"; tail -20 "$T/quantd.log")"
	else
		wait_for 30 pg_rows
		before=$(pg_psql "SELECT coalesce(max(open_time), 0) FROM candles")
		echo "# pg: $(pg_psql "$Q_COUNT") rows before the restart"
		if pg_restart; then ok "pg: server restarted under the daemon"
		else not_ok "pg: server restarted under the daemon" "$(tail -20 "$PG_DIR/server.log")"; fi
		if wait_for 30 log_has 'tag=store msg="reconnected to the database"'; then
			ok "pg: the daemon logs that it reconnected"
		else
			not_ok "pg: the daemon logs that it reconnected" "$(grep 'tag=store' "$T/quantd.log" | tail -20)"
		fi
		if wait_for 30 log_has 'tag=store msg="writing again"'; then
			ok "pg: the daemon logs that it writes again"
		else
			not_ok "pg: the daemon logs that it writes again" "$(grep 'tag=store' "$T/quantd.log" | tail -20)"
		fi
		# Candles newer than any before the restart: written after it.
		if wait_for 30 pg_newer "$before"; then
			ok "pg: new candles stored after the restart"
		else
			not_ok "pg: new candles stored after the restart" "$(grep 'tag=store' "$T/quantd.log" | tail -20)"
		fi
		check "pg: the daemon kept running" kill -0 "$QD_PID"
		stats_check "pg: store.stats: a reconnect counted, nothing dropped" \
			'*"reconnects":[1-9]*"dropped":0,*'
		if stop_daemon; then ok "pg: graceful stop"; else not_ok "pg: graceful stop" "$(tail -20 "$T/quantd.log")"; fi
		echo "# pg: $(pg_psql "$Q_COUNT") rows in $(pg_psql "$Q_SERIES") series after the stop"
		r=$(pg_psql "$Q_DUPS" 2>&1)
		if [ "$r" = 0 ]; then ok "pg: no duplicate keys"; else not_ok "pg: no duplicate keys" "$r"; fi
		r=$(pg_psql "$Q_HOLES" 2>&1)
		s=$(pg_psql "$Q_SERIES" 2>&1)
		if [ -z "$r" ] && [ "$s" = 5 ]; then ok "pg: all 5 series gap-free prefixes of the feed (nothing lost)"
		else not_ok "pg: all 5 series gap-free prefixes of the feed (nothing lost)" "$s series
$r"; fi
		if grep -Eq "$LOST_RE" "$T/quantd.log"; then
			not_ok "pg: no rows given up" "$(grep -E "$LOST_RE" "$T/quantd.log")"
		else
			ok "pg: no rows given up"
		fi
	fi
	pg_stop
fi

# ---- 3. Disk full: a small tmpfs as state_dir ----------------------------

rm -rf "$T/var"
mkdir -p "$T/var"
if [ "$(id -u)" -ne 0 ]; then
	ok "disk full: daemon survives and resumes # SKIP not root (mounts a tmpfs)"
elif ! mount -t tmpfs -o size=3m,mode=0755 tmpfs "$T/var"; then
	not_ok "disk full: mount a 3 MB tmpfs as state_dir"
else
	MNT=$T/var
	store_config '{"url": "quantd.db", "flush_rows": 1000, "flush_ms": 50}' 1 "$SYMS20"
	if ! start_daemon; then
		not_ok "full: daemon starts" "$(cat "$T/stderr"; tail -20 "$T/quantd.log")"
	else
		if wait_for 30 log_has 'tag=store msg="write failed'; then
			if log_has 'tag=store msg="write failed, will retry: .*full'; then
				ok "full: the write failure is logged as disk full"
			else
				not_ok "full: the write failure is logged as disk full" "$(grep 'tag=store' "$T/quantd.log" | tail -5)"
			fi
			echo "# full: $(df -k "$MNT" | tail -1)"
			check "full: the daemon is alive while the disk is full" kill -0 "$QD_PID"
			if out=$(ctl plugin list 2>&1); then ok "full: the daemon answers its control socket"
			else not_ok "full: the daemon answers its control socket" "$out"; fi
			stats_check "full: store.stats reports the store unhealthy" \
				'*"healthy":false*'
			mount -o remount,size=64m "$MNT"
			if wait_for 30 log_has 'tag=store msg="writing again"'; then
				ok "full: writing resumes once there is room"
			else
				not_ok "full: writing resumes once there is room" "$(grep 'tag=store' "$T/quantd.log" | tail -20)"
			fi
			stats_check "full: store.stats: nothing dropped" '*"dropped":0,*'
		else
			not_ok "full: a write failure on the full disk is logged" "$(df -k "$MNT"; grep 'tag=store' "$T/quantd.log" | tail -20)"
		fi
		if stop_daemon; then ok "full: graceful stop"; else not_ok "full: graceful stop" "$(tail -20 "$T/quantd.log")"; fi
		echo "# full: $(sq "$Q_COUNT") rows in $(sq "$Q_SERIES") series after the stop"
		r=$(sq "PRAGMA integrity_check" 2>&1)
		if [ "$r" = ok ]; then ok "full: integrity_check ok"; else not_ok "full: integrity_check ok" "$r"; fi
		r=$(sq "$Q_DUPS" 2>&1)
		if [ "$r" = 0 ]; then ok "full: no duplicate keys"; else not_ok "full: no duplicate keys" "$r"; fi
		r=$(sq "$Q_HOLES" 2>&1)
		s=$(sq "$Q_SERIES" 2>&1)
		if [ -z "$r" ] && [ "$s" = 20 ]; then ok "full: all 20 series gap-free prefixes of the feed (nothing lost)"
		else not_ok "full: all 20 series gap-free prefixes of the feed (nothing lost)" "$s series
$r"; fi
		if grep -Eq "$LOST_RE" "$T/quantd.log"; then
			not_ok "full: no rows given up" "$(grep -E "$LOST_RE" "$T/quantd.log")"
		else
			ok "full: no rows given up"
		fi
	fi
fi

finish
