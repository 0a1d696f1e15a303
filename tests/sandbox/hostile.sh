#!/bin/sh
# The hostile-plugin suite: every hostile strategy runs sandboxed from a
# sandbox plugin directory (never loaded by the host) next to a well-behaved
# sandboxed strategy and a trusted one.  Each must be stopped for the right
# reason, named in the log; the host and the good instances keep running.
. "$QD_SRCDIR/tests/integration/lib.sh"

# Untrusted modules live in their own directory.
sandbox_config '*'
# What a constructor would leave behind, if one ever ran in the host.
rm -f /tmp/quantd-hostile-was-here
n=0
for name in ctor-socket ctor-write open-passwd create-file connect execve fork \
    ptrace kill-parent exec-map busy alloc stack null abort garbage truncated \
    oversized lying order-flood no-reply sleep log-flood x32 ctor-read \
    ctor-seccomp ctor-mprotect ctor-rwx create-rwx file-rwx run-mprotect forge \
    create-order bad-seq bad-level timers symbols snoop fail-orders; do
	n=$((n + 1))
	cat > "$T/quantd.d/h-$name.json" <<JSON
{"plugin": "hostile-$n", "instance": "h-$name", "exchange": "feed",
 "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "limits": {"restarts": 1, "cpu_ms_per_call": 300, "memory_mib": 64}}
JSON
done
# A thousand round trips in one call: time enough under sanitizers too
# (the order flood is stopped by its rate, long before).
sed -i 's/"cpu_ms_per_call": 300/"cpu_ms_per_call": 10000/' "$T/quantd.d/h-timers.json" "$T/quantd.d/h-symbols.json" \
    "$T/quantd.d/h-order-flood.json"
# A second instance of the same plugin: accounts are per instance.
sed 's/h-snoop/h-snoop2/' "$T/quantd.d/h-snoop.json" > "$T/quantd.d/h-snoop2.json"
echo '{"plugin": "sma-cross-example", "instance": "good-sandboxed", "trust": "sandboxed", "exchange": "feed", "symbols": ["BTC/USDT"], "params": {"fast": 3, "slow": 8}}' > "$T/quantd.d/good-s.json"
echo '{"plugin": "sma-cross-example", "instance": "good-trusted", "exchange": "feed", "symbols": ["BTC/USDT"], "params": {"fast": 3, "slow": 8}}' > "$T/quantd.d/good-t.json"

# A secret in the daemon's environment must not reach any child.
export QD_TEST_SECRET_TOKEN=do-not-leak-4711
start_daemon || { not_ok "daemon starts" "$(cat "$T/stderr")"; finish; exit 1; }
ok "daemon starts with 39 hostile plugins configured"

# Look at a live child from outside: exactly fd 3, an empty environment.
child=$(pgrep -P "$QD_PID" -f quantd-sandbox | head -1)
if [ -n "$child" ]; then
	fds=$(ls /proc/"$child"/fd 2>/dev/null | tr '\n' ' ')
	if [ "$fds" = "3 " ]; then ok "child holds exactly fd 3"; else not_ok "child holds exactly fd 3" "fds: $fds"; fi
	if [ ! -s /proc/"$child"/environ ]; then ok "child environment is empty"; else not_ok "child environment is empty"; fi
else
	not_ok "a sandbox child is running"
fi

sleep 4
# The children that wait instead of computing are stopped by the wall
# backstop (ten times cpu_ms_per_call).
wait_for 30 log_has 'tag=h-no-reply msg="sandboxed plugin hostile-21 stopped'
wait_for 30 log_has 'tag=h-truncated msg="sandboxed plugin hostile-17 stopped'
reason() {
	# reason INSTANCE TEXT: the log says INSTANCE was stopped for TEXT
	if grep -F "tag=$1 msg=\"sandboxed plugin" "$T/quantd.log" | grep -qF "stopped: $2"; then
		ok "$1: $2"
	else
		not_ok "$1: $2" "$(grep -F "tag=$1 " "$T/quantd.log" | tail -3)"
	fi
}
refused() {
	if grep -qF "untrusted/hostile-$3.so refused: while loading in the sandbox: $2" "$T/quantd.log"; then
		ok "constructor of $3 contained: $2"
	else
		not_ok "constructor of $3 contained: $2" "$(grep -F "hostile-$3.so" "$T/quantd.log")"
	fi
}
refused 1 "forbidden syscall socket" ctor-socket
refused 2 "forbidden syscall openat" ctor-write
check "a constructor never ran in the host" test ! -e /tmp/quantd-hostile-was-here
check "open-passwd: no host file or environment to read" grep -q 'tag=h-open-passwd msg="host files readable: 0;' "$T/quantd.log"
reason h-create-file "forbidden syscall creat"
reason h-connect "forbidden syscall socket"
reason h-execve "forbidden syscall execve"
reason h-fork "forbidden syscall clone"
reason h-ptrace "forbidden syscall ptrace"
reason h-kill-parent "forbidden syscall kill"
reason h-exec-map "forbidden syscall mmap"
reason h-busy "no reply within the deadline"
# Under AddressSanitizer its own crash handler runs first and trips the
# filter (write to fd 2, sigaltstack, readlink): contained all the same.
if nm "$QD_BUILDDIR/core/quantd-sandbox" 2>/dev/null | grep -q __asan_init; then
	reason h-stack "forbidden syscall"
	reason h-null "forbidden syscall"
	reason h-abort "forbidden syscall"
else
	reason h-stack "killed by SIGSEGV"
	reason h-null "killed by SIGSEGV"
	reason h-abort "forbidden syscall rt_sigprocmask"
fi
reason h-garbage "frame longer than 1 MiB"
reason h-truncated "no reply within the deadline"
reason h-oversized "frame longer than 1 MiB"
reason h-lying "malformed frame from the child"
reason h-order-flood "order flood"
reason h-no-reply "no reply within the deadline"
reason h-sleep "forbidden syscall clock_nanosleep"
reason h-log-flood "log flood"
reason h-x32 "killed by SIGSYS"
# No plugin code runs while seccomp() is allowed: a constructor's own
# filter (one that would swallow the host's) is itself forbidden.
refused 26 "forbidden syscall seccomp" ctor-seccomp
# W^X in constructors, create() and at run time.
refused 27 "forbidden syscall mprotect" ctor-mprotect
refused 28 "forbidden syscall mmap" ctor-rwx
reason h-create-rwx "forbidden syscall mmap"
check "create-rwx: the instance failed to start" grep -q 'tag=h-create-rwx msg="instance failed: sandbox: sandbox did not start: forbidden syscall mmap' "$T/quantd.log"
check "create-rwx: create never went on with RWX memory" sh -c "! grep -q 'create rwx mmap survived' '$T/quantd.log'"
reason h-file-rwx "forbidden syscall mmap"
check "file-rwx: no writable executable file mapping" sh -c "! grep -q 'file rwx mmap survived' '$T/quantd.log'"
reason h-run-mprotect "forbidden syscall mprotect"
# The reason comes from the kernel, never from the child.
reason h-forge "unexpected frame F_RETIRED from the child"
check "forge: a child's claim of a violation is not believed" sh -c "! grep -q 'tag=h-forge .*forbidden syscall' '$T/quantd.log'"
# Frames each call state allows; sequence numbers; log levels.
reason h-create-order "frame F_ORDER_SUBMIT not allowed while creating"
check "create-order: the instance failed to start" grep -q 'tag=h-create-order msg="instance failed: sandbox' "$T/quantd.log"
reason h-bad-seq "frame out of sequence (expected 3, got 0)"
reason h-bad-level "invalid log level 99"
# Quotas on what a child can make the host hold.
check "timers: refused at the quota" grep -q 'tag=h-timers msg="timers refused after 1024: limit reached"' "$T/quantd.log"
check "timers: the quota is logged once" test "$(grep -c 'tag=h-timers msg="quota: ' "$T/quantd.log")" -eq 1
check "symbols: refused at the quota" grep -q 'tag=h-symbols msg="symbols refused after 1024"' "$T/quantd.log"
# Accounts per instance: each snoop sees only its own buy.
for inst in h-snoop h-snoop2; do
	if wait_for 30 grep -q "tag=$inst msg=\"snoop " "$T/quantd.log" &&
	    grep -q "tag=$inst msg=\"snoop qty=0.01 spent=own " "$T/quantd.log"; then
		ok "$inst: own position and account"
	else
		not_ok "$inst: own position and account" "$(grep "tag=$inst " "$T/quantd.log" | tail -5)"
	fi
done
check "fail-orders: a failed instance's open orders are cancelled" grep -Eq 'tag=h-fail-orders msg="cancelled [1-9][0-9]* open order' "$T/quantd.log"
# A constructor's read-only open passes the filter, but the child's
# file system holds nothing but the modules it loads.
if grep -q 'tag=h-ctor-read msg="ctor open(): fd=-1 errno=2"' "$T/quantd.log"; then
	ok "constructor found no /etc/passwd to read"
else
	not_ok "constructor found no /etc/passwd to read" "$(grep -F 'tag=h-ctor-read' "$T/quantd.log" | tail -3)"
fi
# Memory: the plugin cannot go past its limit (AddressSanitizer builds
# cannot cap address space, see child.c, so only check when uncapped).
if nm "$QD_BUILDDIR/core/quantd-sandbox" 2>/dev/null | grep -q __asan_init; then
	ok "alloc: skipped under AddressSanitizer (no RLIMIT_AS)"
else
	mib=$(sed -n 's/.*tag=h-alloc msg="allocation refused after \([0-9]*\) MiB".*/\1/p' "$T/quantd.log" | head -1)
	if [ -n "$mib" ] && [ "$mib" -lt 64 ]; then ok "alloc: refused after $mib MiB of a 64 MiB limit"; else not_ok "alloc contained" "mib=$mib"; fi
fi
check "restarts with backoff before giving up" grep -q "tag=h-null msg=\"sandboxed plugin hostile-14 restarted (1 of 1)" "$T/quantd.log"
check "gives up after the restart budget" grep -q "tag=h-null msg=\"sandboxed plugin hostile-14 failed: 1 restart(s) used up" "$T/quantd.log"

ctl plugin list > "$T/list.txt"
check "plugin list shows the hostile instance failed" grep -Eq '^hostile-14 .* h-null +sandboxed +failed' "$T/list.txt"
check "good sandboxed instance still running" grep -Eq ' good-sandboxed +sandboxed +running' "$T/list.txt"
check "good trusted instance still running" grep -Eq ' good-trusted +trusted +running' "$T/list.txt"
check "the secret never reached the log" sh -c "! grep -q do-not-leak-4711 '$T/quantd.log'"
# The metrics count what the log told: violations, the restart, the
# instances given up on.
ctl metrics > "$T/metrics.txt"
atleast() { awk -v s="$1" -v n="$2" '$1 == s { f = $2 >= n } END { exit !f }' "$T/metrics.txt"; }
check "metrics: sandbox violations counted" atleast quantd_sandbox_violations_total 10
check "metrics: the restart counted" atleast quantd_sandbox_restarts_total 1
check "metrics: children lost counted" atleast quantd_sandbox_children_lost_total 10
check "metrics: instances given up on counted" atleast quantd_sandbox_failures_total 10
check "metrics: failed instances by state" atleast 'quantd_plugin_instances{state="failed"}' 10
if stop_daemon; then ok "host survives and exits 0"; else not_ok "host exits 0"; fi

# quantctl backtest --sandbox with a module given by path: described and
# run only in a confined child, never opened by quantctl itself.
rm -f /tmp/quantd-hostile-was-here
"$QUANTCTL" data synth --bars 300 --seed 3 > "$T/bars.csv"
if ctl backtest --strategy "$T/untrusted/hostile-ctor-write.so" --sandbox \
    --data "$T/bars.csv" > "$T/bt.out" 2>&1; then
	not_ok "backtest --sandbox of a hostile path fails"
else
	ok "backtest --sandbox of a hostile path fails"
fi
check "backtest --sandbox: the constructor was contained" grep -q "forbidden syscall openat" "$T/bt.out"
check "backtest --sandbox: the constructor never ran in quantctl" test ! -e /tmp/quantd-hostile-was-here
ctl plugin info "$T/untrusted/hostile-ctor-write.so" > "$T/pi.out" 2>&1
check "plugin info PATH.so: the constructor was contained" grep -q "forbidden syscall openat" "$T/pi.out"
check "plugin info PATH.so: the constructor never ran in quantctl" test ! -e /tmp/quantd-hostile-was-here
# An out-of-tree strategy: its module is in no plugin directory.
mkdir -p "$T/bt/plugins" "$T/bt/mine"
ln -s "$QD_BUILDDIR/lib/plugins/ta.so" "$T/bt/plugins/"
cp "$QD_BUILDDIR/lib/plugins/sma-cross-example.so" "$T/bt/mine/"
sed 's|"plugin_dirs": \["plugins"\],|"plugin_dirs": ["bt/plugins"],|' "$T/quantd.json" > "$T/bt.json"
"$QUANTCTL" -c "$T/bt.json" backtest --strategy "$T/bt/mine/sma-cross-example.so" \
    --data "$T/bars.csv" --json > "$T/bt-in.json" 2>"$T/bt-in.err"
"$QUANTCTL" -c "$T/bt.json" backtest --strategy "$T/bt/mine/sma-cross-example.so" \
    --sandbox --data "$T/bars.csv" --json > "$T/bt-sb.json" 2>"$T/bt-sb.err"
if [ -s "$T/bt-in.json" ] && cmp -s "$T/bt-in.json" "$T/bt-sb.json"; then
	ok "backtest of a path: sandboxed equals in-process"
else
	not_ok "backtest of a path: sandboxed equals in-process" "$(cat "$T/bt-sb.err")"
fi
finish
