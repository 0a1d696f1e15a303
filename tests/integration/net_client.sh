#!/bin/sh
# The net thread's WebSocket and HTTP clients against a real loopback
# server (tests/fakes/echo_server.py, Debian's python3-websockets).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" "$QD_SRCDIR/tests/fakes/echo_server.py" "$T/ports" 2> "$T/server.err" &
SRV=$!
trap 'kill $SRV 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "echo server starts" "$(cat "$T/server.err")"
	finish
	exit 1
fi
read ws http < "$T/ports"
if out=$("$QD_BUILDDIR/tests/unit/test_netclient" "$ws" "$http" 2>&1); then
	ok "WebSocket and HTTP clients"
else
	not_ok "WebSocket and HTTP clients" "$out"
fi

# TLS: a test CA made here, a certificate for localhost signed by it.
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$T/san.ext"
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" \
	-days 2 -subj "/CN=quantd test CA" 2> "$T/openssl.err" &&
    openssl req -newkey rsa:2048 -nodes -keyout "$T/srv.key" -out "$T/srv.csr" \
	-subj "/CN=localhost" 2>> "$T/openssl.err" &&
    openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/san.ext" 2>> "$T/openssl.err"; then
	"$PY" "$QD_SRCDIR/tests/fakes/echo_server.py" "$T/tports" "$T/srv.pem" "$T/srv.key" 2> "$T/tserver.err" &
	TSRV=$!
	trap 'kill $SRV $TSRV 2>/dev/null; cleanup' EXIT
	if wait_for 10 test -s "$T/tports"; then
		read tws thttp < "$T/tports"
		if out=$("$QD_BUILDDIR/tests/unit/test_netclient" tls "$tws" "$thttp" "$T/ca.pem" 2>&1); then
			ok "wss:// and https:// checked against a CA file; refused against the system's store"
		else
			not_ok "wss:// and https:// checked against a CA file" "$out"
		fi
	else
		not_ok "TLS echo server starts" "$(cat "$T/tserver.err")"
	fi
else
	not_ok "a test CA is made" "$(cat "$T/openssl.err")"
fi
finish
