#!/bin/sh
# The storage contract suite against both backends: SQLite, then a real
# PostgreSQL server started here (tests/fakes/pg.sh) and stopped at the end.
. "$QD_SRCDIR/tests/integration/lib.sh"
. "$QD_SRCDIR/tests/fakes/pg.sh"
trap 'pg_stop; cleanup' EXIT

# The suite's count (cmocka's "[  PASSED  ] N test(s).") goes in the log.
passed() { printf '%s\n' "$1" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1 passed/p'; }

if out=$("$QD_BUILDDIR/tests/unit/test_store" 2>&1); then
	ok "contract suite on sqlite ($(passed "$out"))"
else
	not_ok "contract suite on sqlite" "$out"
fi
if ! pg_start "$T/pg"; then
	not_ok "PostgreSQL server starts (install the postgresql package)"
else
	if out=$("$QD_BUILDDIR/tests/unit/test_store" "$PG_URL" 2>&1); then
		ok "contract suite on postgresql ($(passed "$out"))"
	else
		not_ok "contract suite on postgresql" "$out"
	fi
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
