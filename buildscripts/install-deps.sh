#!/usr/bin/env bash
# Installs what building and testing needs beyond Go, Python 3.11, gcc and
# make, all cached outside the clone (see lib.sh) and safe to run repeatedly:
# the test interpreters (CPython 3.14 and 3.14t, built from source the first
# time) and their test venvs, the wheel tools venv (zig, auditwheel) and the
# arm64 Python the aarch64 wheel is smoke-tested in. `make test` would make
# them on first use too; doing it here keeps the servers from idling meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
buildscripts/test-pythons.sh
buildscripts/venv.sh wheel-tools "$(buildscripts/python.sh 3.11)" buildscripts/requirements-wheel-tools.txt
buildscripts/arm64-python.sh
