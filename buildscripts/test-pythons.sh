#!/usr/bin/env bash
# test-pythons.sh [VERSION...]: prints "VERSION PYTHON" for each interpreter the
# Python tests run on (default: 3.11 3.14 3.14t), PYTHON being its test venv:
# the interpreter from python.sh, the requirements from
# bindings/python/requirements/test-VERSION.txt (venv.sh). Both are cached
# outside the clone; the first run builds CPython and fills the venvs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.11 3.14 3.14t)
for v in "${versions[@]}"; do
  requirements="$REPO_ROOT/bindings/python/requirements/test-$v.txt"
  [ -f "$requirements" ] || die "no test requirements for Python $v ($requirements)"
  interpreter=$("$REPO_ROOT/buildscripts/python.sh" "$v")
  printf '%s %s\n' "$v" "$("$REPO_ROOT/buildscripts/venv.sh" "test-$v" "$interpreter" "$requirements")"
done
