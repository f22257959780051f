"""Build hooks for the objstore wheel (metadata lives in pyproject.toml,
the version in the repository's VERSION file).

Building the package compiles the Go library from the repository this
directory belongs to (`go build -buildmode=c-shared ./capi`, exactly as the
root Makefile does) into objstore/_lib/libobjstore.so inside the wheel, and
tags the wheel for the platform (py3-none-<platform>): it holds native code
but no Python extension module, so one wheel serves every Python 3.

OBJSTORE_SOURCE_DIR names the repository root when building from elsewhere
(for example from an unpacked sdist); GO names the Go command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools with the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
SONAME = "libobjstore.so.1"


def _source_root() -> Path:
    root = Path(os.environ.get("OBJSTORE_SOURCE_DIR") or HERE.parent.parent).resolve()
    if not (root / "go.mod").is_file() or not (root / "capi").is_dir():
        raise SystemExit(
            f"objstore: cannot find the Go sources of libobjstore at {root} (no go.mod and capi/). "
            "Build from a checkout of the repository (pip install ./bindings/python) "
            "or set OBJSTORE_SOURCE_DIR to its root."
        )
    return root


def version() -> str:
    """The package's version: the repository's VERSION file, the one source
    of the library's, the C header's and this package's versions."""
    return (_source_root() / "VERSION").read_text().strip()


def _go() -> str:
    go = os.environ.get("GO") or shutil.which("go")
    if not go:
        raise SystemExit(
            "objstore: building libobjstore needs Go (1.26 or newer) and a C compiler: "
            "`go` was not found on PATH (set GO to its path)."
        )
    return go


def compile_library(out: Path) -> None:
    """go build the C ABI library into `out`, with the exported-symbol
    version script and soname the root Makefile uses."""
    root = _source_root()
    go = _go()
    out.parent.mkdir(parents=True, exist_ok=True)
    exports = root / "capi" / "exports.map"
    ldflags = f"-s -w -extldflags '-Wl,--version-script={exports} -Wl,-soname,{SONAME}'"
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / SONAME  # cgo also writes a header next to it; not shipped
        env = dict(os.environ, CGO_ENABLED="1")
        cmd = [go, "build", "-buildmode=c-shared", "-trimpath", "-ldflags", ldflags, "-o", str(target), "./capi"]
        print("objstore: " + " ".join(cmd), flush=True)
        try:
            subprocess.run(cmd, cwd=root, env=env, check=True)
        except subprocess.CalledProcessError as e:
            raise SystemExit(f"objstore: building libobjstore failed (go build exited with {e.returncode})") from None
        shutil.copyfile(target, out)


class BuildPyWithLibrary(build_py):
    """build_py that also compiles libobjstore into the package."""

    def run(self) -> None:
        super().run()
        if not self.dry_run:
            compile_library(Path(self.build_lib) / "objstore" / "_lib" / "libobjstore.so")


class NativeDistribution(Distribution):
    """Holds native code: installed to platlib, wheel not pure."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel tagged py3-none-<platform>: native library, no CPython ABI."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(version=version(), distclass=NativeDistribution, cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel})
