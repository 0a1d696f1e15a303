#!/bin/sh
# Configuration errors are reported all at once: every bad parameter of a
# file, and the parameter errors of good files next to a broken one; an
# instance naming no loaded plugin makes `config check` fail.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
for f in ta ma-cross; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
echo '{"plugin": "ma-cross", "instance": "a", "params": {"fast": 0, "slow": "x", "bogus": 1}}' > "$T/quantd.d/a.json"
echo '{"plugin": "ma-cross", "instance": "b", "enabled": "yes"}' > "$T/quantd.d/b.json"

ctl config check > "$T/out" 2> "$T/err"
rc=$?
check "config check fails" test "$rc" -eq 2
check "the broken file is reported" grep -q 'b.json:1:[0-9]*: \$.enabled: expected true or false, found string' "$T/err"
check "every bad parameter of the other file too: fast" grep -q 'a.json:1:[0-9]*: params.fast: 0 is out of range \[1, 10000\]' "$T/err"
check "slow" grep -q 'a.json:1:[0-9]*: params.slow: expected an integer, found string' "$T/err"
check "bogus" grep -q "a.json:1:[0-9]*: params.bogus: unknown parameter of plugin 'ma-cross'" "$T/err"
check "four problems in all" grep -qx '4 problem(s)' "$T/err"
"$QUANTD" -c "$T/quantd.json" --check-config > /dev/null 2> "$T/qerr"
check "quantd --check-config exits 2" test $? -eq 2
check "quantd --check-config reports the same four" sh -c "grep -qx 'quantd: 4 configuration problem(s)' '$T/qerr'"

rm "$T/quantd.d/a.json" "$T/quantd.d/b.json"
echo '{"plugin": "no-such-plugin", "instance": "c"}' > "$T/quantd.d/c.json"
ctl config check > "$T/out" 2> "$T/err"
rc=$?
check "an unknown plugin fails config check" test "$rc" -eq 2
check "naming it" grep -q 'c.json:1:[0-9]*: \$.plugin: no plugin named "no-such-plugin" is loaded' "$T/err"
rm "$T/quantd.d/c.json"
echo '{"plugin": "ma-cross", "instance": "d", "params": {"fast": 5, "slow": 20}}' > "$T/quantd.d/d.json"
check "a good configuration passes" ctl config check
# A CA file that cannot be read is named where the config names it.
sed -i 's|"state_dir": "var",|"state_dir": "var", "ca_file": "no-such-ca.pem",|' "$T/quantd.json"
ctl config check > "$T/out" 2> "$T/err"
check "an unreadable ca_file fails config check" test $? -eq 2
check "naming the file and the key" grep -q "quantd.json:[0-9]*:[0-9]*: \$.ca_file: cannot read .*no-such-ca.pem: No such file or directory" "$T/err"
finish
