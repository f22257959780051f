"""objstore.zarr.ZarrStore against zarr's own store test-suite
(zarr.testing.store.StoreTests), on a MemoryStore, a LocalStore and an
S3Store on the MinIO test server, plus what the suite does not cover."""

from __future__ import annotations

import asyncio
import os
import pickle
import uuid

import numpy as np
import pytest
import pytest_asyncio
import zarr
from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest
from zarr.core.buffer import cpu, default_buffer_prototype
from zarr.testing.store import StoreTests

import objstore
from objstore.store import LocalStore, MemoryStore
from objstore.zarr import ZarrStore

from _servers import minio_store

# zarr's suite is written for pytest-asyncio; every test here may await.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:The test <Function.*is marked with '@pytest.mark.asyncio':pytest.PytestWarning"),
]


class _ZarrStoreTests(StoreTests[ZarrStore, cpu.Buffer]):
    """The suite's fixtures, with backdoor reads and writes that go straight
    to the objstore store (not through the adapter under test)."""

    store_cls = ZarrStore
    buffer_cls = cpu.Buffer

    async def set(self, store: ZarrStore, key: str, value) -> None:
        objstore.put(store.store, key, value.to_bytes())

    async def get(self, store: ZarrStore, key: str):
        return self.buffer_cls.from_bytes(objstore.get(store.store, key).bytes().to_bytes())

    # pytest-asyncio runs in strict mode here (no ini file at the repository
    # root), so the suite's async fixtures are re-declared as asyncio fixtures.
    @pytest_asyncio.fixture
    async def store(self, open_kwargs):
        return await self.store_cls.open(**open_kwargs)

    @pytest_asyncio.fixture
    async def store_not_open(self, store_kwargs):
        return self.store_cls(**store_kwargs)

    def test_store_repr(self, store: ZarrStore) -> None:
        assert repr(store) == f"ZarrStore({store.store!r})"
        assert "secret" not in repr(store).lower() or "xxxxx" in repr(store)

    def test_store_supports_writes(self, store: ZarrStore) -> None:
        assert store.supports_writes

    def test_store_supports_listing(self, store: ZarrStore) -> None:
        assert store.supports_listing


class TestZarrOnMemoryStore(_ZarrStoreTests):
    @pytest.fixture
    def store_kwargs(self) -> dict:
        return {"store": MemoryStore()}

    async def test_serializable_store(self, store: ZarrStore) -> None:
        # An objstore MemoryStore refuses pickling by design (its objects
        # would not travel), and so does a ZarrStore over it.
        with pytest.raises(TypeError, match="MemoryStore cannot be pickled"):
            pickle.dumps(store)


class TestZarrOnLocalStore(_ZarrStoreTests):
    @pytest.fixture
    def store_kwargs(self, tmp_path) -> dict:
        return {"store": LocalStore(tmp_path / "zarr", mkdir=True)}


class TestZarrOnS3(_ZarrStoreTests):
    @pytest.fixture
    def store_kwargs(self) -> dict:
        return {"store": minio_store("zarr-" + uuid.uuid4().hex)}

    def test_store_repr(self, store: ZarrStore) -> None:
        text = repr(store)
        assert text.startswith("ZarrStore(S3Store(")
        assert os.environ["OBJSTORE_TEST_MINIO_SECRET_KEY"] not in text


# ---- beyond the suite ---------------------------------------------------------------


@pytest.fixture(params=["memory", "local"])
def zstore(request, tmp_path) -> ZarrStore:
    if request.param == "memory":
        return ZarrStore(MemoryStore())
    return ZarrStore(LocalStore(tmp_path / "z", mkdir=True))


async def test_byte_requests_and_missing_keys(zstore: ZarrStore) -> None:
    proto = default_buffer_prototype()
    objstore.put(zstore.store, "a/b", bytes(range(10)))
    assert (await zstore.get("a/b", proto, RangeByteRequest(2, 5))).to_bytes() == bytes([2, 3, 4])
    assert (await zstore.get("a/b", proto, RangeByteRequest(8, 100))).to_bytes() == bytes([8, 9])
    assert (await zstore.get("a/b", proto, OffsetByteRequest(7))).to_bytes() == bytes([7, 8, 9])
    assert (await zstore.get("a/b", proto, SuffixByteRequest(3))).to_bytes() == bytes([7, 8, 9])
    assert await zstore.get("a/missing", proto) is None
    assert zstore.get_sync("a/b", byte_range=SuffixByteRequest(2)).to_bytes() == bytes([8, 9])
    assert zstore.get_sync("a/missing") is None
    values = await zstore.get_partial_values(
        proto, [("a/b", RangeByteRequest(0, 1)), ("nope", None), ("a/b", SuffixByteRequest(1))]
    )
    assert [v.to_bytes() if v is not None else None for v in values] == [b"\x00", None, b"\x09"]
    with pytest.raises(FileNotFoundError):
        await zstore.getsize("a/missing")


