#!/usr/bin/env bash
# Installs what building and testing needs beyond Go, Python, gcc and make:
# the Python test requirements. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r bindings/python/requirements-test.txt
