"""get_many / get_many_async: many objects and ranges in one call, results in
input order, per-item errors, zero-copy buffers, on memory, local and the S3
test server (MinIO)."""

from __future__ import annotations

import asyncio
import ctypes

import pytest

import objstore
from objstore import Bytes
from objstore.exceptions import InvalidArgumentError, InvalidPathError, NotFoundError

from _async_helpers import leak_free, minio_store, settle


def _body(i: int) -> bytes:
    return (b"%05d:" % i) * (1 + i % 7)


def _fill(store, n: int) -> None:
    async def main():
        sem = asyncio.Semaphore(256)

        async def one(i):
            async with sem:
                await objstore.put_async(store, f"m/{i:05d}", _body(i))

        await asyncio.gather(*(one(i) for i in range(n)))

    asyncio.run(main())


def _check_1000(store, results) -> None:
    assert len(results) == 1010
    for i in range(1000):
        assert isinstance(results[i], Bytes), (i, results[i])
        assert results[i] == _body(i)
    for r in results[1000:]:
        assert isinstance(r, NotFoundError)


def _requests_1000():
    # Missing objects interleaved at the end, 10 of them.
    return [f"m/{i:05d}" for i in range(1000)] + [f"missing/{i}" for i in range(10)]


def test_1000_objects_in_order_with_missing(store):
    _fill(store, 1000)
    base = objstore.debug_stats()
    results = objstore.get_many(store, _requests_1000())
    _check_1000(store, results)
    results2 = asyncio.run(objstore.get_many_async(store, _requests_1000(), max_concurrency=8))
    _check_1000(store, results2)
    del results, results2
    assert settle(leak_free(base))


def test_1000_objects_on_s3():
    store = minio_store()
    _fill(store, 1000)
    results = objstore.get_many(store, _requests_1000())
    _check_1000(store, results)
    results = asyncio.run(store.get_many_async(_requests_1000(), max_concurrency=32))
    _check_1000(store, results)
    # ranges of one object are coalesced and come back as views
    parts = store.get_many([("m/00006", (0, 6)), ("m/00006", (6, 12)), ("m/00006", {"suffix": 6}), ("m/00006", {"offset": 30})])
    assert parts == [_body(6)[0:6], _body(6)[6:12], _body(6)[-6:], _body(6)[30:]]


def test_ranges_kinds_and_per_item_errors(memory_store):
    objstore.put(memory_store, "a", b"0123456789")
    objstore.put(memory_store, "b", b"abcdef")
    results = objstore.get_many(
        memory_store,
        [
            ("a", (2, 5)),
            ("b", {"suffix": 2}),
            "a",
            ("a", {"offset": 7}),
            ("a", (5, 7)),
            ("a", (100, 200)),  # past the end: fails the coalesced read of "a"'s bounded ranges
            ("nope", (0, 1)),
            ("b", None),
        ],
    )
    assert results[1] == b"ef"
    assert results[2] == b"0123456789"
    assert results[3] == b"789"
    assert isinstance(results[6], NotFoundError)
    assert results[7] == b"abcdef"
    # The bounded ranges of "a" share one read, so they share its failure.
    assert all(isinstance(results[i], InvalidArgumentError) for i in (0, 4, 5))

    ok = objstore.get_many(memory_store, [("a", (2, 5)), ("a", (4, 9)), ("a", (0, 1))])
    assert ok == [b"234", b"45678", b"0"]
    # Coalesced: each item has its own handle, over one shared native buffer.
    assert ctypes.addressof(ok[1]) - ctypes.addressof(ok[0]) == 2


def test_raise_on_error(memory_store):
    objstore.put(memory_store, "x", b"x")
    with pytest.raises(NotFoundError):
        objstore.get_many(memory_store, ["x", "missing", "x"], raise_on_error=True)
    with pytest.raises(NotFoundError):
        asyncio.run(objstore.get_many_async(memory_store, ["x", "missing"], raise_on_error=True))
    assert objstore.get_many(memory_store, ["x"], raise_on_error=True) == [b"x"]


def test_bad_requests(memory_store):
    results = objstore.get_many(memory_store, ["ok//no", ("a", (5, 5))])
    assert isinstance(results[0], InvalidPathError)
    assert isinstance(results[1], InvalidArgumentError)
    with pytest.raises(TypeError):
        objstore.get_many(memory_store, "just-a-string")
    with pytest.raises(TypeError):
        objstore.get_many(memory_store, [("a", 1, 2)])
    with pytest.raises(ValueError):
        objstore.get_many(memory_store, ["a"], max_concurrency=0)
    assert objstore.get_many(memory_store, []) == []
