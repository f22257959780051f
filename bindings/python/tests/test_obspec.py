"""objstore stores as obspec stores, at run time: obspec-utils (a library
written for any obspec store) reads, caches and globs through an S3Store on
MinIO and an AzureStore on Azurite. (test_typing.py checks the same
protocols statically.)"""

from __future__ import annotations

import asyncio
import os
import uuid

import obspec
import pytest
from obspec_utils.glob import glob, glob_async
from obspec_utils.protocols import ReadableStore
from obspec_utils.readers import BlockStoreReader, BufferedStoreReader, EagerStoreReader
from obspec_utils.wrappers import CachingReadableStore

from objstore.store import AzureStore, MemoryStore

from _servers import azurite_endpoint, create_container, minio_store

DATA = os.urandom(3 * 1024 * 1024 + 11)

# obspec's runtime-checkable protocols are the ones obspec-utils declares;
# the methods every obspec protocol names must exist with their names.
OBSPEC_METHODS = [
    "get", "get_async", "get_range", "get_range_async", "get_ranges", "get_ranges_async", "head", "head_async",
    "list", "list_async", "list_with_delimiter", "list_with_delimiter_async", "put", "put_async",
    "delete", "delete_async", "copy", "copy_async", "rename", "rename_async",
]


@pytest.fixture(params=["s3", "azure"])
def store(request):
    if request.param == "s3":
        return minio_store()
    endpoint = azurite_endpoint()
    container = "obspec-" + uuid.uuid4().hex[:12]
    create_container(endpoint, container)
    return AzureStore(container, use_emulator=True, endpoint=endpoint)


def test_every_obspec_protocol_method_is_there():
    protocols = [getattr(obspec, name) for name in dir(obspec) if name[0].isupper()]
    named = {m for p in protocols if isinstance(p, type) for m in vars(p) if not m.startswith("_")}
    assert named >= {"get", "put", "list_async", "rename_async"}  # the protocols were read
    for method in sorted(named & set(OBSPEC_METHODS)):
        assert callable(getattr(MemoryStore(), method)), method
    assert set(OBSPEC_METHODS) <= named


def test_obspec_utils_readers_read_through_objstore(store):
    store.put("data/blob.bin", DATA)
    assert isinstance(store, ReadableStore)  # obspec-utils' runtime check
    readers = [
        BufferedStoreReader(store, "data/blob.bin"),
        BlockStoreReader(store, "data/blob.bin", block_size=256 * 1024),  # ranges through get_ranges
        EagerStoreReader(store, "data/blob.bin", request_size=1024 * 1024),  # concurrent async ranges
    ]
    for reader in readers:
        with reader:
            assert reader.read(10) == DATA[:10], type(reader).__name__
            reader.seek(2 * 1024 * 1024 + 5)
            assert reader.read(100_000) == DATA[2 * 1024 * 1024 + 5 : 2 * 1024 * 1024 + 100_005]
            reader.seek(-7, os.SEEK_END)
            assert reader.read() == DATA[-7:]
            reader.seek(0)
            assert reader.readall() == DATA


def test_obspec_utils_cache_and_glob(store):
    for name in ("a/x.txt", "a/y.txt", "a/deep/z.txt", "b/w.txt"):
        store.put(name, name.encode())
    cached = CachingReadableStore(store)
    assert bytes(cached.get_range("a/x.txt", start=2, end=5)) == b"x.t"
    assert bytes(cached.get("a/y.txt").buffer()) == b"a/y.txt"
    assert "a/x.txt" in cached.cached_paths
    assert sorted(glob(store, "a/*.txt")) == ["a/x.txt", "a/y.txt"]
    assert sorted(glob(store, "**/z.txt")) == ["a/deep/z.txt"]

    async def main():
        return sorted([p async for p in glob_async(store, "*/w.txt")])

    assert asyncio.run(main()) == ["b/w.txt"]
