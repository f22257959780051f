"""The Python package builds into a platform wheel that carries the Go
library, and that wheel installs and works in a fresh virtualenv.

Slow-ish (one `pip wheel`, which compiles the library with Go; the Go build
cache makes repeats quicker)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "bindings" / "python"
VERSION = (REPO / "VERSION").read_text().strip()
PLATFORM_TAG = sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _clean_env(**extra: str) -> dict[str, str]:
    # Nothing may leak the source tree's package or library into the checks.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OBJSTORE_LIBRARY")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", str(out), str(PACKAGE)],
        capture_output=True,
        text=True,
        timeout=900,
        env=_clean_env(),
    )
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    wheels = list(out.glob("objstore-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_is_platform_specific_and_carries_the_library(wheel: Path) -> None:
    assert wheel.name == f"objstore-{VERSION}-py3-none-{PLATFORM_TAG}.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "objstore/_lib/libobjstore.so" in names
        assert {"objstore/py.typed", "objstore/zarr.py", "objstore/fsspec.py", "objstore/proxystore.py"} <= names
        assert "objstore/cli.py" in names and "objstore/__main__.py" in names
        info = zf.read(f"objstore-{VERSION}.dist-info/WHEEL").decode()
        assert "Root-Is-Purelib: false" in info and f"Tag: py3-none-{PLATFORM_TAG}" in info
        entry_points = zf.read(f"objstore-{VERSION}.dist-info/entry_points.txt").decode()
        assert "objstore = objstore.cli:main" in entry_points
        assert "objstore = objstore.fsspec:ObjectStoreFileSystem" in entry_points
        metadata = zf.read(f"objstore-{VERSION}.dist-info/METADATA").decode()
        assert "Requires-Dist" not in metadata.split("Provides-Extra")[0]  # no runtime dependency
        lib = zf.read("objstore/_lib/libobjstore.so")
        assert lib[:4] == b"\x7fELF" and b"libobjstore.so.1" in lib  # the soname


def test_wheel_installs_and_works_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    python = env_dir / "bin" / "python"
    env = _clean_env()
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    code = (
        "import objstore, objstore._ffi as f\n"
        "from objstore.store import MemoryStore\n"
        "s = MemoryStore()\n"
        "objstore.put(s, 'a/b', b'hello wheel')\n"
        "assert objstore.get(s, 'a/b').bytes() == b'hello wheel'\n"
        "print(objstore.__version__, objstore.__file__, f.library_path())\n"
    )
    run = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    version, module_file, library = run.stdout.split()
    assert version == VERSION
    assert module_file.startswith(str(env_dir)) and library.startswith(str(env_dir))
    cli = subprocess.run(
        [str(env_dir / "bin" / "objstore"), "--help"], capture_output=True, text=True, timeout=60, env=env
    )
    assert cli.returncode == 0 and "usage" in cli.stdout.lower()


def test_building_without_go_fails_clearly(tmp_path: Path) -> None:
    no_go = tmp_path / "bin"
    no_go.mkdir()
    env = _clean_env(PATH=str(no_go))
    env.pop("GO", None)
    proc = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path / "out")],
        cwd=PACKAGE, capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode != 0
    assert "needs Go" in proc.stderr and "`go` was not found on PATH" in proc.stderr
