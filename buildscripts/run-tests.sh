#!/usr/bin/env bash
# Runs every test layer. Called by `make test` inside with-servers.sh, so the
# OBJSTORE_TEST_* variables name running servers; a test that needs one that
# is missing fails.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go test"
go test -count=1 ./...

echo "== C tests"
make -C bindings/c test

echo "== pytest"
PYTHONPATH=bindings/python/src python3 -m pytest -q bindings/python/tests tests
