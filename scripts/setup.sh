#!/bin/sh
# setup.sh -- install what quantd needs on Debian 12, build it and install
# it (prefix /usr/local).  Idempotent: run it again after pulling changes.
#   QD_CONFIGURE_FLAGS  extra ./configure flags (CI: --enable-werror)
#   QD_NO_INSTALL=1     build only, do not install
set -eu
cd "$(dirname "$0")/.."
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
DEPS="build-essential autoconf automake libtool pkg-config \
libevent-dev libwebsockets-dev libcjson-dev libseccomp-dev libsqlite3-dev \
libssl-dev libpq-dev libcmocka-dev groff-base libcurl4-openssl-dev \
libargon2-dev libjwt-dev liboath-dev libqrencode-dev \
postgresql sqlite3 python3-websockets python3-cryptography python3-aiosmtpd curl openssl \
chromium"
missing=
for p in $DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $missing
fi
# promtool checks the metrics and the alert rules in the tests.  It comes
# from Debian's prometheus package, of which only that one binary is taken:
# the package installs ~96 MB and a Prometheus server set to start.
if ! command -v promtool >/dev/null 2>&1; then
	echo "setup: installing promtool (from the prometheus package)"
	pt=$(mktemp -d)
	( cd "$pt" && apt-get download prometheus >/dev/null 2>&1 &&
	    dpkg-deb -x prometheus_*.deb x ) &&
		$SUDO install -m 0755 "$pt/x/usr/bin/promtool" /usr/local/bin/promtool
	rm -rf "$pt"
fi
# The API tests validate responses against the OpenAPI document with npm's
# swagger-parser and Ajv (pinned in tests/openapi/package-lock.json); the
# dashboard is built with esbuild, TypeScript and klinecharts and
# tested with playwright-core (pinned in web/package-lock.json), before
# configure, which builds the dashboard only when they are there.
# The machine's Node.js and npm when it has them, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends nodejs npm
fi
if [ ! -d tests/openapi/node_modules/ajv ]; then
	(cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d web/node_modules/esbuild ]; then
	(cd web && npm ci --no-audit --no-fund --loglevel=error)
	rm -f Makefile   # configure again: it now finds the dashboard's packages
fi
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure ${QD_CONFIGURE_FLAGS:-}
make -j"$(nproc)"
if [ "${QD_NO_INSTALL:-0}" != 1 ]; then
	$SUDO make install
	$SUDO ldconfig
fi
echo "setup: done"
