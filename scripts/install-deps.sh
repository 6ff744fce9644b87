#!/bin/sh
# Installs the Debian packages runsite builds and tests with. Runs apt-get as
# root, or through sudo; says what it installs.
set -e
PKGS="build-essential pkg-config libcairo2-dev libpango1.0-dev libfontconfig-dev libcmark-gfm-dev
libcmark-gfm-extensions-dev libxml2-dev libsqlite3-dev libyaml-dev libjansson-dev zlib1g-dev
libxxhash-dev libzip-dev libisal-dev libpq-dev libmariadb-dev
fonts-dejavu-core"
if [ "$1" = "--test" ]; then
	# What the test suite needs beyond the build: a browser for the XSS checks
	# and the browser tests (node and npm drive it, Java runs the HTML checker),
	# clang for the fuzz targets, numpy for the sample-runs script, mandoc for the man page lint,
	# real PostgreSQL and MariaDB servers for the tracking-server tests (tests/servers/lib.sh),
	# strace to send signals in the middle of a site commit and to see which files a cached rebuild opens (tests/e2e/cache.sh).
	PKGS="$PKGS chromium clang libclang-rt-14-dev sqlite3 python3-numpy python3-yaml mandoc
default-jre-headless postgresql mariadb-server mariadb-client strace"
	# A machine may carry its own Node.js with npm inside (Debian's npm
	# package conflicts with that): Debian's only when there is none.
	command -v node >/dev/null && command -v npm >/dev/null || PKGS="$PKGS nodejs npm"
fi
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
	echo "install-deps: need root or sudo to install: $PKGS" >&2; exit 1; fi
echo "install-deps: installing Debian packages:" $PKGS >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PKGS >&2
if [ "$1" = "--test" ]; then
	# The browser tests' npm packages, exactly as tests/browser/package-lock.json
	# pins them. puppeteer-core downloads no browser (it drives the system
	# Chromium) and no install script runs (vnu-jar ships its jar).
	echo "install-deps: npm ci in tests/browser" >&2
	(cd "$(dirname "$0")/../tests/browser" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
