#!/usr/bin/env bash
# build-lib.sh OUT: compiles the C ABI library (./capi) into OUT. The one
# place the library's build flags live: the Makefile, the Python package's
# setup.py (from a checkout or from its sdist, which carries this file) and
# the wheel builds all call it.
#
#   GO       the Go command (default: go)
#   CC       the C compiler cgo uses; GOARCH the target (cross builds)
#   EXTRA_TAGS  more build tags, comma-separated (make bench's profiling
#            build: objstore_pprof)
#
# Flags, and why:
#   -trimpath -buildvcs=false  the same bytes from any checkout or sdist
#   -tags disable_grpc_modules  the GCS SDK's documented opt-out of its gRPC
#       DirectPath extras (xDS, RLS balancer): this library uses the SDK's
#       JSON API client only; 14 MB smaller
#   -s -w, --strip-all  no symbol table or DWARF (gcc strips with -s alone;
#       zig's linker needs --strip-all)
#   --version-script  only objstore_* symbols are exported
#   -soname  libobjstore.so.1
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: build-lib.sh OUT" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
out=$(realpath -m "$1")
mkdir -p "$(dirname "$out")"
cd "$root"
CGO_ENABLED=1 "${GO:-go}" build -buildmode=c-shared -trimpath -buildvcs=false -tags "disable_grpc_modules${EXTRA_TAGS:+,$EXTRA_TAGS}" \
  -ldflags "-s -w -extldflags '-Wl,--strip-all -Wl,--version-script=$root/capi/exports.map -Wl,-soname,libobjstore.so.1'" \
  -o "$out" ./capi
rm -f "${out%.*}.h"  # cgo's generated header, named after OUT: include/objstore.h is the real one
