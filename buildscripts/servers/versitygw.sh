# versitygw: a fast, faithful S3 gateway over a POSIX directory.
VERSITYGW_VERSION=v1.8.0

install_versitygw() {
  VERSITYGW_BIN=$(go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION")
}

start_versitygw() {
  local port dir
  port=$(free_port)
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    dir=$(mktemp -d /dev/shm/objstore-versitygw.XXXXXX)
  else
    dir="$SERVERS_RUN_DIR/versitygw"
  fi
  mkdir -p "$dir"
  export OBJSTORE_TEST_VERSITYGW_ACCESS_KEY=objstorevgw
  export OBJSTORE_TEST_VERSITYGW_SECRET_KEY=objstorevgwsecret
  ROOT_ACCESS_KEY=$OBJSTORE_TEST_VERSITYGW_ACCESS_KEY \
  ROOT_SECRET_KEY=$OBJSTORE_TEST_VERSITYGW_SECRET_KEY \
    "$VERSITYGW_BIN" --port "127.0.0.1:$port" --keep-alive --quiet --health /health posix "$dir" \
    >"$SERVERS_RUN_DIR/versitygw.log" 2>&1 &
  local pid=$!
  track_pid "$pid"
  # A tmpfs data dir lies outside SERVERS_RUN_DIR, which with-servers.sh
  # removes: remove it once the server has exited.
  case $dir in /dev/shm/*) remove_after_exit "$pid" "$dir" ;; esac
  wait_http "http://127.0.0.1:$port/health" 60
  export OBJSTORE_TEST_VERSITYGW_ENDPOINT="http://127.0.0.1:$port"
  # One ready-made bucket for tests that cannot create buckets themselves
  # (the Python and C bindings); Go tests make a bucket per store.
  export OBJSTORE_TEST_VERSITYGW_BUCKET=objstore-test
  s3_create_bucket versitygw "$OBJSTORE_TEST_VERSITYGW_ENDPOINT" "$OBJSTORE_TEST_VERSITYGW_ACCESS_KEY" \
    "$OBJSTORE_TEST_VERSITYGW_SECRET_KEY" "$OBJSTORE_TEST_VERSITYGW_BUCKET"
}
