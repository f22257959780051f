# fake-gcs-server: the GCS emulator (JSON API, in-memory backend).
# Known limits (see docs/architecture.md, "Test servers"): it ignores ifGenerationMatch on GET and
# DELETE, and finalizes a resumable upload when its status is queried.
FAKEGCS_VERSION=v1.56.1

install_fakegcs() {
  FAKEGCS_BIN=$(go_tool fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKEGCS_VERSION")
}

start_fakegcs() {
  local port
  port=$(free_port)
  # -public-host must be exactly the host:port clients use, or the emulator
  # answers every read of an object with "object doesn't exist".
  "$FAKEGCS_BIN" -scheme http -host 127.0.0.1 -port "$port" -backend memory \
    -public-host "127.0.0.1:$port" -log-level error \
    >"$SERVERS_RUN_DIR/fakegcs.log" 2>&1 &
  track_pid $!
  wait_http "http://127.0.0.1:$port/_internal/healthcheck" 60
  export OBJSTORE_TEST_GCS_ENDPOINT="http://127.0.0.1:$port"
  # A ready-made bucket for tests that cannot create one (the C tests).
  export OBJSTORE_TEST_GCS_BUCKET=objstore-test
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"name\":\"$OBJSTORE_TEST_GCS_BUCKET\"}" \
    "$OBJSTORE_TEST_GCS_ENDPOINT/storage/v1/b?project=objstore-test" || die "cannot create bucket on fake-gcs-server"
}
