"""Tricky keys, every kind of put input, attributes and multipart."""

from __future__ import annotations

import array
import io

import pytest

import objstore

TRICKY_KEYS = [
    "test_dir/test_file.json",
    "a%2Fb/encoded-delimiter.txt",
    "emoji/\U0001F600.bin",
    "\U0001F1E6\U0001F1FA/$shenanigans@@~.txt",
    "%Q.parquet",
    "with space/and more spaces.txt",
    "%48%45%4C%4C%4F/x",
    "ünïcödé/日本語",
]


@pytest.mark.parametrize("key", TRICKY_KEYS)
def test_tricky_keys_roundtrip(store, key):
    payload = key.encode() * 3
    objstore.put(store, key, payload)
    assert objstore.head(store, key)["path"] == key
    assert objstore.get(store, key).bytes() == payload
    assert [m["path"] for m in objstore.list(store).collect()] == [key]
    objstore.copy(store, key, key + ".copy")
    objstore.rename(store, key + ".copy", key + ".moved")
    assert objstore.get(store, key + ".moved").bytes() == payload
    objstore.delete(store, [key, key + ".moved"])
    assert objstore.list(store).collect() == []


def test_percent_prefix_does_not_match_decoded(store):
    objstore.put(store, "%48%45%4C%4C%4F/x", b"1")
    assert objstore.list(store, "HELLO").collect() == []
    assert [m["path"] for m in objstore.list(store, "%48%45%4C%4C%4F").collect()] == ["%48%45%4C%4C%4F/x"]


def test_put_bytes_like_inputs(store):
    objstore.put(store, "ba", bytearray(b"bytearray"))
    objstore.put(store, "mv", memoryview(b"xxmemoryviewxx")[2:-2])
    objstore.put(store, "arr", array.array("B", b"array"))
    objstore.put(store, "Bytes", objstore.Bytes(b"Bytes"))
    got = {k: bytes(objstore.get(store, k).bytes()) for k in ("ba", "mv", "arr", "Bytes")}
    assert got == {"ba": b"bytearray", "mv": b"memoryview", "arr": b"array", "Bytes": b"Bytes"}
    with pytest.raises(TypeError, match="contiguous"):
        objstore.put(store, "strided", memoryview(b"abcdef")[::2])


def test_put_get_result_bytes_back(store):
    objstore.put(store, "src", b"zero-copy in, zero-copy out")
    body = objstore.get(store, "src").bytes()
    objstore.put(store, "dst", body)  # a Bytes is read in place
    objstore.put(store, "dst2", body[5:9])
    assert objstore.get(store, "dst").bytes() == body
    assert objstore.get(store, "dst2").bytes() == b"copy"


def test_put_file_object_and_path(store, tmp_path):
    data = bytes(range(256)) * 400  # 102 400 bytes
    src = tmp_path / "source.bin"
    src.write_bytes(data)
    objstore.put(store, "from-path", src)
    objstore.put(store, "from-str-path", str(src))
    with open(src, "rb") as f:
        objstore.put(store, "from-file", f)
    objstore.put(store, "from-bytesio", io.BytesIO(data), chunk_size=10_000)
    objstore.put(store, "from-file-single", io.BytesIO(data), use_multipart=False)
    for key in ("from-path", "from-str-path", "from-file", "from-bytesio", "from-file-single"):
        assert objstore.get(store, key).bytes() == data, key
    with pytest.raises(TypeError, match="binary mode"):
        objstore.put(store, "text", io.StringIO("text"))


def test_put_iterable(store):
    chunks = [b"one,", bytearray(b"two,"), memoryview(b"three")]
    objstore.put(store, "it", iter(chunks))
    assert objstore.get(store, "it").bytes() == b"one,two,three"
    objstore.put(store, "it-create", chunks, mode="create")
    assert objstore.get(store, "it-create").bytes() == b"one,two,three"
    with pytest.raises(TypeError, match="bytes-like"):
        objstore.put(store, "bad", ["text is not bytes"])
    with pytest.raises(TypeError, match="file"):
        objstore.put(store, "bad", 12345)


def test_multipart_large_buffer(store):
    data = bytes(range(256)) * (4 * 12 * 1024)  # 12 MiB
    objstore.put(store, "mp", data, chunk_size=5 * 1024 * 1024, max_concurrency=4)
    assert objstore.head(store, "mp")["size"] == len(data)
    assert objstore.get(store, "mp").bytes() == data
    objstore.put(store, "mp-forced", data[:1000], use_multipart=True, chunk_size=100)
    assert objstore.get(store, "mp-forced").bytes() == data[:1000]


def test_put_argument_errors(store):
    with pytest.raises(ValueError, match="chunk_size"):
        objstore.put(store, "x", b"1", chunk_size=0)
    with pytest.raises(TypeError, match="max_concurrency"):
        objstore.put(store, "x", b"1", max_concurrency="4")
    with pytest.raises(TypeError, match="use_multipart"):
        objstore.put(store, "x", b"1", use_multipart="yes")
    with pytest.raises(TypeError, match="attributes"):
        objstore.put(store, "x", b"1", attributes=[("Content-Type", "text/plain")])


def test_attributes_memory_roundtrip(memory_store):
    attrs = {"Content-Type": "text/plain", "Cache-Control": "no-cache", "user key": "user value"}
    objstore.put(memory_store, "attr", b"x", attributes=attrs, tags={"team": "data"})
    assert objstore.get(memory_store, "attr").attributes == attrs
    objstore.put(memory_store, "attr-mp", b"y" * 100, attributes=attrs, use_multipart=True, chunk_size=10)
    assert objstore.get(memory_store, "attr-mp").attributes == attrs


def test_attributes_local_not_implemented(local_store):
    # Like object_store's LocalStore: a filesystem cannot keep them, and says so.
    with pytest.raises(objstore.exceptions.OperationNotImplementedError):
        objstore.put(local_store, "attr", b"x", attributes={"Content-Type": "text/plain"})
    with pytest.raises(NotImplementedError):  # also the builtin
        objstore.put(local_store, "attr", b"x", attributes={"Content-Type": "text/plain"})
