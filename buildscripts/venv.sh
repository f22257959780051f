#!/usr/bin/env bash
# venv.sh NAME PYTHON REQUIREMENTS_FILE: prints the interpreter of the
# virtualenv $CACHE_DIR/venvs/NAME, made with PYTHON and holding what
# REQUIREMENTS_FILE asks for.
#
# The venv is built once per key: the interpreter (path and version) and the
# text of the requirements file and of every file it includes with -r. The
# key is part of the venv's folder (NAME-KEY), so checkouts asking for
# different requirements (worktrees, branches) never rebuild a venv another
# run is using; venvs of NAME not asked for in a week are removed. Otherwise
# this is a file check. Each build takes the newest versions the
# requirements allow; the versions installed are kept in the venv's
# freeze.txt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || die "usage: venv.sh NAME PYTHON REQUIREMENTS_FILE"
name=$1 python=$2 requirements=$(realpath "$3")
[ -x "$python" ] || die "venv $name: no interpreter $python"
[ -f "$requirements" ] || die "venv $name: no requirements file $requirements"

# requirements_text FILE: FILE, then every file it includes (-r), recursively.
requirements_text() {
  local file=$1 line
  printf '== %s\n' "$(basename "$file")"
  cat "$file"
  while read -r line; do
    case "$line" in
      "-r "* | "--requirement "*) requirements_text "$(dirname "$file")/${line#* }" ;;
    esac
  done <"$file"
}

key=$({
  "$python" -c 'import sys; print(sys.executable, sys.version, sys.abiflags)'
  requirements_text "$requirements"
} | sha256sum | cut -d' ' -f1)
venv="$CACHE_DIR/venvs/$name-${key:0:16}"

build_venv() {
  [ -f "$venv/stamp" ] && [ "$(cat "$venv/stamp")" = "$key" ] && return 0  # built while we waited
  log "venv $name: installing $(basename "$requirements") for $("$python" -c 'import sys; print(sys.version.split()[0] + sys.abiflags)')"
  rm -rf "$venv"
  "$python" -m venv "$venv" || die "venv $name: python -m venv failed"
  local pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
  "${pip[@]}" install --quiet --upgrade pip >&2 || die "venv $name: upgrading pip failed"
  "${pip[@]}" install --quiet -r "$requirements" >&2 || die "venv $name: pip install -r $requirements failed"
  "${pip[@]}" freeze --all >"$venv/freeze.txt"
  printf '%s\n' "$key" >"$venv/stamp"
}

if ! [ -f "$venv/stamp" ] || [ "$(cat "$venv/stamp")" != "$key" ]; then
  locked "$CACHE_DIR/locks/venv-$name.lock" build_venv
fi
touch "$venv/stamp"  # asked for now: kept by the pruning below
find "$CACHE_DIR/venvs" -mindepth 2 -maxdepth 2 -name stamp -path "$CACHE_DIR/venvs/$name-*" -mtime +7 \
  -printf '%h\n' 2>/dev/null | xargs -r rm -rf
printf '%s\n' "$venv/bin/python"
