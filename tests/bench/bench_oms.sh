#!/bin/sh
# bench_oms.sh -- order management written ahead, SQLite then a real
# PostgreSQL started here (tests/fakes/pg.sh).  Run from the top build dir.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
src=${QD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${QD_BENCH_ORDERS:-20000}
t=$(mktemp -d /tmp/qd-bench-oms-XXXXXX)
. "$src/tests/fakes/pg.sh"
trap 'pg_stop 2>/dev/null; rm -rf "$t"' EXIT
echo "== SQLite (synchronous=NORMAL: survives the process being killed)"
"$b/tests/bench/bench_oms" "$t/o.db" "$N"
if pg_start "$t/pg" >/dev/null 2>&1; then
	echo "== PostgreSQL 15 on a Unix socket"
	"$b/tests/bench/bench_oms" "$PG_URL" "$N"
else
	echo "== PostgreSQL: not installed, skipped"
fi
