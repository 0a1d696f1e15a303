#!/bin/sh
# The example strategy builds out of tree against the INSTALLED SDK (header
# and quantd-sdk.pc, nothing else), loads, and runs in the daemon; the same
# source built against an SDK claiming ABI 2 is refused with the fix, while
# the daemon keeps serving the good one.
. "$QD_SRCDIR/tests/integration/lib.sh"

# An SDK installed under $T/root the way `make install` lays it out: the
# header and quantd-sdk.pc (CI also builds the example against the real
# installation in /usr/local).
root=$T/root
mkdir -p "$root/include/quantd" "$root/lib/pkgconfig"
cp "$QD_SRCDIR/sdk/quantd/sdk.h" "$root/include/quantd/"
sed -e "s|^prefix=.*|prefix=$root|" -e "s|^exec_prefix=.*|exec_prefix=$root|" \
    -e "s|^includedir=.*|includedir=$root/include|" -e "s|^libdir=.*|libdir=$root/lib|" \
    "$QD_BUILDDIR/sdk/quantd-sdk.pc" > "$root/lib/pkgconfig/quantd-sdk.pc"
export PKG_CONFIG_PATH=$root/lib/pkgconfig
check "pkg-config finds the installed SDK" pkg-config --exists quantd-sdk
cflags=$(pkg-config --cflags quantd-sdk)
case $cflags in
-I$root/*) ok "cflags point into the installed tree" ;;
*) not_ok "cflags point into the installed tree" "$cflags" ;;
esac

cp -r "$QD_SRCDIR/sdk/example" "$T/example"
chmod -R u+w "$T/example"
if MAKEFLAGS= MFLAGS= make -s -C "$T/example" >"$T/build.txt" 2>&1; then ok "example builds out of tree with -Wl,--no-undefined"; else not_ok "example builds" "$(cat "$T/build.txt")"; fi
nm -D --defined-only "$T/example/sma-cross-example.so" > "$T/syms.txt" 2>&1
check "the plugin exports qd_module" grep -q ' D qd_module$' "$T/syms.txt"
check "and nothing else of its own" sh -c "! grep -v ' qd_module\$' '$T/syms.txt' | grep -q ' [A-TV-Z] '"

# The author's loop before installing: the local .so by path, ahead of the
# installed plugin of the same name, in-process and sandboxed alike.
"$QUANTCTL" data synth --bars 3000 --seed 1 > "$T/bars.csv"
make_config
ln -s "$QD_BUILDDIR/lib/plugins/ta.so" "$QD_BUILDDIR/lib/plugins/sma-cross-example.so" "$T/plugins/"
(cd "$T/example" && "$QUANTCTL" -c "$T/quantd.json" plugin info ./sma-cross-example.so) > "$T/pinfo.txt" 2>&1
check "plugin info ./x.so reads the local module" grep -q 'file: *\./sma-cross-example.so' "$T/pinfo.txt"
(cd "$T/example" && "$QUANTCTL" -c "$T/quantd.json" --log-level info backtest --strategy ./sma-cross-example.so \
    --param fast=5 --param slow=20 --data "$T/bars.csv" --json) > "$T/local.json" 2> "$T/local.err"
(cd "$T/example" && "$QUANTCTL" -c "$T/quantd.json" backtest --strategy ./sma-cross-example.so \
    --param fast=5 --param slow=20 --data "$T/bars.csv" --json --sandbox) > "$T/local-sb.json" 2> "$T/local-sb.err"
check "the local .so backtests ahead of the installed one" grep -q '"final_equity":' "$T/local.json"
check "with its info lines shown" grep -q 'level=info tag=sma-cross-example' "$T/local.err"
check "and sandboxed gives the same bytes" cmp "$T/local.json" "$T/local-sb.json"
rm -rf "$T/plugins" "$T/quantd.d" "$T/var" "$T/quantd.json"

# The same source against an SDK that says ABI 2.
mkdir -p "$T/abi2/quantd"
sed 's/^#define QD_ABI_MAJOR 1$/#define QD_ABI_MAJOR 2/' "$(pkg-config --variable=includedir quantd-sdk)/quantd/sdk.h" > "$T/abi2/quantd/sdk.h"
check "ABI 2 header differs" grep -q 'define QD_ABI_MAJOR 2' "$T/abi2/quantd/sdk.h"
mkdir -p "$T/abi2build"
cc -std=c11 -I"$T/abi2" -fPIC -shared -Wl,--no-undefined -o "$T/abi2build/sma-cross-abi2.so" \
	"$T/example/example.c" -lm 2>"$T/abi2.txt" || not_ok "abi2 build" "$(cat "$T/abi2.txt")"

make_config
ln -s "$T/example/sma-cross-example.so" "$T/plugins/"
ln -s "$T/abi2build/sma-cross-abi2.so" "$T/plugins/"
ln -s "$QD_BUILDDIR/plugins/ta/.libs/ta.so" "$T/plugins/"
ln -s "$QD_BUILDDIR/plugins/exchange-replay/.libs/exchange-replay.so" "$T/plugins/"
cat > "$T/quantd.d/replay.json" <<'JSON'
{"plugin": "replay", "instance": "feed", "params": {"interval_ms": 5}}
JSON
cat > "$T/quantd.d/demo.json" <<'JSON'
{"plugin": "sma-cross-example", "instance": "demo", "exchange": "feed",
 "symbols": ["BTC/USDT"], "timeframes": ["1m"], "params": {"fast": 3, "slow": 8}}
JSON

ctl plugin list > "$T/offline.txt" 2>&1
check "offline plugin list shows the out-of-tree plugin" grep -Eq "^sma-cross-example +strategy +1\.0\.0 +$QD_ABI_RE +demo +trusted +not running +$T/plugins/sma-cross-example.so" "$T/offline.txt"
start_daemon || { not_ok "daemon starts" "$(cat "$T/stderr")"; finish; exit 1; }
check "ABI 2 build refused with the fix" wait_for 5 log_has "sma-cross-abi2.so refused: built for SDK ABI 2.$QD_ABI_MINOR, this quantd provides ABI $QD_ABI (major versions must match); rebuild the plugin against quantd-sdk 1.x"
if wait_for 10 log_has "tag=demo msg=\"[A-Z/]* \\(golden\\|death\\) cross"; then ok "example strategy trades on streamed bars"; else not_ok "example strategy sees crosses" "$(tail -20 "$T/quantd.log")"; fi
if wait_for 10 log_has "tag=demo msg=\"filled 0.01 @ "; then ok "its orders fill on the daemon's paper account"; else not_ok "orders fill on paper" "$(grep tag=demo "$T/quantd.log" | tail -5)"; fi
ctl plugin list > "$T/list.txt"
check "plugin list: example running" grep -Eq "^sma-cross-example +strategy +1\\.0\\.0 +$QD_ABI_RE +demo +trusted +running" "$T/list.txt"
check "plugin list: abi2 refused" grep -Eq 'refused +.*sma-cross-abi2\.so' "$T/list.txt"
if stop_daemon; then ok "SIGTERM exits 0"; else not_ok "SIGTERM exits 0"; fi
finish
