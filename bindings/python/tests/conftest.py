"""Shared fixtures: every operation runs on a MemoryStore and a LocalStore."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import objstore
from objstore import _ffi
from objstore.store import LocalStore, MemoryStore

SRC_DIR = Path(objstore.__file__).resolve().parent.parent


def pytest_sessionstart(session):
    # The library must be loadable: fail loudly rather than skip.
    if not any(p.exists() for p in _ffi.candidate_paths()):
        pytest.exit(
            "libobjstore.so not found (looked in: "
            + ", ".join(str(p) for p in _ffi.candidate_paths())
            + "). Run `make build` or set OBJSTORE_LIBRARY.",
            returncode=2,
        )


def pytest_sessionfinish(session, exitstatus):
    # On a free-threaded build the whole suite must run without the GIL:
    # something that enabled it (without the warning pytest turns into an
    # error, e.g. PyGILState from C) fails the run here.
    if sysconfig.get_config_var("Py_GIL_DISABLED") and sys._is_gil_enabled() and "PYTHON_GIL" not in os.environ:
        session.config.get_terminal_writer().line("FAILED: the GIL was enabled during the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def local_store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "root", mkdir=True)


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return LocalStore(tmp_path / "root", mkdir=True)


def run_python(code: str, *, timeout: float = 60, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter that imports this objstore package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    if env_extra:
        env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env
    )
