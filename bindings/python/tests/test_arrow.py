"""Listings as Arrow record batches (``return_arrow=True``) on every store
kind against its real server (memory, local, MinIO, fake-gcs-server,
Azurite, nginx WebDAV): the Arrow listing equals the dict listing of the
same store, with arro3-core and with pyarrow; obstore's schema; chunk
sizes; zero rows; tricky keys; one-level listings and their common
prefixes; prefix stores; async twins; the PyCapsule interface; that
the batches are imported without a copy and freed when dropped; listings
of thousands of keys over many server pages (100,000 on memory); and
errors typed as the dict listing's (missing bucket or container, refused
key, no server, a bad key met mid-listing).

Run via: buildscripts/with-servers.sh minio fakegcs azurite nginx --
python3 -m pytest bindings/python/tests/test_arrow.py
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import arro3.core
import obstore
import pyarrow as pa
import pytest

import objstore
from objstore import _arrow
from objstore.store import AzureStore, GCSStore, HTTPStore, LocalStore, MemoryStore

from conftest import run_python

sys.path.insert(0, str(Path(__file__).parent))
from _servers import azurite_endpoint, create_container, minio_store  # noqa: E402

KINDS = ["memory", "local", "s3", "gcs", "azure", "http"]

# Keys every one of these servers holds as given.
KEYS = [
    "plain.txt",
    "dir/a b.txt",
    "dir/plus+eq=amp&.bin",
    "dir/sub/deep/leaf",
    "emoji/\U0001f600.bin",
    "ünïcödé/日本語",
    "z-last",
]


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    assert value, f"{name} not set: run via buildscripts/with-servers.sh (make test does)"
    return value


def new_store(kind: str, tmp_path: Path):
    """An empty store of the kind, under a fresh prefix where the kind has one."""
    prefix = "arrow-" + uuid.uuid4().hex[:12]
    if kind == "memory":
        return MemoryStore()
    if kind == "local":
        return LocalStore(tmp_path / prefix, mkdir=True)
    if kind == "s3":
        return minio_store(prefix)
    if kind == "gcs":
        return GCSStore(
            _env("OBJSTORE_TEST_GCS_BUCKET"),
            prefix=prefix,
            base_url=_env("OBJSTORE_TEST_GCS_ENDPOINT"),
            client_options={"allow_http": True},
        )
    if kind == "azure":
        endpoint = azurite_endpoint()
        container = "arrow-" + uuid.uuid4().hex[:12]
        create_container(endpoint, container)
        return AzureStore(container, prefix=prefix, use_emulator=True, endpoint=endpoint)
    if kind == "http":
        return HTTPStore(f"{_env('OBJSTORE_TEST_WEBDAV_URL')}{prefix}/", client_options={"allow_http": True})
    raise AssertionError(kind)


@pytest.fixture(params=KINDS)
def filled(request, tmp_path):
    """A store of each kind holding KEYS (sizes differ per key)."""
    store = new_store(request.param, tmp_path)
    for i, key in enumerate(KEYS):
        objstore.put(store, key, b"x" * (i * 7))
    return store


@pytest.fixture(params=["arro3", "pyarrow"])
def arrow_lib(request, monkeypatch):
    """The Arrow library the results are made with: arro3-core (what a
    process with it installed gets) or pyarrow (the fallback)."""
    monkeypatch.setattr(_arrow, "_arrow_lib", (request.param, arro3.core if request.param == "arro3" else pa))
    return request.param


def as_pyarrow(x) -> pa.RecordBatch:
    """Any Arrow batch, through the PyCapsule interface."""
    return pa.record_batch(x)


def rows_of(batch) -> list[dict]:
    return as_pyarrow(batch).to_pylist()


def check_type(x, lib: str, kind: str) -> None:
    want = {("arro3", "batch"): arro3.core.RecordBatch, ("arro3", "table"): arro3.core.Table,
            ("pyarrow", "batch"): pa.RecordBatch, ("pyarrow", "table"): pa.Table}[lib, kind]
    assert type(x) is want


SCHEMA = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("last_modified", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("size", pa.uint64(), nullable=False),
        pa.field("e_tag", pa.string()),
        pa.field("version", pa.string()),
    ]
)


def test_schema_is_obstores():
    ref = obstore.store.MemoryStore()
    obstore.put(ref, "a", b"1")
    theirs = as_pyarrow(obstore.list(ref, return_arrow=True).collect()).schema
    store = MemoryStore()
    objstore.put(store, "a", b"1")
    ours = as_pyarrow(objstore.list(store, return_arrow=True).collect()).schema
    assert ours.equals(theirs, check_metadata=True)
    assert ours.equals(SCHEMA)
    level = pa.table(objstore.list_with_delimiter(store, return_arrow=True)["objects"])
    assert level.schema.equals(pa.table(obstore.list_with_delimiter(ref, return_arrow=True)["objects"]).schema)


@pytest.mark.parametrize("chunk_size", [1, 3, 1000])
def test_arrow_listing_equals_dict_listing(filled, arrow_lib, chunk_size):
    dicts = objstore.list(filled, chunk_size=chunk_size).collect()
    assert [m["path"] for m in dicts] == sorted(KEYS)
    batches = list(objstore.list(filled, chunk_size=chunk_size, return_arrow=True))
    for b in batches:
        check_type(b, arrow_lib, "batch")
        assert as_pyarrow(b).schema.equals(SCHEMA)
    # every chunk is chunk_size rows but the last
    full, rest = divmod(len(KEYS), chunk_size)
    assert [b.num_rows for b in batches] == [chunk_size] * full + ([rest] if rest else [])
    assert [r for b in batches for r in rows_of(b)] == dicts
    whole = objstore.list(filled, return_arrow=True).collect()
    check_type(whole, arrow_lib, "batch")
    assert rows_of(whole) == dicts
    # prefix and offset, as the dict listing
    assert rows_of(objstore.list(filled, "dir", return_arrow=True).collect()) == objstore.list(filled, "dir").collect()
    after = objstore.list(filled, offset="dir/plus+eq=amp&.bin", return_arrow=True).collect()
    assert [r["path"] for r in rows_of(after)] == sorted(KEYS)[2:]


def test_values(filled):
    for key, row in zip(sorted(KEYS), rows_of(objstore.list(filled, return_arrow=True).collect())):
        head = objstore.head(filled, key)
        assert row["path"] == head["path"] == key and row["size"] == head["size"] == KEYS.index(key) * 7
        assert row["last_modified"].tzinfo is not None
        assert abs((row["last_modified"] - head["last_modified"]).total_seconds()) < 2
        assert abs((datetime.now(timezone.utc) - row["last_modified"]).total_seconds()) < 600
        assert row["e_tag"] is None or row["e_tag"]


def test_one_level_equals_dict_listing(filled, arrow_lib):
    for prefix in (None, "dir", "dir/sub", "missing"):
        want = objstore.list_with_delimiter(filled, prefix)
        got = objstore.list_with_delimiter(filled, prefix, return_arrow=True)
        check_type(got["objects"], arrow_lib, "table")
        assert got["common_prefixes"] == want["common_prefixes"]
        table = pa.table(got["objects"])
        assert table.schema.equals(SCHEMA) and table.to_pylist() == want["objects"]
    top = objstore.list_with_delimiter(filled, return_arrow=True)
    assert top["common_prefixes"] == ["dir", "emoji", "ünïcödé"]
    assert pa.table(top["objects"]).column("path").to_pylist() == ["plain.txt", "z-last"]


def test_async_twins(filled, arrow_lib):
    async def main():
        chunks = [b async for b in objstore.list(filled, chunk_size=2, return_arrow=True)]
        whole = await objstore.list(filled, return_arrow=True).collect_async()
        level = await objstore.list_with_delimiter_async(filled, "dir", return_arrow=True)
        dicts = await objstore.list(filled, chunk_size=2).collect_async()
        return chunks, whole, level, dicts

    chunks, whole, level, dicts = asyncio.run(main())
    assert [b.num_rows for b in chunks] == [2, 2, 2, 1]
    check_type(whole, arrow_lib, "batch")
    assert [r for b in chunks for r in rows_of(b)] == rows_of(whole) == dicts == objstore.list(filled).collect()
    check_type(level["objects"], arrow_lib, "table")
    assert level["common_prefixes"] == ["dir/sub"]
    assert pa.table(level["objects"]).column("path").to_pylist() == ["dir/a b.txt", "dir/plus+eq=amp&.bin"]


@pytest.mark.parametrize("kind", KINDS)
def test_zero_rows(kind, tmp_path, arrow_lib):
    store = new_store(kind, tmp_path)
    assert list(objstore.list(store, return_arrow=True)) == []
    empty = objstore.list(store, return_arrow=True).collect()
    check_type(empty, arrow_lib, "batch")
    assert empty.num_rows == 0 and as_pyarrow(empty).schema.equals(SCHEMA)
    level = objstore.list_with_delimiter(store, return_arrow=True)
    assert level["common_prefixes"] == [] and level["objects"].num_rows == 0
    assert pa.table(level["objects"]).schema.equals(SCHEMA)
    # a stream already at its end still collects an empty batch
    stream = objstore.list(store, return_arrow=True)
    assert list(stream) == [] and stream.collect().num_rows == 0
    assert objstore.list(store).collect() == []


def test_prefix_stores_list_relative_paths(tmp_path):
    root = tmp_path / "root"
    outer = LocalStore(root, mkdir=True)
    objstore.put(outer, "p/q/a", b"1")
    objstore.put(outer, "p/q/b/c", b"22")
    objstore.put(outer, "p/other", b"3")
    inner = LocalStore(root / "p" / "q")
    assert as_pyarrow(objstore.list(inner, return_arrow=True).collect()).column("path").to_pylist() == ["a", "b/c"]
    s3 = minio_store()
    objstore.put(s3, "q/a", b"1")
    objstore.put(s3, "q/b/c", b"22")
    got = objstore.list_with_delimiter(s3, "q", return_arrow=True)
    assert got["common_prefixes"] == ["q/b"] and pa.table(got["objects"]).column("path").to_pylist() == ["q/a"]
    assert rows_of(objstore.list(s3, return_arrow=True).collect()) == objstore.list(s3).collect()


def test_the_pycapsule_interface():
    store = MemoryStore()
    for i in range(5):
        objstore.put(store, f"k/{i}", b"v" * i)
    batch = objstore.list(store, return_arrow=True).collect()
    assert hasattr(batch, "__arrow_c_array__") and hasattr(batch, "__arrow_c_schema__")
    table = objstore.list_with_delimiter(store, "k", return_arrow=True)["objects"]
    assert hasattr(table, "__arrow_c_stream__")
    assert pa.table(table).column("size").to_pylist() == [0, 1, 2, 3, 4]
    # our own capsules: consumed once; dropped unimported, they free the batch
    before = objstore.debug_stats()["arrow_arrays"]
    exported = _export_page(store)
    holder = _arrow._Batch(exported)
    schema_capsule, array_capsule = holder.__arrow_c_array__()
    with pytest.raises(ValueError):
        holder.__arrow_c_array__()
    assert objstore.debug_stats()["arrow_arrays"] == before + 1
    del schema_capsule, array_capsule
    gc.collect()
    assert objstore.debug_stats()["arrow_arrays"] == before
    imported = pa.record_batch(_arrow._Batch(_export_page(store)))
    assert imported.num_rows == 5 and pa.schema(_arrow._Schema()).equals(SCHEMA)


def _export_page(store) -> _arrow.Exported:
    stream = objstore.list(store)
    handle = stream._open()
    exported = _arrow.Exported()
    t = objstore._ffi.scratch()
    assert _arrow.lib().objstore_list_next_arrow(handle.ref, _arrow.ALL, exported.address, t.r_size, t.r_err) == 0
    t.taken = False
    handle.close()
    return exported


@pytest.mark.parametrize("lib", ["arro3", "pyarrow"])
def test_zero_copy_and_freed_when_dropped(lib, monkeypatch):
    monkeypatch.setattr(_arrow, "_arrow_lib", (lib, arro3.core if lib == "arro3" else pa))
    store = MemoryStore()
    for i in range(3000):
        objstore.put(store, f"many/{i:05d}-{'x' * 40}", b"")
    gc.collect()
    before = objstore.debug_stats()
    batch = objstore.list(store, return_arrow=True).collect()
    held = objstore.debug_stats()
    # the imported batch holds the library's buffers (no copy was made)
    assert held["arrow_arrays"] == before["arrow_arrays"] + 1
    assert held["arrow_bytes"] - before["arrow_bytes"] >= 3000 * 50
    column = as_pyarrow(batch).column("path")
    assert column[2999].as_py().startswith("many/02999-")
    # dropped on another thread, the last reference frees it
    box = [batch, column]
    del batch, column
    t = threading.Thread(target=box.clear)
    t.start()
    t.join()
    gc.collect()
    after = objstore.debug_stats()
    assert after["arrow_arrays"] == before["arrow_arrays"] and after["arrow_bytes"] == before["arrow_bytes"]
    # dict listings release their batches at once
    objstore.list(store, chunk_size=700).collect()
    assert objstore.debug_stats()["arrow_arrays"] == before["arrow_arrays"]


def test_return_arrow_must_be_a_bool():
    with pytest.raises(TypeError, match="return_arrow"):
        objstore.list(MemoryStore(), return_arrow="yes")
    with pytest.raises(TypeError, match="return_arrow"):
        objstore.list_with_delimiter(MemoryStore(), return_arrow=1)


def test_listing_errors_stay_typed_with_arrow():
    with pytest.raises(objstore.exceptions.InvalidPathError):  # the listing starts with the first chunk
        objstore.list(MemoryStore(), "a//b", return_arrow=True).collect()
    with pytest.raises(objstore.exceptions.InvalidPathError):
        objstore.list_with_delimiter(MemoryStore(), "../x", return_arrow=True)


_BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
"""


