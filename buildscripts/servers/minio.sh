# MinIO: the reference S3 server (test-only; AGPL binary, never shipped).
# The upstream repository is unmaintained; this pseudo-version is the one
# verified to build through the module proxy (see docs/architecture.md, "Test servers").
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

install_minio() {
  MINIO_BIN=$(go_tool minio github.com/minio/minio "$MINIO_VERSION")
}

start_minio() {
  local port dir
  port=$(free_port)
  # tmpfs when available: MinIO on disk is fsync-bound.
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    dir=$(mktemp -d /dev/shm/objstore-minio.XXXXXX)
  else
    dir="$SERVERS_RUN_DIR/minio"
  fi
  mkdir -p "$dir"
  export OBJSTORE_TEST_MINIO_ACCESS_KEY=objstoreminio
  export OBJSTORE_TEST_MINIO_SECRET_KEY=objstoreminiosecret
  MINIO_ROOT_USER=$OBJSTORE_TEST_MINIO_ACCESS_KEY \
  MINIO_ROOT_PASSWORD=$OBJSTORE_TEST_MINIO_SECRET_KEY \
  MINIO_BROWSER=off MINIO_UPDATE=off \
    "$MINIO_BIN" server "$dir" --address "127.0.0.1:$port" --quiet \
    >"$SERVERS_RUN_DIR/minio.log" 2>&1 &
  local pid=$!
  track_pid "$pid"
  # A tmpfs data dir lies outside SERVERS_RUN_DIR, which with-servers.sh
  # removes: remove it once the server has exited.
  case $dir in /dev/shm/*) remove_after_exit "$pid" "$dir" ;; esac
  wait_http "http://127.0.0.1:$port/minio/health/ready" 60
  export OBJSTORE_TEST_MINIO_ENDPOINT="http://127.0.0.1:$port"
  # One ready-made bucket for tests that cannot create buckets themselves
  # (the Python and C bindings); Go tests make a bucket per store.
  export OBJSTORE_TEST_MINIO_BUCKET=objstore-test
  s3_create_bucket minio "$OBJSTORE_TEST_MINIO_ENDPOINT" "$OBJSTORE_TEST_MINIO_ACCESS_KEY" \
    "$OBJSTORE_TEST_MINIO_SECRET_KEY" "$OBJSTORE_TEST_MINIO_BUCKET"
}
