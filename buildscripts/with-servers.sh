#!/usr/bin/env bash
# with-servers.sh [SERVER...] -- COMMAND...
# Installs (cached) and starts each named test server on 127.0.0.1 with a free
# port, exports the variables that tell tests where it is, runs COMMAND and
# stops every server afterwards, whatever happens. With no SERVER names, all
# servers in buildscripts/servers/ are started.
#
# Each server is a file buildscripts/servers/NAME.sh defining install_NAME
# and start_NAME. start_NAME runs in the background-safe way (recording
# its PIDs with track_pid) and exports OBJSTORE_TEST_* variables.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

names=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do names+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || die "usage: with-servers.sh [SERVER...] -- COMMAND..."
if [ ${#names[@]} -eq 0 ]; then
  for f in "$REPO_ROOT"/buildscripts/servers/*.sh; do names+=("$(basename "$f" .sh)"); done
fi

SERVERS_RUN_DIR=$(mktemp -d /tmp/objstore-servers.XXXXXX)
export SERVERS_RUN_DIR
PIDS=()
track_pid() { PIDS+=("$1"); }
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$SERVERS_RUN_DIR"
}
trap stop_all EXIT INT TERM

for n in "${names[@]}"; do
  # Benchmark-only servers live in buildscripts/bench/servers/: started only
  # when named, never by default.
  script="$REPO_ROOT/buildscripts/servers/$n.sh"
  [ -f "$script" ] || script="$REPO_ROOT/buildscripts/bench/servers/$n.sh"
  [ -f "$script" ] || die "no server script $n.sh in buildscripts/servers or buildscripts/bench/servers"
  source "$script"
  "install_$n"
done
for n in "${names[@]}"; do
  "start_$n"
  log "started $n"
done

"$@"
