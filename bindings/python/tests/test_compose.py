"""CachingStore, LimitStore and PrefixStore: stores built over another store
("inner"), whose config document nests the inner store's. They are built,
compared, pickled and rebuilt like any store; the library does the work
(core/cache, core/limit, core/prefix), tested there in depth."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import time
from datetime import timedelta

import pytest

import objstore as obs
from objstore import exceptions as exc
from objstore.store import (
    CachingStore,
    LimitStore,
    LocalStore,
    MemoryStore,
    PrefixStore,
    S3Store,
    from_config,
)


def test_documents_nest_and_are_canonical(tmp_path):
    local = LocalStore(tmp_path)
    store = PrefixStore(LimitStore(CachingStore(local, memory_bytes="64MiB", ttl=timedelta(seconds=90)),
                                   max_in_flight=8), "/a/b/")
    doc = json.loads(store.config_document())
    assert doc == {
        "kind": "prefix",
        "config": {"prefix": "a/b"},
        "inner": {
            "kind": "limit",
            "config": {"max_in_flight": "8"},
            "inner": {"kind": "cache", "config": {"memory_bytes": "64MiB", "ttl": "90s"},
                      "inner": {"kind": "local", "prefix": str(tmp_path)}},
        },
    }
    assert store.prefix == "a/b" and store.inner.inner.inner is local
    assert store.config == {"prefix": "a/b"}
    assert from_config(store.config_document()) == store == from_config(doc)
    assert repr(store) == (
        f'PrefixStore(LimitStore(CachingStore(LocalStore("{tmp_path}"), memory_bytes="64MiB", ttl="90s"), '
        'max_in_flight=8), prefix="a/b")'
    )


def test_disk_dir_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = CachingStore(LocalStore(tmp_path), disk_dir="cache-dir")
    assert json.loads(store.config_document())["config"]["disk_dir"] == str(tmp_path / "cache-dir")


def test_pickle_equality_and_hash(tmp_path):
    store = CachingStore(S3Store("bucket", region="us-east-1"), disk_dir=tmp_path, disk_bytes="1GiB", ttl=30)
    again = pickle.loads(pickle.dumps(store))
    assert again == store and hash(again) == hash(store) and type(again) is CachingStore
    assert again.inner == store.inner
    assert again != CachingStore(S3Store("bucket", region="us-east-1"), disk_dir=tmp_path, ttl=30)
    assert again != LimitStore(S3Store("bucket", region="us-east-1"), max_in_flight=1)
    assert len(pickle.dumps(store)) < 1024


def test_over_a_memory_store():
    memory = MemoryStore()
    obs.put(memory, "a/x", b"in memory")
    cached = CachingStore(memory)
    prefixed = PrefixStore(cached, "a")
    assert prefixed.get("x").bytes() == b"in memory"  # the MemoryStore's own objects
    prefixed.put("y", b"through the wrappers")
    assert obs.get(memory, "a/y").bytes() == b"through the wrappers"
    # Not picklable, as the MemoryStore is not; equal only over the same one.
    with pytest.raises(TypeError, match="MemoryStore cannot be pickled"):
        pickle.dumps(prefixed)
    assert CachingStore(memory) == cached != CachingStore(MemoryStore())
    # A document names no particular memory store: rebuilt, it is a new one.
    rebuilt = from_config(prefixed.config_document())
    assert isinstance(rebuilt.inner.inner, MemoryStore) and rebuilt != prefixed
    with pytest.raises(exc.NotFoundError):
        rebuilt.get("x")


def test_cache_serves_within_ttl_and_sees_a_change_after(tmp_path):
    local = LocalStore(tmp_path)
    cached = CachingStore(local, ttl=timedelta(milliseconds=300))
    obs.put(local, "obj", b"version one")
    assert cached.get("obj").bytes() == b"version one"
    obs.put(local, "obj", b"version two")  # behind the cache's back
    assert cached.get("obj").bytes() == b"version one"  # cached: trusted for the ttl
    assert cached.get_range("obj", start=8, end=11) == b"one"
    time.sleep(0.35)
    assert cached.get("obj").bytes() == b"version two"  # checked again after it
    cached.put("obj", b"version three")  # through the cache: seen at once
    assert cached.get("obj").bytes() == b"version three"
    assert cached.head("obj")["size"] == 13


def test_limit_store_holds_the_rate():
    memory = MemoryStore()
    obs.put(memory, "x", b"1")
    limited = LimitStore(memory, requests_per_second=100)
    start = time.monotonic()
    for _ in range(40):
        limited.head("x")
    assert time.monotonic() - start >= 0.29  # (40 - a burst of 10) at 100 a second


def test_limit_store_max_in_flight_counts_open_readers():
    memory = MemoryStore()
    obs.put(memory, "x", b"1" * 10)
    limited = LimitStore(memory, max_in_flight=1)
    reader = limited.get("x")  # an open body holds the one place
    done = threading.Event()
    threading.Thread(target=lambda: (limited.head("x"), done.set()), daemon=True).start()
    assert not done.wait(0.2)
    assert bytes(reader.bytes()) == b"1" * 10  # read to its end: the place is free
    assert done.wait(10)


def test_async_operations_through_wrappers(tmp_path):
    store = PrefixStore(CachingStore(LocalStore(tmp_path)), "p")

    async def main():
        await store.put_async("k", b"async")
        assert (await store.get_async("k")).bytes() == b"async"
        assert [m["path"] for m in await store.list_async().collect_async()] == ["k"]

    asyncio.run(main())


def test_bad_arguments_are_typed(tmp_path):
    local = LocalStore(tmp_path)
    with pytest.raises(TypeError, match="inner must be a store"):
        CachingStore("s3://bucket")
    with pytest.raises(TypeError):
        CachingStore(local, memory_byte=1)
    with pytest.raises(TypeError, match="prefix must be str"):
        PrefixStore(local, 3)
    with pytest.raises(exc.InvalidArgumentError):
        CachingStore(local, memory_bytes="lots")
    with pytest.raises(exc.InvalidArgumentError):
        CachingStore(local, memory_bytes=0)  # and no disk tier: it would cache nothing
    with pytest.raises(exc.InvalidArgumentError):
        LimitStore(local)
    with pytest.raises(exc.InvalidArgumentError):
        LimitStore(local, max_in_flight=0)
    with pytest.raises(exc.InvalidPathError):
        PrefixStore(local, "a/../b")
    with pytest.raises(exc.UnknownConfigurationKeyError):
        from_config({"kind": "cache", "inner": {"kind": "memory"}, "config": {"colour": "red"}})
    with pytest.raises(exc.UnknownConfigurationKeyError, match="inner document"):
        from_config({"kind": "cache", "inner": {"kind": "memory", "config": {"colour": "red"}}})
    with pytest.raises(exc.InvalidArgumentError):
        from_config({"kind": "cache"})
    with pytest.raises(exc.InvalidArgumentError):
        from_config('{"kind":"cache","inner":{"kind":"memory","kind":"memory"}}')
