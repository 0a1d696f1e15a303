#!/bin/sh
# The API server: health and readiness, the OpenAPI document, the
# dashboard's static files with their security headers, CORS only for the
# configured origins, JSON errors for every refusal, and hostile clients
# (tests/integration/api_hostile.py) that leave it serving.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
mkdir -p "$T/www/assets"
echo '<!doctype html><title>quantd</title>' > "$T/www/index.html"
echo 'console.log(1)' > "$T/www/assets/app.js"
echo 'hidden' > "$T/www/.hidden"
echo 'outside' > "$T/outside.txt"
ln -s "$T" "$T/www/link-out"
sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "api": {"static_dir": "www", "cors_origins": ["https://dash.example"], "timeout_s": 3, "body_max": 65536},|' "$T/quantd.json"
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
check "the API listens (port from the log)" test -n "$port"
U=http://127.0.0.1:$port

code() { curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' "$@"; }
hdr() { grep -qi "^$1" "$T/head"; }

check "/healthz is 200" test "$(code "$U/healthz")" = 200
check "/readyz is 200 once ready" test "$(code "$U/readyz")" = 200
check "/readyz says ready" grep -q '"status":"ready"' "$T/body"
check "the OpenAPI document is served" test "$(code "$U/api/v1/openapi.json")" = 200
check "it is OpenAPI 3.1" python3 -c "import json,sys; d=json.load(open('$T/body')); sys.exit(d['openapi'] != '3.1.0')"
check "API answers are not cached" hdr 'cache-control: no-store'
check "nosniff on every answer" hdr 'x-content-type-options: nosniff'
check "frames denied" hdr 'x-frame-options: DENY'
check "a strict CSP on API answers" hdr "content-security-policy: default-src 'none'"
check "no HSTS without TLS" sh -c "! grep -qi strict-transport '$T/head'"

check "/ serves index.html" test "$(code "$U/")" = 200
check "as HTML" hdr 'content-type: text/html'
check "with the dashboard's CSP" hdr "content-security-policy: default-src 'self'"
check "a script file" test "$(code "$U/assets/app.js")" = 200
check "as JavaScript" hdr 'content-type: text/javascript'
check "an app route falls back to index.html" test "$(code "$U/chart/BTC-USDT")" = 200
check "a missing file with an extension is 404" test "$(code "$U/missing.css")" = 404
check "as JSON" grep -q '"error":{"code":"not_found"' "$T/body"
check "POST to a static path is 405" test "$(code -X POST -d x "$U/index.html")" = 405

check "CORS: the configured origin is allowed" test "$(code -H 'Origin: https://dash.example' "$U/healthz")" = 200
check "CORS: allow-origin names it" hdr 'access-control-allow-origin: https://dash.example'
code -H 'Origin: https://evil.example' "$U/healthz" > /dev/null
check "CORS: another origin gets no allow-origin" sh -c "! grep -qi access-control-allow-origin '$T/head'"
check "a preflight is 204" test "$(code -X OPTIONS -H 'Origin: https://dash.example' -H 'Access-Control-Request-Method: POST' "$U/api/v1/emergency-close")" = 204
check "a preflight says the methods" hdr 'allow: .*POST'

check "a protected route is 401 without credentials" test "$(code "$U/api/v1/plugins")" = 401
check "as a JSON error" grep -q '"error":{"code":"unauthorized"' "$T/body"
check "405 names the allowed methods" sh -c "[ \$(curl -s -o /dev/null -D - -X DELETE '$U/api/v1/plugins' | grep -ci '^allow: GET') = 1 ]"

QD_API_RECORD="$T/record.jsonl" python3 "$QD_SRCDIR/tests/integration/api_hostile.py" "$port" > "$T/hostile" 2>&1
hrc=$?
sed 's/^/  /' "$T/hostile"
check "hostile clients: every check passed" test "$hrc" -eq 0
check "the daemon survived them" kill -0 "$QD_PID"
openapi_check "$T/record.jsonl"
check "it stops cleanly" stop_daemon
finish
