# s3bench: the repository's minimal in-memory object-store responder
# (buildscripts/bench/s3bench-server), for request-rate benchmarks where a
# third-party fake would be the bottleneck: S3 (path-style and
# virtual-hosted, and an HTTPS forward proxy to itself for the AWS-style
# rows), GCS reads and Azure Blob reads of the same objects, each on its own
# port. Benchmark-only, like gofakes3.sh.

install_s3bench() {
  # Built into this checkout's build/ (a second when cached): it is part of
  # this repository, and worktrees on other branches may build their own.
  S3BENCH_BIN="$REPO_ROOT/build/bench/s3bench-server"
  (cd "$REPO_ROOT" && go build -trimpath -o "$S3BENCH_BIN" ./buildscripts/bench/s3bench-server) \
    || die "cannot build s3bench-server"
}

start_s3bench() {
  local port gcs_port azure_port
  port=$(free_port) gcs_port=$(free_port) azure_port=$(free_port)
  "$S3BENCH_BIN" -addr "127.0.0.1:$port" -gcs-addr "127.0.0.1:$gcs_port" -azure-addr "127.0.0.1:$azure_port" \
    -tls-ca-out "$SERVERS_RUN_DIR/s3bench-ca.pem" >"$SERVERS_RUN_DIR/s3bench.log" 2>&1 &
  track_pid $!
  wait_http "http://127.0.0.1:$port/" 30
  export OBJSTORE_TEST_S3BENCH_ENDPOINT="http://127.0.0.1:$port"
  export OBJSTORE_TEST_S3BENCH_BUCKET=objstore-bench
  export OBJSTORE_TEST_S3BENCH_CA="$SERVERS_RUN_DIR/s3bench-ca.pem"
  export OBJSTORE_TEST_S3BENCH_GCS_ENDPOINT="http://127.0.0.1:$gcs_port"
  export OBJSTORE_TEST_S3BENCH_AZURE_ENDPOINT="http://127.0.0.1:$azure_port/devstoreaccount1"
  curl -sf -o /dev/null -X PUT "$OBJSTORE_TEST_S3BENCH_ENDPOINT/$OBJSTORE_TEST_S3BENCH_BUCKET" \
    || die "cannot create bucket on s3bench-server"
}
