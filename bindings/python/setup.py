"""Build hooks for the objstore wheel and sdist (metadata lives in pyproject.toml,
the version in the repository's VERSION file).

Building the package compiles the Go library (``buildscripts/build-lib.sh``,
as the root Makefile does) into objstore/_lib/libobjstore.so inside the wheel,
and tags the wheel for the platform (py3-none-<platform>): it holds native
code but no Python extension module and no CPython ABI dependency (the
binding is ctypes), so one wheel serves every Python 3 from 3.11 on,
free-threaded builds included.

The sdist carries the library's Go sources (go.mod, go.sum, core/, capi/,
include/ and build-lib.sh) under ``libobjstore/``, so it builds anywhere Go
and a C compiler are; Go fetches the modules go.sum pins.

Environment:
  OBJSTORE_SOURCE_DIR  the libobjstore source root (default: the sdist's
                       libobjstore/, else the repository this directory is in)
  GO                   the Go command; CC the C compiler cgo uses
  GOARCH               a cross build (amd64, arm64): the wheel is tagged for it
`make wheel` builds the manylinux wheels with zig as CC (buildscripts/wheel.sh).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools with the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
SDIST_SOURCES = "libobjstore"  # where the sdist keeps the Go sources
# Go's names for the architectures the wheels are built for, as wheel platform tags.
GOARCH_MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}


def _source_root() -> Path:
    candidates = [os.environ.get("OBJSTORE_SOURCE_DIR"), HERE / SDIST_SOURCES, HERE.parent.parent]
    for candidate in filter(None, candidates):
        root = Path(candidate).resolve()
        if (root / "go.mod").is_file() and (root / "capi").is_dir():
            return root
    raise SystemExit(
        "objstore: cannot find the Go sources of libobjstore (go.mod and capi/) in "
        f"{', '.join(str(c) for c in candidates if c)}. Build from the sdist, from a checkout of "
        "the repository (pip install ./bindings/python), or set OBJSTORE_SOURCE_DIR to its root."
    )


def version() -> str:
    """The package's version: the repository's VERSION file, the one source
    of the library's, the C header's and this package's versions."""
    return (_source_root() / "VERSION").read_text().strip()


def _check_toolchain() -> dict[str, str]:
    """The build environment; fails clearly where Go or a C compiler is missing."""
    env = dict(os.environ)
    go = env.get("GO") or shutil.which("go")
    if not go:
        raise SystemExit(
            "objstore: building libobjstore needs Go (1.26 or newer) and a C compiler: "
            "`go` was not found on PATH (set GO to its path). Or install a wheel, which needs neither."
        )
    cc = shlex.split(env["CC"])[0] if env.get("CC") else None
    if not (shutil.which(cc) if cc else shutil.which("gcc") or shutil.which("clang")):
        raise SystemExit(
            "objstore: building libobjstore needs a C compiler for cgo: "
            f"{'CC=' + env['CC'] + ' was not found' if cc else 'no gcc or clang on PATH (set CC)'}."
        )
    env["GO"] = go
    return env


def compile_library(out: Path) -> None:
    """The C ABI library, built by build-lib.sh into `out`."""
    root = _source_root()
    env = _check_toolchain()
    cmd = ["bash", str(root / "buildscripts" / "build-lib.sh"), str(out.resolve())]
    print("objstore: " + " ".join(cmd), flush=True)
    try:
        subprocess.run(cmd, cwd=root, env=env, check=True)
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"objstore: building libobjstore failed (build-lib.sh exited with {e.returncode})") from None


def library_sources(root: Path) -> list[Path]:
    """What building the library needs, relative to `root`: no tests or test data."""
    files = [Path("VERSION"), Path("go.mod"), Path("go.sum"), Path("include/objstore.h"), Path("buildscripts/build-lib.sh")]
    for top in ("core", "capi"):
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or "testdata" in rel.parts or path.name.endswith("_test.go"):
                continue
            if path.suffix in (".go", ".c", ".h", ".map", ".s"):
                files.append(rel)
    return files


class BuildPyWithLibrary(build_py):
    """build_py that also compiles libobjstore into the package."""

    def run(self) -> None:
        super().run()
        if not self.dry_run:
            compile_library(Path(self.build_lib) / "objstore" / "_lib" / "libobjstore.so")


class SdistWithLibrarySources(sdist):
    """An sdist that carries the Go sources the wheel is built from."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        root = _source_root()
        for rel in library_sources(root):
            target = Path(base_dir) / SDIST_SOURCES / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, target)


class NativeDistribution(Distribution):
    """Holds native code: installed to platlib, wheel not pure."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel tagged py3-none-<platform>: native library, no CPython ABI.
    A GOARCH cross build is tagged linux_<its machine>; `make wheel` then has
    auditwheel check and retag it manylinux."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        goarch = os.environ.get("GOARCH")
        if goarch:
            if goarch not in GOARCH_MACHINES:
                raise SystemExit(f"objstore: no wheel platform for GOARCH={goarch} (known: {', '.join(GOARCH_MACHINES)})")
            platform = "linux_" + GOARCH_MACHINES[goarch]
        return "py3", "none", platform


setup(
    version=version(),
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "sdist": SdistWithLibrarySources, "bdist_wheel": PlatformWheel},
)
