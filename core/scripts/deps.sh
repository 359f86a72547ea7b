#!/bin/sh
# Installs what the project needs, and is quick when all of it is present:
# Debian's packages with apt-get, and the browser tests' npm packages with npm ci.
# Photos (bin/portal-photo) are decoded by libvips, HEIC/HEIF through libheif1
# with its HEVC decoder libde265-0 (bookworm's libheif1 links it directly),
# and libseccomp-dev keeps its decoding from opening files, sockets or programs.
set -e
cd "$(dirname "$0")/../.."

PKGS="build-essential pkg-config clang libclang-rt-14-dev libfcgi-dev libfcgi-bin libmariadb-dev
mariadb-server mariadb-client libcurl4-openssl-dev libyajl-dev libsodium-dev libzip-dev
libexpat1-dev libqrencode-dev libpng-dev libmagic-dev zbar-tools nginx python3-aiosmtpd chromium wrk
libvips-dev libheif1 libde265-0 libseccomp-dev
valgrind cppcheck clang-format shellcheck tzdata procps curl nodejs systemd openssl"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: run as root (or install:$missing)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# portald started as root becomes this user once its socket is open.
if ! id portal >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin portal
fi

command -v npm >/dev/null || { apt-get install -y -q --no-install-recommends npm >/dev/null; }
# Again when the lock file is newer than what npm last installed.
if [ ! -d tests/node_modules/playwright-core ] ||
	[ -n "$(find tests/package-lock.json -newer tests/node_modules/.package-lock.json 2>/dev/null)" ]; then
	(cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
