# pg.sh -- a real PostgreSQL server for tests (sourced).
#
#   pg_start DIR    initdb into DIR/data (as the unprivileged `postgres`
#                   user when run as root: initdb refuses root), start it
#                   listening only on a Unix socket in DIR, create database
#                   `qd`; sets PG_URL (a postgresql:// URL quantd accepts)
#                   and PG_DIR.  Returns 1 when PostgreSQL is not installed.
#   pg_stop         stop it (fast) -- the data directory stays
#   pg_restart      stop and start again on the same socket
#   pg_psql SQL     run SQL in `qd`, unaligned output without headers
#
# Debian installs the server programs under /usr/lib/postgresql/VER/bin;
# pg_config (libpq-dev) does not say where, so the newest of those is used.
pg_bindir() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
	return 1
}

# Run as the server's user, from / (a caller's directory may be closed to
# that user, and psql would say so on every call).
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@")
	else
		"$@"
	fi
}

pg_start() {
	PG_BIN=$(pg_bindir) || return 1
	PG_DIR=$1
	PG_PORT=$((20000 + $$ % 20000))
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		# The server's user must reach its directory.
		chmod a+x "$(dirname "$PG_DIR")"
		chown postgres "$PG_DIR"
	fi
	chmod 700 "$PG_DIR"
	if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
		pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust \
			--no-sync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || {
			cat "$PG_DIR/initdb.log" >&2; return 1; }
	fi
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-c listen_addresses='' -k $PG_DIR -p $PG_PORT -c fsync=off -c full_page_writes=off" \
		start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
	PG_URL="postgresql:///qd?host=$PG_DIR&port=$PG_PORT&user=postgres"
	pg_as "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres \
		-qAtc "SELECT 1 FROM pg_database WHERE datname = 'qd'" | grep -q 1 ||
		pg_as "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U postgres qd
	export PG_URL PG_DIR PG_PORT PG_BIN
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
	return 0
}

pg_restart() {
	pg_stop
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-c listen_addresses='' -k $PG_DIR -p $PG_PORT -c fsync=off -c full_page_writes=off" \
		start >/dev/null
}

pg_psql() {
	pg_as "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d qd -qAtX \
		-v ON_ERROR_STOP=1 -c "$1"
}