@pytest.fixture(params=["memory", "local", "s3"])
def any_zstore(request, tmp_path) -> ZarrStore:
    if request.param == "s3":
        return ZarrStore(minio_store("zarr-eof-" + uuid.uuid4().hex))
    if request.param == "memory":
        return ZarrStore(MemoryStore())
    return ZarrStore(LocalStore(tmp_path / "z", mkdir=True))


# (request, what zarr's own stores give for a value of 10 bytes, for an empty value)
PAST_END_REQUESTS = [
    (RangeByteRequest(10, 20), b"", b""),
    (RangeByteRequest(50, 60), b"", b""),
    (RangeByteRequest(4, 4), b"", b""),
    (RangeByteRequest(6, 2), b"", b""),
    (OffsetByteRequest(10), b"", b""),
    (OffsetByteRequest(11), b"", b""),
    (RangeByteRequest(9, 20), b"\x09", b""),
    (SuffixByteRequest(100), bytes(range(10)), b""),
    (OffsetByteRequest(0), bytes(range(10)), b""),
    (SuffixByteRequest(0), b"", b""),
]


@pytest.mark.parametrize("request_, full, empty", PAST_END_REQUESTS, ids=[repr(r[0]) for r in PAST_END_REQUESTS])
async def test_requests_past_the_end_give_empty_buffers_as_in_zarr(any_zstore: ZarrStore, request_, full, empty) -> None:
    # zarr's stores slice values: a request starting at or past the end is
    # empty, not an error; the same on the async, sync and batched paths.
    proto = default_buffer_prototype()
    store = any_zstore
    objstore.put(store.store, "v/ten", bytes(range(10)))
    objstore.put(store.store, "v/empty", b"")
    for key, expected in (("v/ten", full), ("v/empty", empty)):
        assert (await store.get(key, proto, request_)).to_bytes() == expected
        assert store.get_sync(key, byte_range=request_).to_bytes() == expected
        # None for a missing key, whatever the request.
        assert await store.get("v/missing", proto, request_) is None
        assert store.get_sync("v/missing", byte_range=request_) is None
    batch = [("v/ten", request_), ("v/missing", request_), ("v/empty", request_), ("v/ten", RangeByteRequest(1, 3))]
    values = await store.get_partial_values(proto, batch)
    assert [v if v is None else v.to_bytes() for v in values] == [full, None, empty, b"\x01\x02"]
    got = {key: v async for key, v in store._get_many([(k, proto, r) for k, r in batch[:3]])}
    assert {k: v if v is None else v.to_bytes() for k, v in got.items()} == {"v/ten": full, "v/missing": None, "v/empty": empty}


async def test_the_objstore_store_still_refuses_ranges_past_the_end(zstore: ZarrStore) -> None:
    # Only the adapter answers with an empty buffer: the store keeps
    # object_store's semantics (the conformance suite's past-EOF error).
    objstore.put(zstore.store, "v", bytes(range(10)))
    with pytest.raises(objstore.exceptions.InvalidArgumentError, match="past the end"):
        objstore.get_range(zstore.store, "v", start=10, end=20)
    with pytest.raises(objstore.exceptions.InvalidArgumentError):
        objstore.get(zstore.store, "v", options={"range": {"offset": 10}})


async def test_getsize_prefix_counts_a_directory_not_a_string_prefix(any_zstore: ZarrStore) -> None:
    for key, size in (("c/0/0", 4), ("c/1", 3), ("cc/0", 100), ("cd", 50), ("d/c/0", 7)):
        objstore.put(any_zstore.store, key, b"x" * size)
    assert await any_zstore.getsize_prefix("c") == 7
    assert await any_zstore.getsize_prefix("c/") == 7
    assert await any_zstore.getsize_prefix("c/0") == 4
    assert await any_zstore.getsize_prefix("") == 164
    assert await any_zstore.getsize_prefix("nothing") == 0


