# Azurite: Microsoft's Azure Storage emulator (blob service only). 3.35.0 is
# the newest release that runs on Node 20 (3.37 wants Node >= 22).
AZURITE_VERSION=3.35.0

install_azurite() {
  AZURITE_DIR="$TOOLS_DIR/azurite-$AZURITE_VERSION"
  AZURITE_BIN="$AZURITE_DIR/node_modules/.bin/azurite-blob"
  if [ ! -x "$AZURITE_BIN" ]; then
    command -v npm >/dev/null || die "npm is needed to install Azurite (Node >= 18)"
    log "installing azurite@$AZURITE_VERSION with npm (first run only)"
    local tmp="$AZURITE_DIR.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$tmp" && npm install --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2) \
      || { rm -rf "$tmp"; die "npm install azurite@$AZURITE_VERSION failed"; }
    rm -rf "$AZURITE_DIR" && mv "$tmp" "$AZURITE_DIR"
  fi
}

start_azurite() {
  local port
  port=$(free_port)
  # Started directly (not through npx) so the tracked PID is the server's.
  # --skipApiVersionCheck: the current Go SDK sends a newer API version than
  # Azurite knows and would get 400 on every call without it.
  "$AZURITE_BIN" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
    --disableTelemetry --skipApiVersionCheck --silent \
    >"$SERVERS_RUN_DIR/azurite.log" 2>&1 &
  track_pid $!
  # An unsigned list of the account answers 403 once the server is up.
  wait_http "http://127.0.0.1:$port/devstoreaccount1?comp=list" 60 403
  export OBJSTORE_TEST_AZURITE_ENDPOINT="http://127.0.0.1:$port/devstoreaccount1"
}
