"""Every operation on MemoryStore and LocalStore, as free functions and methods."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import objstore
from objstore import Bytes
from objstore.exceptions import (
    AlreadyExistsError,
    InvalidPathError,
    NotFoundError,
    NotSupportedError,
    PreconditionError,
)


def test_put_get_roundtrip(store):
    result = objstore.put(store, "dir/file.bin", b"hello world")
    assert set(result) == {"e_tag", "version"}
    got = objstore.get(store, "dir/file.bin")
    assert got.meta["path"] == "dir/file.bin"
    assert got.meta["size"] == 11
    assert got.meta["e_tag"] == result["e_tag"]
    assert got.range == (0, 11)
    body = got.bytes()
    assert isinstance(body, Bytes)
    assert body == b"hello world"
    assert bytes(body) == b"hello world"


def test_methods_match_functions(store):
    store.put("m.txt", b"method")
    assert store.get("m.txt").bytes() == b"method"
    assert store.get_range("m.txt", start=1, end=3) == b"et"
    assert store.get_ranges("m.txt", starts=[0, 3], ends=[2, 6]) == [b"me", b"hod"]
    assert store.head("m.txt")["size"] == 6
    assert [m["path"] for m in store.list().collect()] == ["m.txt"]
    assert store.list_with_delimiter()["objects"][0]["path"] == "m.txt"
    store.copy("m.txt", "n.txt")
    store.rename("n.txt", "o.txt")
    store.delete("o.txt")
    assert [m["path"] for m in store.list().collect()] == ["m.txt"]


def test_get_body_is_read_once(store):
    objstore.put(store, "once", b"abc")
    result = objstore.get(store, "once")
    assert result.bytes() == b"abc"
    with pytest.raises(objstore.exceptions.BaseError, match="already read"):
        result.bytes()


def test_stream_chunks(store):
    data = bytes(range(256)) * 1000  # 256 000 bytes
    objstore.put(store, "big", data)
    chunks = list(objstore.get(store, "big").stream(min_chunk_size=100_000))
    assert all(isinstance(c, Bytes) for c in chunks)
    assert b"".join(bytes(c) for c in chunks) == data
    assert all(len(c) >= 100_000 for c in chunks[:-1])
    # __iter__ uses the default chunk size
    assert b"".join(bytes(c) for c in objstore.get(store, "big")) == data


def test_get_range_and_ranges(store):
    data = b"0123456789abcdef"
    objstore.put(store, "r", data)
    assert objstore.get_range(store, "r", start=3, end=7) == b"3456"
    assert objstore.get_range(store, "r", start=3, length=4) == b"3456"
    assert objstore.get_range(store, "r", start=10, end=100) == b"abcdef"  # end past EOF is clamped
    parts = objstore.get_ranges(store, "r", starts=[0, 2, 14, 5], ends=[4, 6, 16, 6])
    assert parts == [b"0123", b"2345", b"ef", b"5"]  # overlapping ranges come back exactly
    assert objstore.get_ranges(store, "r", starts=[1, 8], lengths=[2, 3]) == [b"12", b"89a"]
    assert objstore.get_ranges(store, "r", starts=[], ends=[]) == []


def test_range_argument_errors(store):
    objstore.put(store, "r", b"abc")
    with pytest.raises(ValueError, match="exactly one of end= or length="):
        objstore.get_range(store, "r", start=0)
    with pytest.raises(ValueError, match="exactly one of end= or length="):
        objstore.get_range(store, "r", start=0, end=1, length=1)
    with pytest.raises(ValueError, match="start"):
        objstore.get_range(store, "r", start=-1, end=2)
    with pytest.raises(TypeError, match="start"):
        objstore.get_range(store, "r", start="0", end=2)
    with pytest.raises(ValueError, match="starts and ends differ"):
        objstore.get_ranges(store, "r", starts=[0, 1], ends=[1])
    with pytest.raises(ValueError, match="starts"):
        objstore.get_ranges(store, "r", starts=[-1], ends=[1])
    # a range starting past the end is an error from the store
    with pytest.raises(objstore.exceptions.BaseError):
        objstore.get_range(store, "r", start=10, end=20)


def test_head(store):
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    objstore.put(store, "h/x", b"12345")
    meta = objstore.head(store, "h/x")
    assert set(meta) == {"path", "last_modified", "size", "e_tag", "version"}
    assert meta["path"] == "h/x"
    assert meta["size"] == 5
    assert meta["last_modified"].tzinfo is not None
    assert before <= meta["last_modified"] <= datetime.now(timezone.utc) + timedelta(seconds=5)
    with pytest.raises(FileNotFoundError):
        objstore.head(store, "h")  # a "directory" is not an object


def test_put_modes(store):
    first = objstore.put(store, "p", b"one", mode="create")
    with pytest.raises(AlreadyExistsError):
        objstore.put(store, "p", b"two", mode="create")
    with pytest.raises(FileExistsError):  # also the builtin
        objstore.put(store, "p", b"two", mode="create")
    assert objstore.get(store, "p").bytes() == b"one"
    second = objstore.put(store, "p", b"three", mode={"e_tag": first["e_tag"], "version": first["version"]})
    assert objstore.get(store, "p").bytes() == b"three"
    with pytest.raises(PreconditionError):
        objstore.put(store, "p", b"four", mode={"e_tag": first["e_tag"]})
    objstore.put(store, "p", b"five", mode="overwrite")
    assert objstore.get(store, "p").bytes() == b"five"
    assert second["e_tag"] != first["e_tag"]
    with pytest.raises(ValueError, match="mode"):
        objstore.put(store, "p", b"x", mode="append")


def test_delete_single_and_many(store):
    for name in ("a", "b", "c/d"):
        objstore.put(store, name, b"x")
    objstore.delete(store, "a")
    objstore.delete(store, ["b", "c/d"])
    assert objstore.list(store).collect() == []
    objstore.delete(store, [])  # nothing to do
    with pytest.raises(TypeError, match="paths"):
        objstore.delete(store, 5)


def test_list_chunks_prefix_offset(store):
    names = [f"data/{i:03d}" for i in range(23)] + ["other/x", "data.bar/y"]
    for n in names:
        objstore.put(store, n, b"")
    stream = objstore.list(store, "data", chunk_size=10)
    chunks = list(stream)
    assert [len(c) for c in chunks] == [10, 10, 3]
    paths = sorted(m["path"] for c in chunks for m in c)
    assert paths == sorted(names[:23])  # "data" does not match "data.bar" (whole segments)
    rest = objstore.list(store, "data", offset="data/019").collect()
    assert sorted(m["path"] for m in rest) == [f"data/{i:03d}" for i in range(20, 23)]
    assert len(objstore.list(store).collect()) == len(names)
    # a partially consumed stream collects the rest
    s = objstore.list(store, "data", chunk_size=5)
    first = next(s)
    assert len(first) + len(s.collect()) == 23
    assert objstore.list(store, "nothing-here").collect() == []


def test_list_is_lazy(memory_store):
    stream = objstore.list(memory_store)  # nothing requested yet
    objstore.put(memory_store, "late", b"1")
    assert [m["path"] for m in stream.collect()] == ["late"]


def test_list_with_delimiter(store):
    for n in ("mydb/wb/000/000/000.segment", "mydb/wb/001/001/000.segment", "mydb/wb/foo.json", "mydb/wbwbwb/x"):
        objstore.put(store, n, b"12")
    result = objstore.list_with_delimiter(store, "mydb/wb")
    assert result["common_prefixes"] == ["mydb/wb/000", "mydb/wb/001"]
    assert [m["path"] for m in result["objects"]] == ["mydb/wb/foo.json"]
    assert result["objects"][0]["size"] == 2
    top = objstore.list_with_delimiter(store)
    assert top == {"common_prefixes": ["mydb"], "objects": []}
    assert objstore.list_with_delimiter(store, "mydb/w") == {"common_prefixes": [], "objects": []}


def test_copy_rename(store):
    objstore.put(store, "src", b"payload")
    objstore.put(store, "dst", b"old")
    objstore.copy(store, "src", "dst")
    assert objstore.get(store, "dst").bytes() == b"payload"
    with pytest.raises(AlreadyExistsError):
        objstore.copy(store, "src", "dst", overwrite=False)
    objstore.copy(store, "src", "new/nested", overwrite=False)
    objstore.rename(store, "src", "moved")
    with pytest.raises(FileNotFoundError):
        objstore.head(store, "src")
    assert objstore.get(store, "moved").bytes() == b"payload"
    with pytest.raises(AlreadyExistsError):
        objstore.rename(store, "moved", "dst", overwrite=False)
    with pytest.raises(NotFoundError):
        objstore.copy(store, "missing", "x")
    with pytest.raises(NotFoundError):
        objstore.rename(store, "missing", "x")


def test_sign_not_supported(store):
    objstore.put(store, "s", b"x")
    with pytest.raises(NotSupportedError):
        objstore.sign(store, "GET", "s", timedelta(minutes=5))
    with pytest.raises(ValueError, match="method"):
        objstore.sign(store, "FETCH", "s", timedelta(minutes=5))
    with pytest.raises(TypeError, match="expires_in"):
        objstore.sign(store, "GET", "s", 300)


def test_zero_byte_object(store):
    objstore.put(store, "empty", b"")
    assert objstore.head(store, "empty")["size"] == 0
    body = objstore.get(store, "empty").bytes()
    assert body == b"" and len(body) == 0 and memoryview(body).nbytes == 0
    assert list(objstore.get(store, "empty").stream()) == []


def test_invalid_paths(store):
    for bad in ("a//b", "a/../b", "./a", "a\x01b"):
        with pytest.raises(InvalidPathError):
            objstore.put(store, bad, b"x")
    with pytest.raises(InvalidPathError, match="NUL"):
        objstore.get(store, "a\x00b")
    with pytest.raises(ValueError):  # InvalidPathError is also a ValueError
        objstore.head(store, "a\x00b")
    with pytest.raises(TypeError, match="path must be str"):
        objstore.get(store, b"bytes-path")


def test_not_a_store():
    with pytest.raises(TypeError, match="store"):
        objstore.get("not a store", "x")
    with pytest.raises(TypeError, match="store"):
        objstore.list(object())


def test_many_threads_share_a_store(store):
    # Each thread has its own out-parameters; results must never mix.
    import threading

    for i in range(8):
        objstore.put(store, f"t/{i}", bytes([i]) * (1000 + i))
    errors = []

    def worker(i):
        try:
            for _ in range(50):
                assert objstore.get_range(store, f"t/{i}", start=10, end=20) == bytes([i]) * 10
                assert objstore.head(store, f"t/{i}")["size"] == 1000 + i
                assert objstore.get(store, f"t/{i}").bytes() == bytes([i]) * (1000 + i)
                try:
                    objstore.head(store, f"missing/{i}")
                except FileNotFoundError as e:
                    assert f"missing/{i}" in str(e)
                else:
                    raise AssertionError("missing object found")
        except BaseException as e:  # reported to the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_local_store_without_prefix_is_rooted_at_slash(tmp_path):
    from pathlib import Path

    from objstore.store import LocalStore

    (tmp_path / "f.txt").write_bytes(b"rooted")
    store = LocalStore()
    assert store.prefix is None  # as obstore: no prefix given
    assert json.loads(store.config_document())["prefix"] == "/"
    assert objstore.get(store, str(tmp_path / "f.txt").lstrip("/")).bytes() == b"rooted"


def test_unconsumed_results_are_released(store):
    import gc
    import weakref

    from objstore._defaults import PREFETCH_MAX

    # Larger than a small get reads at once: the result holds an open reader.
    objstore.put(store, "u", b"x" * (PREFETCH_MAX + 1))
    result = objstore.get(store, "u")
    reader = weakref.ref(result._reader)
    reader_handle = result._reader.handle
    stream = objstore.list(store, chunk_size=1)
    next(stream)
    lister = weakref.ref(stream._handle)
    list_handle = stream._handle.handle
    del result, stream
    gc.collect()
    assert reader() is None and lister() is None
    # The native handles were freed: freeing them again is reported, not done twice.
    lib = objstore._ffi.lib()
    assert lib.objstore_reader_free(reader_handle) == 100  # OBJSTORE_E_BAD_HANDLE
    assert lib.objstore_list_free(list_handle) == 100


def test_first_use_from_many_threads_opens_one_memory_store():
    import threading

    from objstore.store import MemoryStore

    for _ in range(5):
        store = MemoryStore()
        barrier = threading.Barrier(8)

        def worker(i):
            barrier.wait()
            objstore.put(store, f"k{i}", b"v")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Every write landed in the same native store.
        assert len(objstore.list(store).collect()) == 8
