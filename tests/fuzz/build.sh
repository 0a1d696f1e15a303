#!/bin/sh
# build.sh [TARGET...] -- build libFuzzer binaries of tests/fuzz/fuzz_*.c with
# clang into tests/fuzz/bin/.  Each target names the sources it needs on a
# line "// sources: a.c b.c" (paths from the top of the tree) and, when it
# needs more libraries, a line "// libs: PKG..." (pkg-config names).
# Run one: tests/fuzz/bin/fuzz_json -max_total_time=300 tests/fuzz/corpus/json
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/fuzz/bin
mkdir -p "$out"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 -DQD_PLUGINDIR=\"/nonexistent\" -DQD_SYSCONFDIR=\"/nonexistent\" -DQD_LIBEXECDIR=\"/nonexistent\" -DQD_WEBDIR=\"/nonexistent\" \
 -I$top -I$top/sdk -I$top/core $(pkg-config --cflags libevent libcjson 2>/dev/null)"
libs="$(pkg-config --libs libevent libevent_pthreads libcjson libseccomp 2>/dev/null) -lm -ldl"
targets=${*:-$(cd "$top/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')}
for t in $targets; do
	src=$top/tests/fuzz/$t.c
	deps=$(sed -n 's|^// sources: ||p' "$src")
	pkgs=$(sed -n 's|^// libs: ||p' "$src")
	paths=""
	for d in $deps; do paths="$paths $top/$d"; done
	extra=""
	[ -z "$pkgs" ] || extra="$(pkg-config --cflags --libs $pkgs)"
	echo "clang $t"
	clang $cflags -o "$out/$t" "$src" $paths $libs $extra
done