def test_pyarrow_without_arro3():
    code = _BLOCK.format(blocked={"arro3"}) + (
        "import objstore, pyarrow as pa\n"
        "from objstore.store import MemoryStore\n"
        "s = MemoryStore(); objstore.put(s, 'a/b', b'12')\n"
        "b = objstore.list(s, return_arrow=True).collect()\n"
        "t = objstore.list_with_delimiter(s, 'a', return_arrow=True)['objects']\n"
        "assert type(b) is pa.RecordBatch and type(t) is pa.Table, (type(b), type(t))\n"
        "assert b.column('path').to_pylist() == ['a/b'] and t.column('size').to_pylist() == [2]\n"
        "assert 'arro3' not in sys.modules\n"
        "print('ok')\n"
    )
    r = run_python(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_neither_arrow_library_is_a_clear_import_error():
    code = _BLOCK.format(blocked={"arro3", "pyarrow"}) + (
        "import objstore\n"
        "from objstore.store import MemoryStore\n"
        "s = MemoryStore(); objstore.put(s, 'a', b'1')\n"
        "for call in (lambda: objstore.list(s, return_arrow=True),\n"
        "             lambda: objstore.list_with_delimiter(s, return_arrow=True)):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as e:\n"
        "        assert 'arro3-core' in str(e) and 'pyarrow' in str(e), e\n"
        "    else:\n"
        "        raise SystemExit('no ImportError')\n"
        "assert [m['path'] for m in objstore.list(s).collect()] == ['a']  # dicts need neither\n"
        "print('ok')\n"
    )
    r = run_python(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


# ---- large listings: many server pages, many batches -----------------------------------

# Enough keys that each server answers in several pages (MinIO and
# fake-gcs-server 1,000 keys a page, Azurite 5,000) and the batches cross
# page boundaries; 100,000 on the memory store (the benchmark's size).
LARGE = {"memory": 100_000, "local": 3_000, "s3": 2_345, "gcs": 2_050, "azure": 5_050, "http": 1_234}


def _large_keys(n: int) -> list[str]:
    # flat and nested keys, paths of different lengths, some non-ASCII
    return [f"big/{i % 7}/{i:06d}" + ("-é" * (i % 3)) for i in range(n)]


def _fill(store, keys: list[str]) -> None:
    if isinstance(store, MemoryStore):
        for key in keys:
            objstore.put(store, key, b"")
        return

    async def main():
        gate = asyncio.Semaphore(32)

        async def put(i, key):
            async with gate:
                await objstore.put_async(store, key, b"s" * (i % 5))

        await asyncio.gather(*(put(i, k) for i, k in enumerate(keys)))

    asyncio.run(main())


@pytest.mark.parametrize("kind", KINDS)
def test_large_listing_equals_dict_listing(kind, tmp_path):
    store = new_store(kind, tmp_path)
    keys = _large_keys(LARGE[kind])
    _fill(store, keys)
    dicts = objstore.list(store, "big", chunk_size=1000).collect()
    assert [m["path"] for m in dicts] == sorted(keys)
    batches = list(objstore.list(store, "big", chunk_size=1000, return_arrow=True))
    full, rest = divmod(len(keys), 1000)
    assert [b.num_rows for b in batches] == [1000] * full + ([rest] if rest else [])
    got = pa.Table.from_batches([as_pyarrow(b) for b in batches])
    assert got.schema.equals(SCHEMA)
    assert got.to_pylist() == dicts
    whole = as_pyarrow(objstore.list(store, "big", return_arrow=True).collect())
    assert whole.num_rows == len(keys) and whole.column("path").to_pylist() == sorted(keys)
    # one level: the seven directories, and all of one of them
    level = objstore.list_with_delimiter(store, "big", return_arrow=True)
    assert level["common_prefixes"] == [f"big/{d}" for d in range(7)] and level["objects"].num_rows == 0
    level = objstore.list_with_delimiter(store, "big/3", return_arrow=True)
    assert pa.table(level["objects"]).to_pylist() == objstore.list_with_delimiter(store, "big/3")["objects"]
    assert level["objects"].num_rows == len([k for k in keys if k.startswith("big/3/")])


# ---- errors: typed as the dict listing's, nothing partial --------------------------------


def _error_of(call) -> BaseException:
    with pytest.raises(objstore.exceptions.BaseError) as info:
        call()
    return info.value


def _same_errors(store, one_level: bool = True):
    """Each Arrow listing call fails with the dict listing's error class."""
    want = type(_error_of(lambda: objstore.list(store).collect()))
    calls = [
        lambda: objstore.list(store, return_arrow=True).collect(),
        lambda: list(objstore.list(store, chunk_size=1, return_arrow=True)),
        lambda: asyncio.run(objstore.list(store, return_arrow=True).collect_async()),
    ]
    if one_level:
        assert type(_error_of(lambda: objstore.list_with_delimiter(store))) is want
        calls += [
            lambda: objstore.list_with_delimiter(store, return_arrow=True),
            lambda: asyncio.run(objstore.list_with_delimiter_async(store, return_arrow=True)),
        ]
    for call in calls:
        assert type(_error_of(call)) is want
    return want


def test_missing_bucket_or_container_is_not_found():
    m = minio_store()
    missing_bucket = objstore.store.S3Store(
        "no-such-bucket-" + uuid.uuid4().hex[:8], endpoint=m.config["endpoint"],
        access_key_id=m.config["access_key_id"], secret_access_key=m.config["secret_access_key"],
        region="us-east-1", client_options={"allow_http": True},
    )
    assert _same_errors(missing_bucket) is objstore.exceptions.NotFoundError
    missing_container = AzureStore("no-such-" + uuid.uuid4().hex[:8], use_emulator=True, endpoint=azurite_endpoint())
    assert _same_errors(missing_container) is objstore.exceptions.NotFoundError


def test_refused_credentials_are_typed():
    m = minio_store()
    wrong_key = objstore.store.S3Store(
        m.config["bucket"], endpoint=m.config["endpoint"], access_key_id=m.config["access_key_id"],
        secret_access_key="not-the-secret", region="us-east-1", client_options={"allow_http": True},
    )
    assert _same_errors(wrong_key) in (objstore.exceptions.PermissionDeniedError, objstore.exceptions.UnauthenticatedError)


def test_unreachable_server_is_a_bounded_typed_error():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = objstore.store.S3Store(
        "b", endpoint=f"http://127.0.0.1:{port}", access_key_id="k", secret_access_key="s", region="us-east-1",
        client_options={"allow_http": True, "timeout": "5s", "connect_timeout": "2s"},
        retry_config={"max_retries": 1, "retry_timeout": timedelta(seconds=3)},
    )
    started = time.monotonic()
    _same_errors(store)
    assert time.monotonic() - started < 120  # bounded: it does not hang


def test_a_bad_key_met_mid_listing_ends_it_with_a_typed_error():
    """fake-gcs-server keeps a name the path model refuses ("bad//key"): a
    listing yields the batches before it, then fails with InvalidPathError
    (the dict listing likewise); nothing after it is returned as if whole."""
    store = new_store("gcs", Path("/nonexistent"))
    prefix = store.prefix
    for key in ("a/1", "a/2", "a/3"):
        objstore.put(store, key, b"1")
    bucket, endpoint = _env("OBJSTORE_TEST_GCS_BUCKET"), _env("OBJSTORE_TEST_GCS_ENDPOINT")
    name = urllib.parse.quote(f"{prefix}/bad//key", safe="")
    req = urllib.request.Request(
        f"{endpoint}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}", data=b"x", method="POST"
    )
    urllib.request.urlopen(req, timeout=30).read()
    stream = objstore.list(store, chunk_size=1, return_arrow=True)
    first = next(iter(stream))
    assert first.num_rows == 1 and as_pyarrow(first).column("path").to_pylist() == ["a/1"]
    with pytest.raises(objstore.exceptions.InvalidPathError):
        for _ in stream:
            pass
    assert _same_errors(store, one_level=False) is objstore.exceptions.InvalidPathError
    # one level above it, the bad name is only a common prefix: as the dict listing has it
    for level in (None, "bad"):
        got = objstore.list_with_delimiter(store, level, return_arrow=True)
        want = objstore.list_with_delimiter(store, level)
        assert got["common_prefixes"] == want["common_prefixes"]
        assert pa.table(got["objects"]).to_pylist() == want["objects"]


@pytest.mark.parametrize("kind", ["memory", "s3"])
def test_wrapping_stores(kind, tmp_path, arrow_lib):
    """PrefixStore, LimitStore and CachingStore over a store list as it
    does, paths relative to the PrefixStore's prefix."""
    from objstore.store import CachingStore, LimitStore, PrefixStore

    inner = new_store(kind, tmp_path)
    for i, key in enumerate(KEYS):
        objstore.put(inner, f"p/{key}", b"x" * i)
    objstore.put(inner, "outside", b"1")
    wrapped = {
        "prefix": PrefixStore(inner, "p"),
        "limit": PrefixStore(LimitStore(inner, max_in_flight=4), "p"),
        "cache": PrefixStore(CachingStore(inner), "p"),
    }
    for name, store in wrapped.items():
        dicts = objstore.list(store).collect()
        assert [m["path"] for m in dicts] == sorted(KEYS), name
        batches = list(objstore.list(store, chunk_size=3, return_arrow=True))
        check_type(batches[0], arrow_lib, "batch")
        assert [r for b in batches for r in rows_of(b)] == dicts, name
        level = objstore.list_with_delimiter(store, "dir", return_arrow=True)
        want = objstore.list_with_delimiter(store, "dir")
        assert level["common_prefixes"] == want["common_prefixes"] == ["dir/sub"], name
        assert pa.table(level["objects"]).to_pylist() == want["objects"], name
