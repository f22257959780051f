"""Lazy loading, pickling across processes, and fork refusal."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from pathlib import Path

import pytest

import objstore
from objstore import _ffi
from objstore.exceptions import ForkedError
from objstore.store import HTTPStore, LocalStore, MemoryStore, S3Store

from conftest import run_python

sys.path.insert(0, str(Path(__file__).parent))
import _spawn_worker  # noqa: E402


def test_import_does_not_load_the_library():
    r = run_python(
        "import objstore, objstore.store, objstore.exceptions\n"
        "from objstore import _ffi\n"
        "assert not _ffi.is_loaded()\n"
        "maps = open('/proc/self/maps').read()\n"
        "assert 'libobjstore.so' not in maps, 'library mapped after import'\n"
        "print('ok')\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_unpickling_does_not_load_the_library(tmp_path):
    local = LocalStore(tmp_path, mkdir=True)
    objstore.put(local, "from-parent", b"hello child")
    http = HTTPStore("http://127.0.0.1:9/base", client_options={"allow_http": True})
    s3 = S3Store("bucket", prefix="p", region="eu-west-1", client_options={"allow_http": True})
    data = pickle.dumps([local, http, s3])
    r = run_python(
        "import pickle, sys\n"
        "import objstore\n"
        "from objstore import _ffi\n"
        f"stores = pickle.loads({data!r})\n"
        "assert not _ffi.is_loaded(), 'unpickling loaded the library'\n"
        "assert 'libobjstore.so' not in open('/proc/self/maps').read()\n"
        "local, http, s3 = stores\n"
        "print(type(local).__name__, type(http).__name__, type(s3).__name__, s3.config)\n"
        "assert not _ffi.is_loaded()\n"
        "print(bytes(objstore.get(local, 'from-parent').bytes()).decode())\n"
        "assert _ffi.is_loaded()\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == [
        "LocalStore HTTPStore S3Store {'region': 'eu-west-1', 'bucket': 'bucket'}",
        "hello child",
    ]


def test_spawn_child_reads_and_writes_parent_store(tmp_path):
    store = LocalStore(tmp_path, mkdir=True)
    objstore.put(store, "dir/written-by-parent", b"parent data")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        loaded_before_io, data, kind = pool.apply(_spawn_worker.read_object, (store, "dir/written-by-parent"))
        assert pool.apply(_spawn_worker.write_object, (store, "dir/written-by-child", b"child data"))
    assert loaded_before_io is False  # the store arrived without loading anything
    assert data == b"parent data" and kind == "LocalStore"
    assert objstore.get(store, "dir/written-by-child").bytes() == b"child data"


def test_fork_child_is_refused():
    store = MemoryStore()
    objstore.put(store, "x", b"1")  # the library is loaded in this process
    handle = store._native.handle
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(r)
            messages = []
            try:
                objstore.get(store, "x")
            except ForkedError as e:
                messages.append(str(e))
            try:
                MemoryStore()  # constructing validates in the library: also refused
            except RuntimeError as e:  # ForkedError is a RuntimeError
                messages.append(str(e))
            # The C shim refuses too, without entering Go.
            rc = _ffi._lib.objstore_delete(handle, b"x", None)
            messages.append(f"rc={rc}")
            os.write(w, "\n".join(messages).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    first, second, rc = out.split("\n")
    assert "spawn" in first and "forkserver" in first
    assert "spawn" in second
    assert rc == "rc=101"  # OBJSTORE_E_FORKED
    # The parent is unaffected.
    assert objstore.get(store, "x").bytes() == b"1"


def test_fork_before_loading_is_fine():
    # pid is recorded when the library loads, so a child forked earlier may load its own.
    r = run_python(
        "import os, objstore\n"
        "from objstore.store import MemoryStore\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    s = MemoryStore(); objstore.put(s, 'k', b'v')\n"
        "    os._exit(0 if objstore.get(s, 'k').bytes() == b'v' else 1)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status))\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"


def test_interpreter_exit_with_live_objects_is_clean(tmp_path):
    r = run_python(
        "import objstore\n"
        "from objstore.store import LocalStore, MemoryStore\n"
        f"s = LocalStore({str(tmp_path)!r})\n"
        "objstore.put(s, 'a', b'x' * 100000)\n"
        "keep = [objstore.get(s, 'a').bytes(), objstore.get(s, 'a'), objstore.list(s), MemoryStore()]\n"
        "next(iter(keep[2]))\n"
        "print('done')\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "done" and r.stderr == ""


def test_library_not_found_message(tmp_path):
    r = run_python(
        "import objstore\n"
        "from objstore import _ffi\n"
        "_ffi.candidate_paths = lambda: []\n"
        "try:\n"
        "    objstore.store.MemoryStore()\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, 'make build' in str(e))\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "LibraryNotFoundError True"
