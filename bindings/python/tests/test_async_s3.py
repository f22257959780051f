"""The async API against the S3 test server (MinIO): 10,000 small objects
written with concurrent put_async, then read back with 10,000 concurrent
get_async; nothing left behind in the library afterwards.

Run via: buildscripts/with-servers.sh minio -- python3 -m pytest bindings/python/tests/test_async_s3.py
"""

from __future__ import annotations

import asyncio

import objstore
from objstore import _async

from _async_helpers import leak_free, minio_store, settle

N = 10_000


def _body(i: int) -> bytes:
    return b"s3 object %d|" % i + bytes([i % 251]) * (i % 61)


def test_10k_put_async_then_10k_concurrent_get_async_on_minio():
    store = minio_store()
    objstore.head_async  # noqa: B018 (loads nothing; the store opens on first I/O)

    async def main():
        puts = await asyncio.gather(*(objstore.put_async(store, f"k/{i:05d}", _body(i)) for i in range(N)))
        assert all(p["e_tag"] for p in puts)
        base = objstore.debug_stats()
        results = await asyncio.gather(*(store.get_async(f"k/{i:05d}") for i in range(N)))
        wrong = [i for i, r in enumerate(results) if r.bytes() != _body(i)]
        assert wrong == []
        assert results[123].meta["size"] == len(_body(123))
        del results
        return base

    base = asyncio.run(main())
    assert _async.in_flight() == 0
    # Idle HTTP connections keep their goroutines: allow the pool's.
    assert settle(leak_free(base, slack_goroutines=600)), (base, objstore.debug_stats())
    stats = objstore.debug_stats()
    assert stats["buffers"] <= base["buffers"] and stats["requests_in_flight"] == 0
