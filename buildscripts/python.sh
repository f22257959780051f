#!/usr/bin/env bash
# python.sh VERSION: prints the path of a Python interpreter the tests run on.
#
#   3.11    the machine's own Python 3.11 (`python3.11` on PATH)
#   3.14    CPython 3.14.7, built here once
#   3.14t   CPython 3.14.7 free-threaded (--disable-gil), built here once
#
# Built interpreters live in $CACHE_DIR/python/ (see lib.sh: outside the
# clone, so a fresh clone on the same machine finds them); a stamp written
# after a verified build makes every later call a file check. The first build
# takes about 6 (3.14) and 4 (3.14t) minutes on 2 cores.
#
# The source is CPython's release tarball as Debian ships it
# (python3.14_3.14.7.orig.tar.xz, unpacking to Python-3.14.7/), checked
# against the SHA-256 below. It is looked for in $OBJSTORE_CPYTHON_SOURCE_DIR,
# then in the directory `cpython/` beside the repository (the project's
# shared files on the build machines: $REPO_ROOT/../shared/cpython, also
# beside the main checkout when this is a git worktree), then in the cache,
# where a verified copy is kept after the first build.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CPYTHON_VERSION=3.14.7
CPYTHON_TARBALL=python3.14_3.14.7.orig.tar.xz
CPYTHON_SHA256=3b48dac8fb59f62eaa67ac83c1eb12bda1b7a08406dd286e252c11a66be27f81
# What the standard library needs to build with every extension module the
# tests use (ssl, ctypes, sqlite3, lzma, bz2, zlib, zstd, readline, dbm, uuid).
CPYTHON_BUILD_DEPS="build-essential pkg-config libssl-dev libffi-dev zlib1g-dev libbz2-dev liblzma-dev
  libsqlite3-dev libzstd-dev libreadline-dev libncurses-dev uuid-dev libgdbm-dev libexpat1-dev"
# Modules whose absence means a build dependency was missing.
CPYTHON_REQUIRED_MODULES="ssl ctypes sqlite3 lzma bz2 zlib compression.zstd readline dbm.gnu uuid pyexpat venv ensurepip"

usage() { die "usage: python.sh 3.11|3.14|3.14t"; }

system_python() {
  local py
  py=$(command -v python3.11 || true)
  [ -n "$py" ] || die "python3.11 is not on PATH (the system interpreter the tests also run on)"
  # Resolve shims (pyenv) to the interpreter itself.
  "$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version; print(sys.executable)'
}

find_tarball() {
  local dirs=() d common
  [ -n "${OBJSTORE_CPYTHON_SOURCE_DIR:-}" ] && dirs+=("$OBJSTORE_CPYTHON_SOURCE_DIR")
  dirs+=("$REPO_ROOT/../shared/cpython")
  common=$(git -C "$REPO_ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  [ -n "$common" ] && dirs+=("$(dirname "$common")/../shared/cpython")
  dirs+=("$CACHE_DIR/sources")
  for d in "${dirs[@]}"; do
    if [ -f "$d/$CPYTHON_TARBALL" ]; then
      printf '%s\n' "$d/$CPYTHON_TARBALL"
      return
    fi
  done
  die "cannot find $CPYTHON_TARBALL in: ${dirs[*]} (set OBJSTORE_CPYTHON_SOURCE_DIR to its directory)"
}

# build_cpython PREFIX STAMP PYTHON FREE_THREADED CONFIGURE_FLAGS...: builds,
# checks, and writes the stamp last (under the caller's lock).
build_cpython() {
  local prefix=$1 stamp=$2 py=$3 free=$4; shift 4
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$STAMP_TEXT" ] && [ -x "$py" ] && return 0  # built while we waited
  apt_ensure $CPYTHON_BUILD_DEPS
  local tarball sum work logfile
  tarball=$(find_tarball)
  sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$sum" = "$CPYTHON_SHA256" ] || die "$tarball: SHA-256 $sum, expected $CPYTHON_SHA256"
  if [ ! -f "$CACHE_DIR/sources/$CPYTHON_TARBALL" ]; then
    mkdir -p "$CACHE_DIR/sources"
    cp "$tarball" "$CACHE_DIR/sources/$CPYTHON_TARBALL.tmp"
    mv "$CACHE_DIR/sources/$CPYTHON_TARBALL.tmp" "$CACHE_DIR/sources/$CPYTHON_TARBALL"
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/objstore-cpython.XXXXXX")
  logfile="$prefix.log"
  log "building CPython $CPYTHON_VERSION $* into $prefix (first run only; log: $logfile)"
  rm -rf "$prefix" "$stamp"
  mkdir -p "$(dirname "$prefix")"
  if ! (
    set -e
    tar -xJf "$tarball" -C "$work"
    cd "$work/Python-$CPYTHON_VERSION"
    ./configure --prefix="$prefix" --with-ensurepip=install "$@"
    make -j"$(nproc)"
    make install
  ) >"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    rm -rf "$work"
    die "building CPython $CPYTHON_VERSION failed (log: $logfile)"
  fi
  rm -rf "$work"
  check_interpreter "$py" "$free"
  printf '%s\n' "$STAMP_TEXT" >"$stamp"
}

# check_interpreter PYTHON FREE_THREADED: every required module imports, and
# the GIL is off exactly when it should be.
check_interpreter() {
  local py=$1 free=$2
  "$py" - "$free" $CPYTHON_REQUIRED_MODULES <<'EOF' >&2 || die "$py is incomplete (see above)"
import importlib, sys
free = sys.argv[1] == "1"
missing = []
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except ImportError as e:
        missing.append(f"{name} ({e})")
if missing:
    sys.exit("missing modules: " + ", ".join(missing))
gil = getattr(sys, "_is_gil_enabled", lambda: True)()
if gil == free:
    sys.exit(f"GIL enabled={gil}, expected free-threaded={free}")
EOF
}

built_python() {
  local flavour=$1 flags=() name=python3.14 free=0
  if [ "$flavour" = 3.14t ]; then flags=(--disable-gil); name=python3.14t; free=1; fi
  local prefix="$CACHE_DIR/python/cpython-$CPYTHON_VERSION${flavour#3.14}"
  local stamp="$prefix.stamp" py="$prefix/bin/$name"
  STAMP_TEXT="$CPYTHON_SHA256 ${flags[*]:-} --with-ensurepip=install"
  if ! [ -f "$stamp" ] || [ "$(cat "$stamp")" != "$STAMP_TEXT" ] || ! [ -x "$py" ]; then
    locked "$CACHE_DIR/locks/cpython-$flavour.lock" build_cpython "$prefix" "$stamp" "$py" "$free" "${flags[@]}"
  fi
  printf '%s\n' "$py"
}

[ $# -eq 1 ] || usage
case "$1" in
  3.11) system_python ;;
  3.14 | 3.14t) built_python "$1" ;;
  *) usage ;;
esac
