# s3bench: the repository's minimal in-memory S3 responder
# (buildscripts/bench/s3bench-server), for request-rate benchmarks where a
# third-party fake would be the bottleneck. Benchmark-only, like gofakes3.sh.

install_s3bench() {
  S3BENCH_BIN="$TOOLS_DIR/bin/s3bench-server"
  # Rebuilt every time (a second when cached): it is part of this repository.
  (cd "$REPO_ROOT" && go build -trimpath -o "$S3BENCH_BIN" ./buildscripts/bench/s3bench-server) \
    || die "cannot build s3bench-server"
}

start_s3bench() {
  local port
  port=$(free_port)
  "$S3BENCH_BIN" -addr "127.0.0.1:$port" >"$SERVERS_RUN_DIR/s3bench.log" 2>&1 &
  track_pid $!
  wait_http "http://127.0.0.1:$port/" 30
  export OBJSTORE_TEST_S3BENCH_ENDPOINT="http://127.0.0.1:$port"
  export OBJSTORE_TEST_S3BENCH_BUCKET=objstore-bench
  curl -sf -o /dev/null -X PUT "$OBJSTORE_TEST_S3BENCH_ENDPOINT/$OBJSTORE_TEST_S3BENCH_BUCKET" \
    || die "cannot create bucket on s3bench-server"
}
