#!/usr/bin/env bash
# arm64-python.sh: prints the path of a command that runs Debian's arm64
# Python 3.11 under qemu user-mode emulation, for the smoke test of the
# aarch64 wheel (tests/test_wheel.py).
#
# Nothing is installed: Debian's qemu-user-static (the amd64 package) and the
# arm64 packages of python3.11-minimal and libpython3.11-stdlib with their
# library dependencies are downloaded with apt-get and unpacked into
# $CACHE_DIR/arm64/ (see lib.sh). The arm64 package index lives in a private
# apt state directory there, so the system's apt configuration and dpkg's
# architectures stay as they are; no binfmt handler is registered (the
# command runs qemu explicitly with the unpacked root as its -L prefix).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROOT="$CACHE_DIR/arm64"
RUNNER="$ROOT/python3.11"
PACKAGES="python3.11-minimal libpython3.11-stdlib"
# Dependencies no Python run needs (package tools, perl, MIME tables).
NOT_NEEDED="dpkg|perl|perl-base|perl-modules-5.36|libperl5.36|tar|install-info|mailcap|mime-support|media-types|readline-common|debconf"
STAMP_TEXT="1 $PACKAGES"  # bump the leading number to force a rebuild

build_arm64_python() {
  [ -f "$ROOT/stamp" ] && [ "$(cat "$ROOT/stamp")" = "$STAMP_TEXT" ] && return 0  # built while we waited
  command -v apt-get >/dev/null || die "arm64 Python: apt-get is needed to download Debian's arm64 packages"
  log "arm64 Python: downloading Debian's qemu-user-static and arm64 $PACKAGES (first run only)"
  rm -rf "$ROOT"
  local apt="$ROOT/apt" sysroot="$ROOT/root" debs="$ROOT/debs" qemu_deb
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$sysroot" "$debs"
  touch "$apt/status"
  local opts=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o "Dir::State::Lists=$apt/lists"
    -o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" -qq update >&2 || die "arm64 Python: apt-get update (arm64 index) failed"
  local packages
  packages=$(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances $PACKAGES | grep -v '^ ' | sort -u | grep -vxE "$NOT_NEEDED")
  (cd "$debs" && apt-get "${opts[@]}" -qq download $packages >&2) || die "arm64 Python: apt-get download failed"
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$sysroot"; done
  # qemu from the host's own (amd64) package index.
  (cd "$debs" && apt-get -o APT::Sandbox::User=root -qq download qemu-user-static >&2) \
    || die "arm64 Python: apt-get download qemu-user-static failed"
  qemu_deb=$(ls "$debs"/qemu-user-static_*.deb)
  dpkg --fsys-tarfile "$qemu_deb" | tar -x -C "$ROOT" ./usr/bin/qemu-aarch64-static
  mv "$ROOT/usr/bin/qemu-aarch64-static" "$ROOT/qemu-aarch64-static"
  rm -rf "$debs" "$apt" "$ROOT/usr"
  cat >"$RUNNER" <<EOF
#!/bin/sh
# Debian's arm64 Python 3.11 under qemu (written by buildscripts/arm64-python.sh).
exec "$ROOT/qemu-aarch64-static" -L "$sysroot" "$sysroot/usr/bin/python3.11" "\$@"
EOF
  chmod +x "$RUNNER"
  "$RUNNER" -c 'import ctypes, multiprocessing, platform, sys; assert platform.machine() == "aarch64", platform.machine()' \
    || die "arm64 Python: the unpacked interpreter does not run under qemu"
  printf '%s\n' "$STAMP_TEXT" >"$ROOT/stamp"
}

if ! [ -f "$ROOT/stamp" ] || [ "$(cat "$ROOT/stamp")" != "$STAMP_TEXT" ]; then
  locked "$CACHE_DIR/locks/arm64-python.lock" build_arm64_python
fi
printf '%s\n' "$RUNNER"
