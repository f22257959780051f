#!/usr/bin/env bash
# Runs every test layer. Called by `make test` inside with-servers.sh, so the
# OBJSTORE_TEST_* variables name running servers; a test that needs one that
# is missing fails.
#
# Go and C once; the Python layers on each test interpreter (test-pythons.sh):
#   3.11, 3.14  the whole suite: bindings/python/tests and tests/
#   3.14t       the binding's suite (adapters included) and the wheel test
# Every interpreter runs even if one fails; the counts of each are printed
# at the end (from pytest's JUnit XML in build/test-results/).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go test"
go test -count=1 ./...

echo "== C tests"
make -C bindings/c test

suite_of() {
  case "$1" in
    3.14t) echo "bindings/python/tests tests/test_wheel.py" ;;
    *) echo "bindings/python/tests tests" ;;
  esac
}

results=build/test-results
rm -rf "$results"
mkdir -p "$results"
failed=()
pythons=$(buildscripts/test-pythons.sh)
while read -r version python <&3; do
  zarr=$("$python" -c 'import importlib.metadata as m; print(m.version("zarr"))')
  echo "== pytest on Python $version (zarr $zarr): $(suite_of "$version")"
  start=$SECONDS
  # shellcheck disable=SC2046  # the suite is a list of paths
  if ! PYTHONPATH=bindings/python/src "$python" -m pytest -q -p no:cacheprovider \
      --junitxml="$results/python-$version.xml" $(suite_of "$version"); then
    failed+=("$version")
  fi
  echo "$version $zarr $((SECONDS - start))" >>"$results/runs"
done 3<<<"$pythons"

echo "== Python test counts"
python3 - "$results" <<'PY'
import sys, xml.etree.ElementTree as ET
from pathlib import Path
results = Path(sys.argv[1])
for line in (results / "runs").read_text().splitlines():
    version, zarr, seconds = line.split()
    suite = ET.parse(results / f"python-{version}.xml").getroot().find("testsuite")
    n = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
    print(f"  Python {version:6s} {passed:5d} passed, {n['failures']} failed, {n['errors']} errors, "
          f"{n['skipped']} skipped  (zarr {zarr}, {seconds} s)")
PY
if [ ${#failed[@]} -gt 0 ]; then
  echo "Python tests failed on: ${failed[*]}" >&2
  exit 1
fi
