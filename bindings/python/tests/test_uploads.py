"""cleanup_uploads: unfinished multipart uploads, left by a process killed
in the middle of a large write, are found and aborted (LocalStore and the
MinIO test server), from Python and from the command line."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest

import objstore
from objstore.exceptions import InvalidPathError, NotSupportedError
from objstore.store import LocalStore, MemoryStore

from conftest import SRC_DIR
from _servers import minio_settings, minio_store

# The child writes 6 MiB through open_writer in 5 MiB parts (a multipart
# upload with its first part sent), says "ready" and waits to be killed.
CHILD = """
import pickle, sys, time
import objstore
store = pickle.loads(bytes.fromhex(sys.argv[1]))
w = objstore.open_writer(store, sys.argv[2], buffer_size=5 * 1024 * 1024)
w.write(b"x" * (6 * 1024 * 1024))
w.flush()
print("ready", flush=True)
time.sleep(600)
"""


def leave_upload_open(store, path: str) -> None:
    """Run the child on store and SIGKILL it once its upload is open."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    import pickle

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, pickle.dumps(store).hex(), path], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert child.stdout.readline().strip() == "ready"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def check_cleanup(store, prefix: str, path: str) -> list:
    """The upload of path is listed, spared while young, then aborted."""
    listed = objstore.cleanup_uploads(store, prefix, older_than=timedelta(0), dry_run=True)
    assert [u["path"] for u in listed] == [path]
    began = listed[0]["initiated"]
    assert isinstance(began, datetime) and abs(datetime.now(timezone.utc) - began) < timedelta(minutes=10)
    assert objstore.cleanup_uploads(store, prefix, older_than=timedelta(hours=1)) == []
    aborted = objstore.cleanup_uploads(store, prefix, older_than=timedelta(0))
    assert aborted == listed
    assert objstore.cleanup_uploads(store, prefix, older_than=timedelta(0), dry_run=True) == []
    with pytest.raises(FileNotFoundError):
        objstore.head(store, path)
    return aborted


def test_local_store_upload_of_a_killed_process(tmp_path):
    store = LocalStore(tmp_path / "root", mkdir=True)
    objstore.put(store, "runs/kept.txt", b"kept")
    leave_upload_open(store, "runs/1/big.bin")
    staging = tmp_path / "root" / ".objstore.multipart"
    assert len(os.listdir(staging)) == 1
    [u] = check_cleanup(store, "runs", "runs/1/big.bin")
    assert u["upload_id"]
    assert os.listdir(staging) == []
    assert objstore.get(store, "runs/kept.txt").bytes() == b"kept"


def test_minio_upload_of_a_killed_process():
    store = minio_store()
    leave_upload_open(store, "runs/2/big.bin")
    [u] = check_cleanup(store, "runs", "runs/2/big.bin")
    assert u["upload_id"]


def test_async_twin_and_store_method(tmp_path):
    store = LocalStore(tmp_path / "root", mkdir=True)
    leave_upload_open(store, "a/b")

    async def run():
        assert [u["path"] for u in await store.cleanup_uploads_async(older_than=timedelta(0), dry_run=True)] == ["a/b"]
        return await objstore.cleanup_uploads_async(store, "a", older_than=timedelta(seconds=0))

    assert [u["path"] for u in asyncio.run(run())] == ["a/b"]
    assert store.cleanup_uploads(older_than=timedelta(0)) == []


def test_stores_without_uploads_and_bad_arguments(tmp_path):
    with pytest.raises(NotSupportedError):
        objstore.cleanup_uploads(MemoryStore(), older_than=timedelta(0))
    with pytest.raises(NotSupportedError):
        asyncio.run(objstore.cleanup_uploads_async(MemoryStore(), older_than=timedelta(0)))
    store = LocalStore(tmp_path, mkdir=True)
    with pytest.raises(TypeError):
        objstore.cleanup_uploads(store, older_than=3600)
    with pytest.raises(TypeError):
        objstore.cleanup_uploads(store)  # older_than is required: no accidental abort of live uploads
    with pytest.raises(ValueError):
        objstore.cleanup_uploads(store, older_than=timedelta(seconds=-1))
    with pytest.raises(InvalidPathError):
        objstore.cleanup_uploads(store, "a//b", older_than=timedelta(0))


def test_cli_cleanup_uploads_on_minio():
    m = minio_settings()
    prefix = "pytest-" + uuid.uuid4().hex
    store = minio_store(prefix)
    leave_upload_open(store, "job/part.bin")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"AWS_ACCESS_KEY_ID": m["ACCESS_KEY"], "AWS_SECRET_ACCESS_KEY": m["SECRET_KEY"]})
    opts = ["-o", f"endpoint={m['ENDPOINT']}", "-o", "region=us-east-1", "--client-option", "allow_http=true"]
    url = f"s3://{m['BUCKET']}/{prefix}/"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "objstore", *opts, "cleanup-uploads", *args, url],
                              capture_output=True, text=True, env=env, timeout=120)

    r = cli("--older-than", "1h")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and "aborted 0 unfinished upload(s)" in r.stderr
    r = cli("--older-than", "0", "--dry-run")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and f"{prefix}/job/part.bin" in lines[0] and "would abort 1" in r.stderr
    r = cli("--older-than", "0s")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == lines and "aborted 1 unfinished upload(s)" in r.stderr
    assert objstore.cleanup_uploads(store, older_than=timedelta(0), dry_run=True) == []
    r = cli("--older-than", "soon")
    assert r.returncode == 2 and "not a duration" in r.stderr
