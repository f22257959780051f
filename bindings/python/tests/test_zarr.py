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
