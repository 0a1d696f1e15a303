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
postgresql sqlite3 python3-websockets python3-cryptography python3-aiosmtpd curl openssl"
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
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure ${QD_CONFIGURE_FLAGS:-}
make -j"$(nproc)"
if [ "${QD_NO_INSTALL:-0}" != 1 ]; then
	$SUDO make install
	$SUDO ldconfig
fi
echo "setup: done"