async def test_set_if_not_exists_is_create_only_under_races(zstore: ZarrStore) -> None:
    # 16 concurrent create-only writers: exactly one value wins, no error.
    writers = [zstore.set_if_not_exists("race", cpu.Buffer.from_bytes(str(i).encode())) for i in range(16)]
    await asyncio.gather(*writers)
    winner = (await zstore.get("race", default_buffer_prototype())).to_bytes()
    assert winner in {str(i).encode() for i in range(16)}


async def test_read_only_copy_and_list_prefix_is_a_string_prefix(zstore: ZarrStore) -> None:
    for key in ("a/b", "a/bc/d", "ab/c"):
        objstore.put(zstore.store, key, b"x")
    assert sorted([k async for k in zstore.list_prefix("a/b")]) == ["a/b", "a/bc/d"]
    assert sorted([k async for k in zstore.list_prefix("a/")]) == ["a/b", "a/bc/d"]
    assert sorted([k async for k in zstore.list_dir("a")]) == ["b", "bc"]
    assert await zstore.getsize_prefix("a/") == 2
    ro = zstore.with_read_only(True)
    assert ro.read_only and ro != zstore and ro.store == zstore.store
    with pytest.raises(ValueError, match="read-only"):
        ro.set_sync("a/b", cpu.Buffer.from_bytes(b"y"))
    await zstore.delete_dir("a")
    assert sorted([k async for k in zstore.list()]) == ["ab/c"]


async def test_array_roundtrip_and_pickled_store(tmp_path) -> None:
    store = ZarrStore(LocalStore(tmp_path / "arr", mkdir=True))
    data = np.arange(10_000, dtype="int32").reshape(100, 100)
    arr = await zarr.api.asynchronous.create_array(store, name="plain", shape=data.shape, chunks=(30, 30), dtype="int32")
    await arr.setitem(slice(None), data)
    again = pickle.loads(pickle.dumps(store))
    assert again == store
    reopened = await zarr.api.asynchronous.open_array(store=again, path="plain")
    np.testing.assert_array_equal(await reopened.getitem(slice(None)), data)
    # sharded arrays read inner chunks through get_partial_values
    sharded = await zarr.api.asynchronous.create_array(
        store, name="sharded", shape=(64, 64), chunks=(8, 8), shards=(32, 32), dtype="uint8"
    )
    block = np.arange(64 * 64, dtype="uint8").reshape(64, 64)
    await sharded.setitem(slice(None), block)
    np.testing.assert_array_equal(await sharded.getitem((slice(3, 20), slice(40, 50))), block[3:20, 40:50])


def test_dask_tokenize_is_deterministic(tmp_path) -> None:
    from dask.base import tokenize

    a = ZarrStore(LocalStore(tmp_path))
    b = ZarrStore(LocalStore(tmp_path))
    assert tokenize(a) == tokenize(b)
    assert tokenize(a) != tokenize(a.with_read_only(True))


# ---- reads of one event-loop turn go out as one get_many ------------------------------


@pytest.fixture
def read_many_calls(monkeypatch) -> list[list]:
    """The requests of every library get_many the adapter makes."""
    import objstore.zarr as zarr_adapter

    calls: list[list] = []
    real = zarr_adapter._io.read_many

    async def counting(store, requests):
        calls.append(list(requests))
        return await real(store, requests)

    monkeypatch.setattr(zarr_adapter._io, "read_many", counting)
    return calls


async def test_concurrent_reads_of_one_turn_are_one_get_many(zstore: ZarrStore, read_many_calls) -> None:
    proto = default_buffer_prototype()
    for i in range(20):
        objstore.put(zstore.store, f"c/{i}", bytes([i]) * (i + 1))
    got = await asyncio.gather(
        *(zstore.get(f"c/{i}", proto) for i in range(20)),
        zstore.get("c/missing", proto),
        zstore.get("c/3", proto, RangeByteRequest(1, 3)),
        zstore.get_partial_values(proto, [("c/5", SuffixByteRequest(2)), ("c/nope", None), ("c/7", OffsetByteRequest(6))]),
    )
    assert [b.to_bytes() for b in got[:20]] == [bytes([i]) * (i + 1) for i in range(20)]
    assert got[20] is None
    assert got[21].to_bytes() == b"\x03\x03"
    assert [v if v is None else v.to_bytes() for v in got[22]] == [b"\x05\x05", None, b"\x07\x07"]
    assert len(read_many_calls) == 1 and len(read_many_calls[0]) == 25
    # Reads of later turns are later batches.
    assert (await zstore.get("c/0", proto)).to_bytes() == b"\x00"
    assert len(read_many_calls) == 2 and len(read_many_calls[1]) == 1


