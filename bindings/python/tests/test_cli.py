"""The objstore command line (python -m objstore), run as a subprocess
against a LocalStore (file:// URLs) and the MinIO test server (s3:// URLs)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

import objstore
from objstore.store import LocalStore

from conftest import SRC_DIR
from _servers import minio_settings, minio_store


def run_cli(*args: str, env_extra: dict[str, str] | None = None, stdin=None, stderr=subprocess.PIPE, timeout=120):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "objstore", *args], capture_output=stderr is subprocess.PIPE,
        stderr=None if stderr is subprocess.PIPE else stderr, env=env, timeout=timeout, stdin=stdin,
    )


def make_tree(root: Path) -> dict[str, bytes]:
    files = {"a.txt": b"alpha\n", "sub/b.bin": os.urandom(300_000), "sub/deeper/c": b"", "sub/deeper/d": b"d" * 1000}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def test_local_store_round_trip(tmp_path):
    src = tmp_path / "src"
    files = make_tree(src)
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    url = store_dir.as_uri()

    r = run_cli("cp", "-r", "-j", "4", str(src), url + "/up/")
    assert r.returncode == 0, r.stderr
    assert b"\r" not in r.stderr and b"copied 4 file(s)" in r.stderr  # plain, not a TTY
    local = LocalStore(store_dir)
    for rel, data in files.items():
        assert objstore.get(local, f"up/{rel}").bytes() == data

    r = run_cli("ls", url + "/up/")
    prefix = store_dir.relative_to("/").as_posix() + "/up"
    assert r.stdout.decode().splitlines() == [f"{prefix}/sub/", f"{prefix}/a.txt"]
    r = run_cli("ls", "-r", url + "/up")
    assert sorted(r.stdout.decode().splitlines()) == sorted(f"{prefix}/{rel}" for rel in files)
    r = run_cli("ls", "-l", url + "/up/a.txt")
    assert r.returncode == 0 and r.stdout.decode().split()[0] == "6"

    r = run_cli("cat", url + "/up/a.txt", url + "/up/sub/deeper/d")
    assert r.stdout == b"alpha\n" + b"d" * 1000
    r = run_cli("stat", url + "/up/sub/b.bin")
    meta = json.loads(r.stdout)
    assert meta["size"] == 300_000 and meta["path"].endswith("up/sub/b.bin")

    # single file into an existing local directory, then the whole prefix back
    out = tmp_path / "out"
    out.mkdir()
    assert run_cli("cp", url + "/up/sub/b.bin", str(out)).returncode == 0
    assert (out / "b.bin").read_bytes() == files["sub/b.bin"]
    assert run_cli("cp", "-r", url + "/up", str(tmp_path / "back")).returncode == 0
    for rel, data in files.items():
        assert (tmp_path / "back" / rel).read_bytes() == data

    # store to store (same store: server-side copy)
    assert run_cli("cp", "-r", url + "/up/sub", url + "/copy/").returncode == 0
    assert objstore.get(local, "copy/deeper/d").bytes() == b"d" * 1000

    r = run_cli("rm", url + "/up/a.txt")
    assert r.returncode == 0
    r = run_cli("rm", url + "/up/a.txt")
    assert r.returncode == 1 and b"not found" in r.stderr
    assert run_cli("rm", "-r", url + "/up").returncode == 0
    assert not (store_dir / "up" / "sub" / "b.bin").exists()
    assert run_cli("ls", "-r", url + "/up").stdout == b""


def test_errors_and_usage(tmp_path):
    r = run_cli("cat", (tmp_path / "missing").as_uri())
    assert r.returncode == 1 and b"not found" in r.stderr
    r = run_cli("cp", "a", "b")
    assert r.returncode == 2 and b"at least one store URL" in r.stderr
    r = run_cli("ls", "not-a-url")
    assert r.returncode == 2
    r = run_cli("-o", "novalue", "ls", tmp_path.as_uri())
    assert r.returncode == 2 and b"key=value" in r.stderr
    r = run_cli("sign", (tmp_path / "x").as_uri())
    assert r.returncode == 1 and b"NotSupported" in r.stderr
    r = run_cli("--help")
    assert r.returncode == 0 and b"usage" in r.stdout


def test_progress_bar_only_on_a_terminal(tmp_path):
    src = tmp_path / "src"
    make_tree(src)
    main_fd, tty_fd = pty.openpty()
    try:
        r = run_cli("cp", "-r", str(src), (tmp_path / "store").as_uri() + "/", stderr=tty_fd)
        os.close(tty_fd)
        tty_fd = -1
        assert r.returncode == 0
        shown = b""
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # EIO once the terminal's other end is closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if tty_fd >= 0:
            os.close(tty_fd)
        os.close(main_fd)
    assert b"\r[" in shown and b"100%" in shown and b"4/4 files" in shown


@pytest.fixture
def minio_env():
    return minio_settings()


def test_s3_through_options_and_environment(tmp_path, minio_env):
    m = minio_env
    prefix = "cli-" + uuid.uuid4().hex
    base = f"s3://{m['BUCKET']}/{prefix}"
    # credentials from the environment; endpoint and region as -o options
    env = {"AWS_ACCESS_KEY_ID": m["ACCESS_KEY"], "AWS_SECRET_ACCESS_KEY": m["SECRET_KEY"]}
    opts = ["-o", f"endpoint={m['ENDPOINT']}", "-o", "region=us-east-1", "--client-option", "allow_http=true"]
    src = tmp_path / "src"
    files = make_tree(src)
    outputs = []

    def cli(*args):
        r = run_cli(*opts, *args, env_extra=env)
        outputs.append(r.stdout + r.stderr)
        return r

    r = cli("cp", "-r", str(src), base + "/tree/")
    assert r.returncode == 0, r.stderr
    store = minio_store(prefix)
    for rel, data in files.items():
        assert objstore.get(store, f"tree/{rel}").bytes() == data
    assert cli("ls", base + "/tree/").stdout.decode().splitlines() == [f"{prefix}/tree/sub/", f"{prefix}/tree/a.txt"]
    assert cli("cat", base + "/tree/a.txt").stdout == b"alpha\n"
    # store to store across two stores (S3 -> local) and back
    local_url = (tmp_path / "mirror").as_uri()
    assert cli("cp", "-r", base + "/tree", local_url + "/").returncode == 0
    assert (tmp_path / "mirror" / "sub" / "b.bin").read_bytes() == files["sub/b.bin"]
    assert cli("cp", local_url + "/sub/b.bin", base + "/again/b.bin").returncode == 0
    assert objstore.get(store, "again/b.bin").bytes() == files["sub/b.bin"]
    signed = cli("sign", "--expires", "60", base + "/tree/a.txt").stdout.decode().strip()
    with urllib.request.urlopen(signed, timeout=10) as resp:
        assert resp.read() == b"alpha\n"
    assert cli("rm", "-r", base).returncode == 0
    assert cli("ls", "-r", base).stdout == b""
    # a wrong secret given on the command line: an error, and the secret is not echoed
    wrong = "WRONG" + uuid.uuid4().hex
    r = run_cli(*opts, "-o", f"access_key_id={m['ACCESS_KEY']}", "-o", f"secret_access_key={wrong}",
                "ls", base + "/", env_extra={})
    assert r.returncode == 1
    outputs.append(r.stdout + r.stderr)
    for text in outputs:
        assert m["SECRET_KEY"].encode() not in text and wrong.encode() not in text
