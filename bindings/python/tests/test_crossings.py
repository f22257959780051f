"""How many calls into the library a small synchronous operation makes: a
regression guard for the fused small-object paths (each crossing costs
microseconds, more than the operation itself on a MemoryStore)."""

from __future__ import annotations

import gc

import pytest

import objstore
from objstore import _ffi
from objstore.store import MemoryStore


@pytest.fixture
def crossings(monkeypatch):
    """Every call into the library, by name, through either table (the
    hot functions without argtypes and the library's own functions)."""
    calls: list[str] = []
    # Earlier tests' garbage is freed now, not while counting; a store freed
    # late anyway (3.14t collects on its own schedule) is not the call's.
    gc.collect()

    def counting(name, fn):
        def call(*args):
            if name != "objstore_store_free":
                calls.append(name)
            return fn(*args)

        return call

    fast = _ffi.fast()
    for slot in _ffi.Fast.__slots__:
        monkeypatch.setattr(fast, slot, counting("objstore_" + slot, getattr(fast, slot)))
    lib = _ffi._lib
    for name in _ffi._SIGNATURES:
        monkeypatch.setattr(lib, name, counting(name, getattr(lib, name)))
    return calls


@pytest.fixture
def store():
    s = MemoryStore()
    objstore.put(s, "small", b"x" * 1024)
    objstore.put(s, "large", b"y" * (_ffi_prefetch_max() + 1))
    return s


def _ffi_prefetch_max() -> int:
    from objstore._defaults import PREFETCH_MAX

    return PREFETCH_MAX


def test_small_get_bytes_is_one_call(store, crossings):
    body = objstore.get(store, "small").bytes()
    assert bytes(body) == b"x" * 1024
    del body
    gc.collect()
    assert crossings == ["objstore_get_small"]  # its buffer waits for a batch free


def test_small_buffers_are_freed_in_one_call_per_batch(store, crossings):
    _ffi.free_unfreed()
    crossings.clear()
    for _ in range(_ffi.FREE_BATCH):
        body = objstore.get(store, "small").bytes()
        assert len(body) == 1024
        del body
    gc.collect()
    assert crossings == ["objstore_get_small"] * _ffi.FREE_BATCH + ["objstore_buffers_free"]
    assert not _ffi._unfreed


def test_a_body_past_the_small_size_is_freed_at_once(store, crossings):
    objstore.put(store, "medium", b"m" * (_ffi.SMALL_BUFFER + 1))
    crossings.clear()
    body = objstore.get(store, "medium").bytes()
    assert len(body) == _ffi.SMALL_BUFFER + 1
    del body
    gc.collect()
    assert crossings == ["objstore_get_small", "objstore_buffer_free"]


def test_small_get_meta_needs_no_more_calls(store, crossings):
    result = objstore.get(store, "small")
    assert result.meta["size"] == 1024 and result.meta["path"] == "small"
    assert result.range == (0, 1024)
    assert bytes(result.bytes()) == b"x" * 1024
    del result
    gc.collect()
    assert crossings == ["objstore_get_small"]


def test_large_get_opens_a_reader(store, crossings):
    result = objstore.get(store, "large")
    assert result.meta["size"] == _ffi_prefetch_max() + 1
    body = result.bytes()
    assert len(body) == _ffi_prefetch_max() + 1
    del body, result
    gc.collect()
    assert crossings == [
        "objstore_get_small",
        "objstore_reader_read_all",
        "objstore_reader_free",
        "objstore_buffer_free",
    ]


def test_head_with_strings_past_the_scratch_takes_a_handle(store, crossings):
    long_path = "d/" + "p" * (_ffi.HEAD_STRINGS + 10)
    objstore.put(store, long_path, b"abc")
    crossings.clear()
    m = objstore.head(store, long_path)
    assert m["path"] == long_path and m["size"] == 3 and m["e_tag"]
    gc.collect()
    assert crossings == ["objstore_head_into", "objstore_head", "objstore_meta_list_free"]


def test_small_get_streams_from_memory(store, crossings):
    chunks = [bytes(c) for c in objstore.get(store, "small").stream(min_chunk_size=300)]
    assert b"".join(chunks) == b"x" * 1024 and len(chunks) == 4
    gc.collect()
    assert crossings == ["objstore_get_small"]


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda s: objstore.head(s, "small"), ["objstore_head_into"]),
        (lambda s: objstore.get_range(s, "small", start=256, end=768), ["objstore_get_bytes"]),
        # objstore_string_free is C's free() of the e_tag, not a call into Go.
        (lambda s: objstore.put(s, "small", b"z" * 1024), ["objstore_put", "objstore_string_free"]),
    ],
    ids=["head", "get_range", "put"],
)
def test_other_small_calls(store, crossings, op, expected):
    result = op(store)
    del result
    gc.collect()
    assert crossings == expected
