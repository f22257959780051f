#!/usr/bin/env bash
# buildscripts/bench/run.sh — `make bench`: libobjstore vs obstore (and s3fs).
#
# Creates ./bench-venv (peers from the package index, see requirements.txt),
# starts the benchmark servers (buildscripts/bench/servers: the in-repo
# s3bench responder for the measured rows — S3, its HTTPS forward proxy,
# GCS and Azure reads — and gofakes3, fake-gcs-server and Azurite for
# cross-checks), runs bindings/python/benchmarks/compare.py and writes
# docs/benchmarks.md and docs/benchmarks.png (raw results:
# build/bench-results.json). Knobs (environment): BENCH_ROUNDS (5),
# BENCH_WORKLOADS (comma list of workloads.py's WORKLOADS), BENCH_SMALL_COUNT,
# BENCH_BIG_SIZE, BENCH_LIST_COUNT, ... (see workloads.py),
# BENCH_CROSSCHECK=0 to skip the third-party servers, BENCH_CONDITIONS (a
# line on how quiet the machine was, printed in the report), and
# BENCH_PROFILE=WORKLOAD:VARIANT[,...] for Go CPU profiles of those runs
# (default: the AWS-style get_many; empty for none).
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

export BENCH_PROFILE="${BENCH_PROFILE-small_gets_aws:ours-get_many}"
if [ -n "$BENCH_PROFILE" ]; then
  # The profiling build of the library (capi/pprof_debug.go), kept apart
  # from the measured one.
  export BENCH_PROFILE_LIBRARY="$REPO_ROOT/build/pprof/libobjstore.so"
  log "building the profiling library $BENCH_PROFILE_LIBRARY"
  EXTRA_TAGS=objstore_pprof "$REPO_ROOT/buildscripts/build-lib.sh" "$BENCH_PROFILE_LIBRARY"
fi

servers=(s3bench)
[ "${BENCH_CROSSCHECK:-1}" = 0 ] || servers+=(gofakes3 fakegcs azurite)

"$REPO_ROOT/buildscripts/with-servers.sh" "${servers[@]}" -- bash -c '
  export BENCH_S3_NAME="s3bench-server (in-repo, buildscripts/bench/s3bench-server)"
  export BENCH_S3_ENDPOINT=$OBJSTORE_TEST_S3BENCH_ENDPOINT BENCH_S3_BUCKET=$OBJSTORE_TEST_S3BENCH_BUCKET
  export BENCH_TLS_CA=$OBJSTORE_TEST_S3BENCH_CA
  export BENCH_GCS_ENDPOINT=$OBJSTORE_TEST_S3BENCH_GCS_ENDPOINT BENCH_AZURE_ENDPOINT=$OBJSTORE_TEST_S3BENCH_AZURE_ENDPOINT
  if [ -n "${OBJSTORE_TEST_GOFAKES3_ENDPOINT:-}" ]; then
    export BENCH_CROSS_GOFAKES3_ENDPOINT=$OBJSTORE_TEST_GOFAKES3_ENDPOINT BENCH_CROSS_GOFAKES3_BUCKET=$OBJSTORE_TEST_GOFAKES3_BUCKET
    export BENCH_CROSS_FAKEGCS_ENDPOINT=$OBJSTORE_TEST_GCS_ENDPOINT BENCH_CROSS_FAKEGCS_BUCKET=$OBJSTORE_TEST_GCS_BUCKET
    export BENCH_CROSS_AZURITE_ENDPOINT=$OBJSTORE_TEST_AZURITE_ENDPOINT BENCH_CROSS_AZURITE_BUCKET=objstore-bench
    # Azurite starts empty and the library never creates containers: the
    # Python tests'"'"' signed Create Container makes it.
    PYTHONPATH=bindings/python/src "$0" -c "import sys; sys.path.insert(0, \"bindings/python/tests\"); from _servers import create_container; create_container(sys.argv[1], sys.argv[2])" \
      "$BENCH_CROSS_AZURITE_ENDPOINT" "$BENCH_CROSS_AZURITE_BUCKET"
  fi
  exec "$0" bindings/python/benchmarks/compare.py --out docs/benchmarks.md
' "$VENV/bin/python"
