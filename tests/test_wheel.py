"""The wheels and the sdist of `make wheel` (build/wheels/, which `make test`
builds first), checked from the interpreter running this file (`make test`
runs it on 3.11, 3.14 and 3.14t):

- auditwheel accepts each wheel's manylinux tag (x86_64, aarch64);
- this interpreter's pip picks the x86_64 wheel from build/wheels by its tag,
  installs it into a fresh venv with no Go and no C compiler on PATH, and the
  smoke test (tests/wheel_smoke.py) passes there: Memory, Local, MinIO, stores
  pickled into a spawned process;
- the aarch64 wheel, installed by pip for the aarch64 platform, passes the
  same smoke test in Debian's arm64 Python under qemu (buildscripts/arm64-python.sh);
- the sdist carries the Go sources and builds a working wheel with Go, and
  says clearly what is missing without Go or a C compiler.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
import trove_classifiers

REPO = Path(__file__).resolve().parent.parent
WHEELS = REPO / "build" / "wheels"
SMOKE = Path(__file__).resolve().parent / "wheel_smoke.py"
VERSION = (REPO / "VERSION").read_text().strip()
GLIBC = "2_17"
ELF_MACHINES = {"x86_64": 0x3E, "aarch64": 0xB7}  # e_machine of the library


def _clean_env(**extra: str) -> dict[str, str]:
    # Nothing may leak the source tree's package or library into the checks.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OBJSTORE_LIBRARY", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _run(cmd: list[str], *, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def _script(name: str, *args: str) -> str:
    """The path a buildscripts/ helper prints (it builds the tool on first use)."""
    return _run([REPO / "buildscripts" / name, *args], timeout=3600).stdout.strip().splitlines()[-1]


def _wheel(arch: str) -> Path:
    found = sorted(WHEELS.glob(f"objstore-{VERSION}-py3-none-*{arch}.whl"))
    assert len(found) == 1, f"expected one {arch} wheel in {WHEELS} (make wheel), found {found}"
    return found[0]


def _sdist() -> Path:
    sdist = WHEELS / f"objstore-{VERSION}.tar.gz"
    assert sdist.is_file(), f"no sdist {sdist} (make wheel)"
    return sdist


@pytest.fixture(scope="module")
def wheel_tools() -> Path:
    """The bin directory of the venv make wheel ran auditwheel from."""
    python = _script("venv.sh", "wheel-tools", _script("python.sh", "3.11"), str(REPO / "buildscripts" / "requirements-wheel-tools.txt"))
    return Path(python).parent


def _fresh_venv(where: Path) -> Path:
    """A new venv of the interpreter running this test (its base, not its venv)."""
    _run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", where], env=_clean_env())
    return where / "bin" / "python"


def _smoke(python: list[str], env: dict[str, str], cwd: Path) -> dict:
    minio = {k: os.environ.get(f"OBJSTORE_TEST_MINIO_{k}", "") for k in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET")}
    assert all(minio.values()), "the MinIO test server's OBJSTORE_TEST_MINIO_* variables are not set (make test sets them)"
    env = dict(env, AWS_ENDPOINT_URL=minio["ENDPOINT"], AWS_ACCESS_KEY_ID=minio["ACCESS_KEY"],
               AWS_SECRET_ACCESS_KEY=minio["SECRET_KEY"], AWS_REGION="us-east-1", AWS_ALLOW_HTTP="true")
    run = _run([*python, SMOKE], env=env, cwd=cwd, timeout=600)
    return json.loads(run.stdout.strip().splitlines()[-1])


# ---- the wheels --------------------------------------------------------------------


def test_make_wheel_built_two_manylinux_wheels_and_an_sdist() -> None:
    names = sorted(p.name for p in WHEELS.iterdir() if not p.name.startswith("."))
    assert names == [
        f"objstore-{VERSION}-py3-none-manylinux2014_aarch64.manylinux_{GLIBC}_aarch64.whl",
        f"objstore-{VERSION}-py3-none-manylinux2014_x86_64.manylinux_{GLIBC}_x86_64.whl",
        f"objstore-{VERSION}.tar.gz",
    ], names


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_auditwheel_accepts_the_manylinux_tag(arch: str, wheel_tools: Path) -> None:
    whl = _wheel(arch)
    show = _run([wheel_tools / "auditwheel", "show", whl], env=_clean_env(PATH=f"{wheel_tools}:{os.environ['PATH']}")).stdout
    flat = " ".join(show.split())
    assert f'is consistent with the following platform tag: "manylinux_{GLIBC}_{arch}"' in flat, show
    # Only glibc's own libraries, which every manylinux system has.
    assert set(re.findall(r"(lib[\w+-]+\.so\.\d+) with versions", flat)) <= {"libc.so.6", "libpthread.so.0", "libresolv.so.2", "libdl.so.2", "libm.so.6"}, show
    assert "would need to be grafted" not in flat, show
    glibc = {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_([0-9.]+)", show)}
    assert glibc and max(glibc) <= (2, 17), show
    with zipfile.ZipFile(whl) as zf:
        lib = zf.read("objstore/_lib/libobjstore.so")
        wheel_info = zf.read(f"objstore-{VERSION}.dist-info/WHEEL").decode()
    assert lib[:4] == b"\x7fELF" and int.from_bytes(lib[18:20], "little") == ELF_MACHINES[arch]
    assert b"libobjstore.so.1" in lib  # the soname
    assert "Root-Is-Purelib: false" in wheel_info
    assert f"Tag: py3-none-manylinux_{GLIBC}_{arch}" in wheel_info and f"Tag: py3-none-manylinux2014_{arch}" in wheel_info


def test_wheel_contents_and_metadata() -> None:
    with zipfile.ZipFile(_wheel("x86_64")) as zf:
        names = set(zf.namelist())
        assert {"objstore/_lib/libobjstore.so", "objstore/py.typed", "objstore/zarr.py", "objstore/fsspec.py",
                "objstore/proxystore.py", "objstore/cli.py", "objstore/__main__.py"} <= names
        assert [n for n in names if n.endswith(".so")] == ["objstore/_lib/libobjstore.so"]
        entry_points = zf.read(f"objstore-{VERSION}.dist-info/entry_points.txt").decode()
        metadata = zf.read(f"objstore-{VERSION}.dist-info/METADATA").decode()
    assert "objstore = objstore.cli:main" in entry_points
    assert "objstore = objstore.fsspec:ObjectStoreFileSystem" in entry_points
    headers = metadata.split("\n\n")[0]
    assert "Requires-Dist" not in headers.split("Provides-Extra")[0]  # no runtime dependency
    assert "Requires-Python: >=3.11" in headers and "License-Expression: Apache-2.0" in headers
    classifiers = re.findall(r"^Classifier: (.*)$", headers, re.M)
    unknown = [c for c in classifiers if c not in trove_classifiers.classifiers]
    assert not unknown, unknown
    for minor in (11, 12, 13, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Programming Language :: Python :: Free Threading :: 3 - Stable" in classifiers


def test_x86_64_wheel_installs_without_go_or_a_c_compiler_and_works(tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path / "venv")
    bin_dir = python.parent
    # Only the venv's own scripts on PATH: no go, cc, gcc, clang or zig.
    env = _clean_env(PATH=str(bin_dir))
    # pip chooses among both wheels and the sdist by this interpreter's tags.
    _run([python, "-m", "pip", "install", "--no-index", "--only-binary=:all:", "--disable-pip-version-check",
          "--find-links", WHEELS, "objstore"], env=env, cwd=tmp_path)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"], env=env).stdout.strip())
    installed_tags = (site / f"objstore-{VERSION}.dist-info" / "WHEEL").read_text()
    assert f"Tag: py3-none-manylinux_{GLIBC}_x86_64" in installed_tags

    report = _smoke([python], env, tmp_path)
    assert report["on_path"] == {"go": None, "cc": None, "gcc": None, "clang": None, "zig": None}
    assert report["version"] == VERSION and report["machine"] == "x86_64"
    assert report["module"].startswith(str(site)) and report["library"].startswith(str(site))
    assert report["child_library"] == report["library"]
    assert report["python"] == sys.version.split()[0] + sys.abiflags
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        # The package loads no extension module that could re-enable the GIL.
        assert report["gil_after_import"] is False and report["gil_after_io"] is False
    cli = _run([bin_dir / "objstore", "--help"], env=env)
    assert "usage" in cli.stdout.lower()


def test_aarch64_wheel_works_in_an_arm64_python_under_qemu(tmp_path: Path) -> None:
    arm64_python = _script("arm64-python.sh")
    target = tmp_path / "site"
    # This pip checks the wheel's tags against the aarch64 platform.
    _run([sys.executable, "-m", "pip", "install", "--no-index", "--only-binary=:all:", "--no-deps",
          "--disable-pip-version-check", "--platform", f"manylinux_{GLIBC}_aarch64", "--python-version", "3.11",
          "--implementation", "cp", "--target", target, "--find-links", WHEELS, "objstore"], env=_clean_env(), cwd=tmp_path)
    assert (target / f"objstore-{VERSION}.dist-info").is_dir()
    env = _clean_env(PATH="/usr/bin:/bin", PYTHONPATH=str(target), OBJSTORE_SMOKE_SPAWN_EXECUTABLE=arm64_python)
    report = _smoke([arm64_python], env, tmp_path)
    assert report["machine"] == "aarch64" and report["python"].startswith("3.11")
    assert report["library"] == str(target / "objstore" / "_lib" / "libobjstore.so")
    assert report["child_library"] == report["library"]


# ---- the sdist ------------------------------------------------------------------------


def test_sdist_carries_the_go_sources_and_no_tests() -> None:
    with tarfile.open(_sdist()) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for needed in ("setup.py", "pyproject.toml", "src/objstore/__init__.py", "libobjstore/go.mod", "libobjstore/go.sum",
                   "libobjstore/capi/exports.map", "libobjstore/include/objstore.h", "libobjstore/buildscripts/build-lib.sh"):
        assert needed in names, needed
    assert any(n.startswith("libobjstore/core/s3/") and n.endswith(".go") for n in names)
    assert not [n for n in names if n.endswith("_test.go") or "/testdata/" in n or n.endswith(".so")]


def _unpacked_sdist(tmp_path: Path) -> Path:
    with tarfile.open(_sdist()) as tf:
        tf.extractall(tmp_path, filter="data")
    return tmp_path / f"objstore-{VERSION}"


def test_sdist_builds_a_working_wheel_with_go(tmp_path: Path) -> None:
    source = _unpacked_sdist(tmp_path / "src")
    out = tmp_path / "out"
    # Build isolation off: this venv has setuptools and wheel (no index needed).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
          "-w", out, source], env=_clean_env(), cwd=tmp_path, timeout=1800)
    (built,) = out.glob("objstore-*.whl")
    assert built.name == f"objstore-{VERSION}-py3-none-linux_x86_64.whl"
    python = _fresh_venv(tmp_path / "venv")
    env = _clean_env(PATH=str(python.parent))
    _run([python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", built], env=env)
    check = ("import objstore; from objstore.store import MemoryStore; s = MemoryStore(); "
             "objstore.put(s, 'k', b'from sdist'); print(objstore.get(s, 'k').bytes().to_bytes().decode())")
    assert _run([python, "-c", check], env=env, cwd=tmp_path).stdout.strip() == "from sdist"


@pytest.mark.parametrize("missing", ["go", "cc"])
def test_building_without_go_or_a_c_compiler_fails_clearly(missing: str, tmp_path: Path) -> None:
    source = _unpacked_sdist(tmp_path / "src")
    tools = tmp_path / "bin"
    tools.mkdir()
    if missing == "cc":  # go is there, no C compiler
        go = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
        (tools / "go").symlink_to(Path(go) / "bin" / "go")
    env = _clean_env(PATH=str(tools))
    env.pop("GO", None)
    env.pop("CC", None)
    proc = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path / "out")],
                          cwd=source, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0
    if missing == "go":
        assert "needs Go" in proc.stderr and "`go` was not found on PATH" in proc.stderr, proc.stderr
    else:
        assert "needs a C compiler" in proc.stderr and "no gcc or clang on PATH" in proc.stderr, proc.stderr