async def test_a_refused_range_fails_only_itself_in_a_batch(zstore: ZarrStore, read_many_calls) -> None:
    # The library refuses a range starting past the end, and gives the
    # ranges coalesced with it the same refusal: in a batch, they are read
    # again alone and keep their own outcome.
    proto = default_buffer_prototype()
    objstore.put(zstore.store, "r", bytes(range(10)))
    ok, past_end = await asyncio.gather(
        zstore.get("r", proto, RangeByteRequest(2, 5)),
        zstore.get("r", proto, OffsetByteRequest(50)),
        return_exceptions=True,
    )
    assert ok.to_bytes() == bytes([2, 3, 4])
    assert past_end.to_bytes() == b""  # zarr's slicing: nothing past the end
    # One batch, then only single reads (of both, where the store coalesced
    # the two ranges into one read; the past-end one until its size is known).
    assert len(read_many_calls[0]) == 2 and all(len(c) == 1 for c in read_many_calls[1:])


async def test_a_batch_that_fails_whole_is_read_request_by_request(zstore: ZarrStore, monkeypatch) -> None:
    import objstore.zarr as zarr_adapter

    real = zarr_adapter._io.read_many

    async def refuses_batches(store, requests):
        if len(requests) > 1:
            raise RuntimeError("the batch failed")
        return await real(store, requests)

    monkeypatch.setattr(zarr_adapter._io, "read_many", refuses_batches)
    proto = default_buffer_prototype()
    objstore.put(zstore.store, "x", b"xx")
    got = await asyncio.gather(zstore.get("x", proto), zstore.get("gone", proto), zstore.get("x", proto, RangeByteRequest(1, 2)))
    assert [g if g is None else g.to_bytes() for g in got] == [b"xx", None, b"x"]


async def test_cancelled_readers_leave_the_batch_to_the_others(zstore: ZarrStore, monkeypatch) -> None:
    import objstore.zarr as zarr_adapter

    release = asyncio.Event()
    fetches: list[asyncio.Task] = []
    real = zarr_adapter._io.read_many

    async def slow(store, requests):
        fetches.append(asyncio.current_task())
        await release.wait()
        return await real(store, requests)

    monkeypatch.setattr(zarr_adapter._io, "read_many", slow)
    proto = default_buffer_prototype()
    objstore.put(zstore.store, "k", b"value")
    # One of two readers cancelled: the other still gets its bytes.
    keep, drop = asyncio.ensure_future(zstore.get("k", proto)), asyncio.ensure_future(zstore.get("k", proto))
    await asyncio.sleep(0.01)
    drop.cancel()
    release.set()
    assert (await keep).to_bytes() == b"value"
    assert drop.cancelled() and not fetches[0].cancelled()
    # Every reader cancelled: the fetch itself is cancelled.
    release.clear()
    lone = asyncio.ensure_future(zstore.get("k", proto))
    await asyncio.sleep(0.01)
    lone.cancel()
    await asyncio.sleep(0.01)
    assert lone.cancelled() and fetches[1].cancelled()


def test_reads_from_two_event_loops_at_once(tmp_path) -> None:
    import threading

    store = ZarrStore(LocalStore(tmp_path, mkdir=True))
    for i in range(50):
        objstore.put(store.store, f"k/{i}", str(i).encode())
    proto = default_buffer_prototype()
    results: dict[int, list] = {}

    def reader(n: int) -> None:
        async def run():
            return [b.to_bytes() for b in await asyncio.gather(*(store.get(f"k/{i}", proto) for i in range(50)))]

        results[n] = asyncio.run(run())

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [results.get(n) for n in range(4)] == [[str(i).encode() for i in range(50)]] * 4
    # Nothing of those loops' batches is kept, and none of it is pickled.
    assert not store._reads.open
    assert pickle.loads(pickle.dumps(store)) == store
