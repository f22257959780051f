#!/usr/bin/env bash
# buildscripts/bench/run.sh — `make bench`: libobjstore vs obstore (and s3fs).
#
# Creates ./bench-venv (peers from PyPI, see requirements.txt), starts the
# benchmark S3 servers (buildscripts/bench/servers: the in-repo s3bench
# responder for the measured rows, gofakes3 for a cross-check), runs
# bindings/python/benchmarks/compare.py and writes docs/benchmarks.md and
# docs/benchmarks.png. Knobs (environment): BENCH_ROUNDS (5),
# BENCH_WORKLOADS (comma list of small_gets,big_get,big_put,list,memory_get,
# memory_put,local_read,pickle,get_ranges), BENCH_SMALL_COUNT, BENCH_BIG_SIZE,
# BENCH_LIST_COUNT, ... (see workloads.py), BENCH_CROSSCHECK=0 to skip gofakes3.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$REPO_ROOT"

VENV="$REPO_ROOT/bench-venv"
REQ="$REPO_ROOT/buildscripts/bench/requirements.txt"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! cmp -s "$REQ" "$VENV/.bench-requirements"; then
  log "installing benchmark packages into $VENV"
  "$VENV/bin/pip" install -q -r "$REQ"
  cp "$REQ" "$VENV/.bench-requirements"
fi

DATA_DIR=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp )/objstore-bench.XXXXXX")
trap 'rm -rf "$DATA_DIR"' EXIT
export BENCH_DATA_DIR="$DATA_DIR"
export OBJSTORE_LIBRARY="${OBJSTORE_LIBRARY:-$REPO_ROOT/build/libobjstore.so}"

servers=(s3bench)
[ "${BENCH_CROSSCHECK:-1}" = 0 ] || servers+=(gofakes3)

"$REPO_ROOT/buildscripts/with-servers.sh" "${servers[@]}" -- bash -c '
  export BENCH_S3_NAME="s3bench-server (in-repo, buildscripts/bench/s3bench-server)"
  export BENCH_S3_ENDPOINT=$OBJSTORE_TEST_S3BENCH_ENDPOINT BENCH_S3_BUCKET=$OBJSTORE_TEST_S3BENCH_BUCKET
  if [ -n "${OBJSTORE_TEST_GOFAKES3_ENDPOINT:-}" ]; then
    export BENCH_S3_ALT_NAME="gofakes3 v1.2.0"
    export BENCH_S3_ALT_ENDPOINT=$OBJSTORE_TEST_GOFAKES3_ENDPOINT BENCH_S3_ALT_BUCKET=$OBJSTORE_TEST_GOFAKES3_BUCKET
  fi
  exec "$0" bindings/python/benchmarks/compare.py --out docs/benchmarks.md
' "$VENV/bin/python"
