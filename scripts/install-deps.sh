#!/bin/sh
# Installs the Debian packages runsite builds and tests with. Runs apt-get as
# root, or through sudo; says what it installs.
set -e
PKGS="build-essential pkg-config libcairo2-dev libpango1.0-dev libcmark-gfm-dev
libcmark-gfm-extensions-dev libxml2-dev libsqlite3-dev libyaml-dev libjansson-dev zlib1g-dev
libxxhash-dev libzip-dev libisal-dev
fonts-dejavu-core"
if [ "$1" = "--test" ]; then
	# What the test suite needs beyond the build: a browser for the XSS checks,
	# clang for the fuzz targets, numpy for the sample-runs script, mandoc for the man page lint.
	PKGS="$PKGS chromium clang libclang-rt-14-dev sqlite3 python3-numpy python3-yaml mandoc"
fi
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
	echo "install-deps: need root or sudo to install: $PKGS" >&2; exit 1; fi
echo "install-deps: installing Debian packages:" $PKGS >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PKGS >&2
