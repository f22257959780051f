"""`make install PREFIX=...` installs the library, its header and a
pkg-config file, and a C program builds against that prefix with
`cc $(pkg-config --cflags --libs objstore)` and runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _make_install(*args: str) -> None:
    proc = subprocess.run(["make", "-C", str(REPO), "install", *args], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_install_prefix_and_build_with_pkg_config(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    _make_install(f"PREFIX={prefix}")
    lib = prefix / "lib"
    assert (lib / "libobjstore.so.1").is_file()
    assert os.readlink(lib / "libobjstore.so") == "libobjstore.so.1"
    assert (prefix / "include" / "objstore.h").read_bytes() == (REPO / "include" / "objstore.h").read_bytes()
    pc = (lib / "pkgconfig" / "objstore.pc").read_text()
    assert f"prefix={prefix}\n" in pc

    env = dict(os.environ, PKG_CONFIG_PATH=str(lib / "pkgconfig"))
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "objstore"], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert f"-I{prefix}/include" in flags and f"-L{lib}" in flags and "-lobjstore" in flags

    program = tmp_path / "quickstart"
    example = REPO / "bindings" / "c" / "examples" / "quickstart.c"
    build = subprocess.run(
        ["bash", "-c", f'cc "{example}" $(pkg-config --cflags --libs objstore) -o "{program}"'],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert build.returncode == 0, build.stderr
    needed = subprocess.run(["readelf", "-d", str(program)], capture_output=True, text=True, check=True).stdout
    assert "[libobjstore.so.1]" in needed  # linked by soname, not by file name

    run = subprocess.run(
        [str(program)], capture_output=True, text=True, timeout=60, env=dict(os.environ, LD_LIBRARY_PATH=str(lib))
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_install_honours_destdir(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    _make_install(f"DESTDIR={stage}", "PREFIX=/opt/objstore")
    root = stage / "opt" / "objstore"
    assert (root / "lib" / "libobjstore.so.1").is_file() and (root / "include" / "objstore.h").is_file()
    # the .pc file names the final prefix, not the staging directory
    assert "prefix=/opt/objstore\n" in (root / "lib" / "pkgconfig" / "objstore.pc").read_text()
