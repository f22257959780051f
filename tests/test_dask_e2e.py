"""Dask end to end: a store created on the client travels (pickled) to the
worker processes of a LocalCluster, which read 1,000 objects of the MinIO
test server through it; a zarr array is written and read by Dask through
objstore.zarr; and a CachingStore's disk tier is shared by the workers.

Run via: buildscripts/with-servers.sh minio -- python3 -m pytest tests/test_dask_e2e.py
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import numpy as np
import pytest
from dask.base import tokenize
from distributed import Client, LocalCluster

import objstore
from objstore.store import CachingStore, S3Store
from objstore.zarr import ZarrStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bindings" / "python" / "tests"))
from _servers import minio_store  # noqa: E402

N_OBJECTS = 1000


def _payload(i: int) -> bytes:
    return f"object {i} ".encode() * (i % 50 + 1)


def digest_of_object(store: S3Store, path: str) -> tuple[str, str]:
    """Runs on a worker: read one object through the unpickled store."""
    return path, hashlib.sha256(objstore.get(store, path).bytes()).hexdigest()


def worker_state() -> tuple[bool, int]:
    """Runs on a worker: was the library loaded there, and how many native
    clients does the process hold."""
    from objstore import _ffi

    loaded = _ffi.is_loaded()
    return loaded, objstore.debug_stats()["shared_stores"]


@pytest.fixture(scope="module")
def client():
    # spawn (distributed's default for worker processes): the Go runtime does not survive fork
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
        with LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None, memory_limit="2GiB"
        ) as cluster, Client(cluster) as c:
            yield c


def test_workers_read_objects_through_a_pickled_store(client):
    prefix = "dask-" + uuid.uuid4().hex
    store = minio_store(prefix)
    paths = [f"objects/{i:04d}.bin" for i in range(N_OBJECTS)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: objstore.put(store, paths[i], _payload(i)), range(N_OBJECTS)))

    # cheap to pickle, deterministic to tokenize
    assert len(pickle.dumps(store)) < 1024
    assert tokenize(store) == tokenize(pickle.loads(pickle.dumps(store))) == tokenize(minio_store(prefix))
    assert tokenize(store) != tokenize(minio_store(prefix + "-other"))

    futures = client.map(digest_of_object, [store] * N_OBJECTS, paths, pure=False)
    results = dict(client.gather(futures))
    assert results == {p: hashlib.sha256(_payload(i)).hexdigest() for i, p in enumerate(paths)}

    # every worker did work, and each holds one native client for the many
    # store copies it unpickled (equal configs share a client per process)
    states = client.run(worker_state)
    assert len(states) == 2
    assert all(loaded and count == 1 for loaded, count in states.values()), states
    objstore.delete(store, paths)


def test_zarr_array_written_and_read_by_dask(client):
    store = ZarrStore(minio_store("dask-zarr-" + uuid.uuid4().hex))
    x = da.random.default_rng(42).random((400, 300), chunks=(100, 75)).astype("float32")
    expected = x.compute()
    da.to_zarr(x, store, component="data")
    loaded = da.from_zarr(store, component="data")
    assert loaded.chunks == x.chunks
    np.testing.assert_array_equal(loaded.compute(), expected)
    total = (loaded * 2).sum().compute()
    assert np.isclose(total, 2 * expected.sum(dtype="float64"), rtol=1e-5)
    chunk_keys = [m["path"] for m in objstore.list(store.store, "data/c").collect()]
    assert len(chunk_keys) == 16  # 4 x 4 chunks, each written by a worker


def test_caching_store_disk_tier_is_shared_by_the_workers(client, tmp_path):
    """One worker reads every object through a CachingStore whose disk tier
    both workers share; the objects are then deleted from MinIO (behind the
    cache, within its ttl); the other worker, which never read them and has
    no memory tier, reads them all, right, from the disk tier."""
    inner = minio_store("dask-cache-" + uuid.uuid4().hex)
    paths = [f"objects/{i:03d}.bin" for i in range(60)]
    payloads = {p: hashlib.sha256(p.encode()).digest() * (2000 + 97 * i) for i, p in enumerate(paths)}
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: objstore.put(inner, p, payloads[p]), paths))
    disk_dir = tmp_path / "shared-cache"
    store = CachingStore(inner, memory_bytes=0, disk_dir=disk_dir, disk_bytes="1GiB",
                         block_bytes="64KiB", ttl=timedelta(minutes=10))
    expected = {p: hashlib.sha256(payloads[p]).hexdigest() for p in paths}
    first, second = sorted(client.scheduler_info()["workers"])

    def read_all_on(worker: str) -> dict[str, str]:
        futures = client.map(digest_of_object, [store] * len(paths), paths, workers=[worker], pure=False)
        return dict(client.gather(futures))

    assert read_all_on(first) == expected
    cached_blocks = list((disk_dir / "v1" / "blocks").rglob("*-*"))
    assert len(cached_blocks) == sum(-(-len(b) // (64 << 10)) for b in payloads.values())

    objstore.delete(inner, paths)
    assert not objstore.list(inner).collect()
    assert read_all_on(second) == expected
