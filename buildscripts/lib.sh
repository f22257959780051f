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

# remove_after_exit PID DIR: removes DIR once process PID has exited, for
# server data kept outside SERVERS_RUN_DIR (tmpfs), which with-servers.sh
# does not remove itself.
remove_after_exit() {
  local pid=$1 dir=$2
  ( while kill -0 "$pid" 2>/dev/null; do sleep 1; done; rm -rf "$dir" ) </dev/null >/dev/null 2>&1 &
}

# s3_create_bucket NAME ENDPOINT ACCESS_KEY SECRET_KEY BUCKET: creates a
# bucket with one SigV4-signed request (for tests that cannot create buckets
# themselves: the Python and C bindings).
s3_create_bucket() {
  local name=$1 endpoint=$2 key=$3 secret=$4 bucket=$5
  curl -sf -o /dev/null -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    --user "$key:$secret" "$endpoint/$bucket" || die "cannot create bucket $bucket on $name"
}

# What must outlive a clone (built interpreters, test venvs, packaging tools)
# is cached per user, outside the repository, so a fresh clone on the same
# machine (CI) finds it warm. OBJSTORE_CACHE_DIR overrides the location.
CACHE_DIR="${OBJSTORE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libobjstore}"

# locked FILE COMMAND...: runs COMMAND holding an exclusive lock on FILE, so
# two runs on one machine never fill the same cache entry at once.
locked() {
  local file=$1; shift
  mkdir -p "$(dirname "$file")"
  ( flock 9 || die "cannot lock $file"; "$@" ) 9>"$file"
}

# apt_ensure PACKAGE...: apt-installs the packages not yet installed (as
# root, or through sudo). The only system change any script here makes.
apt_ensure() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "need Debian packages ${missing[*]} and there is no apt-get"
  local sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  log "apt-get install ${missing[*]}"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed"
  fi
}
