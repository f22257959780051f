# Toxiproxy: injects faults (latency, resets, timeouts, bandwidth limits,
# truncated bodies) between the client and a real server. Tests create their
# proxies and toxics through its HTTP API at OBJSTORE_TEST_TOXIPROXY_URL.
TOXIPROXY_VERSION=v2.12.0

install_toxiproxy() {
  TOXIPROXY_BIN=$(go_tool toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server "$TOXIPROXY_VERSION")
}

start_toxiproxy() {
  local port
  port=$(free_port)
  "$TOXIPROXY_BIN" -host 127.0.0.1 -port "$port" >"$SERVERS_RUN_DIR/toxiproxy.log" 2>&1 &
  track_pid $!
  wait_http "http://127.0.0.1:$port/version" 30
  export OBJSTORE_TEST_TOXIPROXY_URL="http://127.0.0.1:$port"
}
