"""Smoke test of an installed objstore (run by tests/test_wheel.py in a fresh
environment: no source tree, no Go, no C compiler).

MemoryStore, LocalStore and an S3Store on the MinIO test server (its bucket
in OBJSTORE_TEST_MINIO_BUCKET, endpoint and credentials in the AWS_*
variables), and stores pickled into a spawned process.
Prints one JSON object describing what ran where; exits non-zero on any
failure. OBJSTORE_SMOKE_SPAWN_EXECUTABLE names the interpreter command for
the spawned process where sys.executable cannot be run directly (an emulated
interpreter).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import platform
import shutil
import sys
import tempfile
import uuid


def read_in_child(pickled_store: bytes, path: str) -> tuple[bytes, str]:
    """In the spawned process: unpickle the store, read one object."""
    import objstore
    from objstore import _ffi

    store = pickle.loads(pickled_store)
    return objstore.get(store, path).bytes().to_bytes(), _ffi.library_path()


def roundtrip(store, prefix: str) -> None:
    import objstore

    payload = os.urandom(100_000)
    objstore.put(store, f"{prefix}/a.bin", payload)
    objstore.put(store, f"{prefix}/b.txt", b"hello wheel")
    assert objstore.get(store, f"{prefix}/a.bin").bytes() == payload
    assert objstore.get_range(store, f"{prefix}/a.bin", start=10, end=20) == payload[10:20]
    assert objstore.head(store, f"{prefix}/b.txt")["size"] == 11
    listed = sorted(m["path"] for chunk in objstore.list(store, prefix) for m in chunk)
    assert listed == [f"{prefix}/a.bin", f"{prefix}/b.txt"], listed


def main() -> None:
    import objstore
    from objstore import _ffi
    from objstore.store import LocalStore, MemoryStore, S3Store

    gil_after_import = getattr(sys, "_is_gil_enabled", lambda: True)()
    roundtrip(MemoryStore(), "m")
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalStore(tmp, mkdir=True)
        roundtrip(local, "l")
        # Endpoint and credentials from the AWS_* environment, as on a worker
        # (the spawned process below inherits it).
        s3 = S3Store(os.environ["OBJSTORE_TEST_MINIO_BUCKET"], prefix="wheel-smoke-" + uuid.uuid4().hex)
        roundtrip(s3, "s")
        ctx = multiprocessing.get_context("spawn")
        if os.environ.get("OBJSTORE_SMOKE_SPAWN_EXECUTABLE"):
            ctx.set_executable(os.environ["OBJSTORE_SMOKE_SPAWN_EXECUTABLE"])
        with ctx.Pool(1) as pool:
            from_s3, child_library = pool.apply(read_in_child, (pickle.dumps(s3), "s/b.txt"))
            from_local, _ = pool.apply(read_in_child, (pickle.dumps(local), "l/b.txt"))
        assert from_s3 == from_local == b"hello wheel", (from_s3, from_local)
        objstore.delete(s3, ["s/a.bin", "s/b.txt"])
    print(
        json.dumps(
            {
                "version": objstore.__version__,
                "module": objstore.__file__,
                "library": _ffi.library_path(),
                "child_library": child_library,
                "machine": platform.machine(),
                "python": sys.version.split()[0] + getattr(sys, "abiflags", ""),
                "gil_after_import": gil_after_import,
                "gil_after_io": getattr(sys, "_is_gil_enabled", lambda: True)(),
                "on_path": {tool: shutil.which(tool) for tool in ("go", "cc", "gcc", "clang", "zig")},
            }
        )
    )


if __name__ == "__main__":
    main()
