"""The shipped type stubs, judged by the type checkers an obstore user runs:
mypy --strict and pyright accept a typed program written against the API
(tests/typing/usage_typed.py) and the obspec protocols satisfied by every
store (obspec_usage.py), flag each mistake in mistakes.py, and mypy's
stubtest finds the stubs in agreement with the runtime."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import objstore

TYPING = Path(__file__).parent / "typing"
SRC = Path(objstore.__file__).resolve().parent.parent
PACKAGE = SRC / "objstore"


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(SRC), MYPYPATH=str(SRC))
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=TYPING, env=env, capture_output=True, text=True, timeout=timeout
    )


def _mypy(*files: str) -> subprocess.CompletedProcess:
    return _run("mypy", "--strict", "--no-incremental", "--config-file", "mypy.ini", *files)


def _pyright(*files: str) -> subprocess.CompletedProcess:
    return _run("pyright", *files)


def _marked_lines() -> set[int]:
    """The lines of mistakes.py marked `# error: ...`."""
    lines = (TYPING / "mistakes.py").read_text().splitlines()
    return {i for i, line in enumerate(lines, 1) if re.search(r"\S.*#\s*error:", line)}


def test_stubs_and_markers_ship_with_the_package():
    for name in ("__init__.pyi", "store.pyi", "_bytes.pyi", "py.typed"):
        assert (PACKAGE / name).is_file(), name
    pyproject = (SRC.parent / "pyproject.toml").read_text()
    assert '"*.pyi"' in pyproject and '"py.typed"' in pyproject  # package data of the wheel


@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy --strict", "pyright"])
def test_typed_usage_and_obspec_protocols_check_clean(checker):
    result = checker("usage_typed.py", "obspec_usage.py")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy --strict", "pyright"])
def test_each_mistake_is_caught(checker):
    result = checker("mistakes.py")
    assert result.returncode != 0
    flagged = {int(n) for n in re.findall(r"mistakes\.py:(\d+):(?:\d+ -)? error", result.stdout)}
    marked = _marked_lines()
    assert len(marked) >= 7
    assert flagged == marked, result.stdout


def test_stubs_agree_with_the_runtime():
    result = _run(
        "mypy.stubtest", "--mypy-config-file", "mypy.ini", "--allowlist", "stubtest_allowlist.txt", "objstore"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_public_name_has_a_docstring_in_the_stubs():
    import ast

    for stub in ("__init__.pyi", "store.pyi", "_bytes.pyi"):
        tree = ast.parse((PACKAGE / stub).read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                overloads = [d for d in node.decorator_list if getattr(d, "id", None) == "overload"]
                if overloads and not ast.get_docstring(node):
                    continue  # one overload of a group carries the docstring
                if isinstance(node, ast.FunctionDef) and node.name in ("seekable", "readable", "writable"):
                    continue
                assert ast.get_docstring(node), f"{stub}: {node.name} has no docstring"
