#!/bin/sh
# The API over TLS: a certificate and key from the config, HTTPS answers
# with HSTS, WebSocket over wss, plain HTTP on the TLS port refused; a key
# that cannot be read stops the daemon at start with a clear log line.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 > /dev/null 2>&1
check "a test certificate is made" test -s "$T/cert.pem"
sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "api": {"tls_cert": "cert.pem", "tls_key": "key.pem"},|' "$T/quantd.json"
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\) (TLS)".*/\1/p' "$T/quantd.log" | tail -1)
check "the log says TLS" test -n "$port"
code=$(curl -s --cacert "$T/cert.pem" -o "$T/body" -D "$T/head" -w '%{http_code}' "https://127.0.0.1:$port/healthz")
check "HTTPS /healthz is 200" test "$code" = 200
check "with HSTS" grep -qi '^strict-transport-security: max-age=' "$T/head"
check "an unknown CA is refused by the client" sh -c "! curl -s -o /dev/null 'https://127.0.0.1:$port/healthz'"
check "plain HTTP on the TLS port gets no answer" sh -c "! curl -s -m 3 -o /dev/null -w '%{http_code}' 'http://127.0.0.1:$port/healthz' | grep -q 200"
/usr/bin/python3 - "$port" "$T/cert.pem" > "$T/wss" 2>&1 <<'PY'
import asyncio, json, ssl, sys, websockets
async def main():
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    async with websockets.connect("wss://127.0.0.1:%s/ws" % sys.argv[1], ssl=ctx) as ws:
        await ws.send(json.dumps({"op": "ping"}))
        print(await asyncio.wait_for(ws.recv(), 5))
asyncio.run(main())
PY
check "a WebSocket over wss answers" grep -q '"type":"pong"' "$T/wss"
check "the daemon stops cleanly" stop_daemon

rm -f "$T/quantd.log"
sed -i 's|"tls_key": "key.pem"|"tls_key": "missing-key.pem"|' "$T/quantd.json"
"$QUANTD" -c "$T/quantd.json" > "$T/stdout" 2> "$T/stderr"
rc=$?
check "a missing key stops the daemon at start (exit 2: config)" test "$rc" -eq 2
check "naming the file" grep -q 'missing-key.pem' "$T/stderr"
finish
