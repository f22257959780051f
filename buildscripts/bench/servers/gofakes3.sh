# gofakes3: the fastest third-party S3 fake (in memory, no authentication).
# Benchmark-only: it lives in buildscripts/bench/servers/, so `make test`
# (with-servers.sh without names) never starts it; name it to start it.
GOFAKES3_VERSION=v1.2.0

install_gofakes3() {
  GOFAKES3_BIN=$(go_tool gofakes3 github.com/johannesboyne/gofakes3/cmd/gofakes3 "$GOFAKES3_VERSION")
}

start_gofakes3() {
  local port
  port=$(free_port)
  # -host: the default listens on every interface.
  "$GOFAKES3_BIN" -backend memory -host "127.0.0.1:$port" -quiet \
    >"$SERVERS_RUN_DIR/gofakes3.log" 2>&1 &
  track_pid $!
  wait_http "http://127.0.0.1:$port/" 60
  export OBJSTORE_TEST_GOFAKES3_ENDPOINT="http://127.0.0.1:$port"
  export OBJSTORE_TEST_GOFAKES3_BUCKET=objstore-bench
  curl -sf -o /dev/null -X PUT "$OBJSTORE_TEST_GOFAKES3_ENDPOINT/$OBJSTORE_TEST_GOFAKES3_BUCKET" \
    || die "cannot create bucket on gofakes3"
}
