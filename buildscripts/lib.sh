# Shared shell helpers for the build and test scripts. Source it; do not run it.
# Tools we build or download are cached in $TOOLS_DIR (git-ignored), keyed by
# version, so only the first run on a machine pays for them.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${OBJSTORE_TOOLS_DIR:-$REPO_ROOT/.tools}"
mkdir -p "$TOOLS_DIR/bin"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# go_tool NAME MODULE_PATH VERSION: builds MODULE_PATH@VERSION once into
# $TOOLS_DIR/bin/NAME-VERSION and prints that path.
go_tool() {
  local name=$1 module=$2 version=$3
  local out="$TOOLS_DIR/bin/$name-$version"
  if [ ! -x "$out" ]; then
    log "building $module@$version (first run only)"
    local tmp; tmp=$(mktemp -d)
    GOBIN="$tmp" GOFLAGS=-mod=mod go install -ldflags='-s -w' "$module@$version" >&2 || die "go install $module@$version failed"
    mv "$tmp"/* "$out"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$out"
}

# free_port: prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS] [CODE...]: waits until URL answers with one of the
# codes (default 200).
wait_http() {
  local url=$1 secs=${2:-60}; shift 2 || shift $#
  local codes=("$@"); [ ${#codes[@]} -gt 0 ] || codes=(200)
  local deadline=$((SECONDS + secs)) code
  while [ $SECONDS -lt $deadline ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null || true)
    for c in "${codes[@]}"; do [ "$code" = "$c" ] && return 0; done
    sleep 0.2
  done
  die "$url did not answer ${codes[*]} within ${secs}s (last: $code)"
}
