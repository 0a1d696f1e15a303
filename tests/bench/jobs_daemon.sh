# jobs_daemon.sh -- sourced by the job benches after `set -eu` with $b (the
# build dir) set: jobs_daemon_dir TAG JOBS makes $t, a temporary daemon dir
# (removed at exit, with the daemon of $pid) holding the ta and ma-cross
# plugins and a config whose "jobs" object is JOBS, exports a JWT secret,
# and defines q, quantctl on that config.
jobs_daemon_dir() {
	t=$(mktemp -d "/tmp/qd-bench-$1-XXXXXX")
	pid=
	trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$t"' EXIT
	mkdir -p "$t/plugins" "$t/quantd.d" "$t/var"
	for f in ta ma-cross; do ln -s "$b/lib/plugins/$f.so" "$t/plugins/"; done
	QD_JWT=$(openssl rand -hex 32)
	export QD_JWT
	cat > "$t/quantd.json" <<JSON
{ "plugin_dirs": ["plugins"], "instances_dir": "quantd.d", "state_dir": "var",
  "listen": "127.0.0.1:0", "sandbox_helper": "$b/core/quantd-sandbox",
  "log": {"level": "info", "file": "quantd.log"},
  "storage": {"url": "quantd.db"}, "api": {"jwt_secret": "env:QD_JWT"},
  "jobs": $2 }
JSON
}
q() { "$b/core/quantctl" -c "$t/quantd.json" "$@"; }
