"""Zero-copy streams (GetResult chunks, lazy list pages) in sync and async
iteration, put from buffers, files and (async) iterables with progress,
and obstore's buffered files (open_reader / open_writer)."""

from __future__ import annotations

import asyncio
import ctypes
import io
import os
import threading

import pytest

import objstore
from objstore import Bytes
from objstore._ffi import lib


def _data(n: int) -> bytes:
    return bytes(range(256)) * (n // 256) + bytes(range(n % 256))


@pytest.mark.parametrize("size", [100, 3_000_000])  # with the response / through the reader
def test_readinto_fills_the_callers_buffer(store, size):
    data = _data(size)
    objstore.put(store, "obj", data)
    # whole, into a buffer of exactly the body's size, reused
    buf = bytearray(size)
    for _ in range(2):
        r = objstore.get(store, "obj")
        assert r.readinto(buf) == size and buf == data
        assert r.readinto(buf) == 0
        assert r.bytes() == b""  # nothing left
    # in parts, into a memoryview; then the rest with bytes()
    part = memoryview(bytearray(size // 3))
    r = objstore.get(store, "obj")
    assert r.readinto(part) == len(part) and part == data[: len(part)]
    assert r.readinto(part[:10]) == 10 and part[:10] == data[len(part) : len(part) + 10]
    assert r.bytes() == data[len(part) + 10 :]
    # a buffer larger than the body takes it all and says how much
    big = bytearray(size + 7)
    assert objstore.get(store, "obj").readinto(big) == size and big[:size] == data and big[size:] == bytes(7)
    with pytest.raises(TypeError, match="writable"):
        objstore.get(store, "obj").readinto(data)  # bytes are read-only
    r = objstore.get(store, "obj")
    r.bytes()
    with pytest.raises(objstore.exceptions.GenericError, match="already read"):
        r.readinto(buf)


def test_stream_chunks_are_zero_copy(store):
    data = _data(3_000_000)
    objstore.put(store, "big.bin", data)
    chunks = list(objstore.get(store, "big.bin").stream(min_chunk_size=1_000_000))
    assert [len(c) for c in chunks] == [1_000_000, 1_000_000, 1_000_000]
    assert b"".join(bytes(c) for c in chunks) == data
    for c in chunks:
        assert isinstance(c, Bytes)
        # The view reads the library's buffer itself: same address as the
        # native buffer's data pointer.
        ptr, size = ctypes.c_void_p(), ctypes.c_size_t()
        assert lib().objstore_buffer_data(c._owner.handle, ctypes.byref(ptr), ctypes.byref(size)) == 0
        assert ptr.value == ctypes.addressof(c) and size.value == len(c)

    async def main():
        got = []
        r = await objstore.get_async(store, "big.bin")
        async for c in r.stream(min_chunk_size=700_000):
            assert isinstance(c, Bytes)
            got.append(c)
        assert b"".join(bytes(c) for c in got) == data
        assert [len(c) for c in got[:-1]] == [700_000] * 4
        # a sync GetResult iterates asynchronously too
        got2 = [c async for c in objstore.get(store, "big.bin")]
        assert b"".join(bytes(c) for c in got2) == data
        assert await objstore.get(store, "big.bin").bytes_async() == data

    asyncio.run(main())


def test_small_body_arrives_with_get_async(memory_store):
    objstore.put(memory_store, "small", b"tiny body")

    async def main():
        r = await objstore.get_async(memory_store, "small")
        chunks = [c async for c in r.stream(4)]
        assert chunks == [b"tiny", b" bod", b"y"]
        r = await objstore.get_async(memory_store, "small")
        assert list(r) == [b"tiny body"]
        r = await objstore.get_async(memory_store, "small", options={"range": (5, 9)})
        assert await r.bytes_async() == b"body"
        assert r.range == (5, 9)
        with pytest.raises(objstore.exceptions.GenericError):
            r.bytes()  # read once

    asyncio.run(main())


def test_list_streams_lazily_sync_and_async(store):
    for i in range(25):
        objstore.put(store, f"l/{i:02d}", b"x")
    stream = objstore.list(store, "l", chunk_size=10)
    assert [len(c) for c in stream] == [10, 10, 5]

    async def main():
        sizes = []
        paths = []
        async for chunk in store.list("l", chunk_size=7):
            sizes.append(len(chunk))
            paths += [m["path"] for m in chunk]
        assert sizes == [7, 7, 7, 4]
        assert paths == [f"l/{i:02d}" for i in range(25)]
        # Stopping early: the rest is never fetched, and nothing is held.
        s = objstore.list(store, "l", chunk_size=3)
        first = await s.__anext__()
        assert len(first) == 3

    asyncio.run(main())


def test_list_async_of_100k_objects_one_page_at_a_time(memory_store):
    async def main():
        sem = asyncio.Semaphore(512)

        async def put(i):
            async with sem:
                await objstore.put_async(memory_store, f"p/{i:06d}", b"")

        await asyncio.gather(*(put(i) for i in range(20_000)))
        n = 0
        async for chunk in objstore.list(memory_store, "p", chunk_size=1000):
            assert len(chunk) <= 1000
            n += len(chunk)
        assert n == 20_000

    asyncio.run(main())


def test_put_inputs_with_progress(store, tmp_path):
    data = _data(1_000_000)
    me = threading.get_ident()

    def recorder():
        calls = []
        return calls, lambda done, total: calls.append((threading.get_ident(), done, total))

    calls, cb = recorder()
    objstore.put(store, "p/bytes", memoryview(data), chunk_size=300_000, progress=cb)
    assert objstore.get(store, "p/bytes").bytes() == data
    assert [c[1] for c in calls] == [300_000, 600_000, 900_000, 1_000_000]
    assert {c[0] for c in calls} == {me} and {c[2] for c in calls} == {1_000_000}

    f = tmp_path / "in.bin"
    f.write_bytes(data)
    calls, cb = recorder()
    objstore.put(store, "p/file", f, chunk_size=400_000, progress=cb)
    assert objstore.get(store, "p/file").bytes() == data
    assert calls[-1][1:] == (1_000_000, 1_000_000)

    calls, cb = recorder()
    objstore.put(store, "p/iter", (data[i : i + 100_000] for i in range(0, len(data), 100_000)), progress=cb)
    assert objstore.get(store, "p/iter").bytes() == data
    assert calls[-1][1:] == (1_000_000, None)

    async def main():
        loop_thread = threading.get_ident()
        calls, cb = recorder()
        await objstore.put_async(store, "a/bytes", bytearray(data), chunk_size=250_000, progress=cb)
        assert await (await objstore.get_async(store, "a/bytes")).bytes_async() == data
        assert [c[1] for c in calls] == [250_000, 500_000, 750_000, 1_000_000]
        assert {c[0] for c in calls} == {loop_thread}

        calls, cb = recorder()
        await objstore.put_async(store, "a/small", b"small", progress=cb)
        assert calls == [(loop_thread, 5, 5)]

        async def agen():
            for i in range(0, len(data), 123_457):
                await asyncio.sleep(0)
                yield data[i : i + 123_457]

        await objstore.put_async(store, "a/agen", agen(), chunk_size=300_000)
        assert objstore.get(store, "a/agen").bytes() == data
        await objstore.put_async(store, "a/path", str(f), chunk_size=300_000)
        assert objstore.get(store, "a/path").bytes() == data
        with open(f, "rb") as fh:
            await objstore.put_async(store, "a/fileobj", fh)
        assert objstore.get(store, "a/fileobj").bytes() == data
        await objstore.put_async(store, "a/create", io.BytesIO(b"once"), mode="create")
        with pytest.raises(objstore.exceptions.AlreadyExistsError):
            await objstore.put_async(store, "a/create", b"twice", mode="create")

    asyncio.run(main())


def test_open_reader(store):
    text = b"".join(b"line %d\n" % i for i in range(2000))
    objstore.put(store, "r.txt", text)
    with objstore.open_reader(store, "r.txt", buffer_size=4096) as f:
        assert f.size == len(text) and f.seekable()
        assert f.read(5) == b"line "
        assert f.tell() == 5
        assert f.readline() == b"0\n"
        assert f.readline() == b"line 1\n"
        f.seek(-7, os.SEEK_END)
        assert f.readline() == b"e 1999\n"
        assert f.read() == b""
        f.seek(100)
        assert f.read(10) == text[100:110]
        f.seek(0)
        lines = f.readlines()
        assert len(lines) == 2000 and lines[1999] == b"line 1999\n"
        f.seek(0)
        assert f.readall() == text
    with pytest.raises(ValueError):
        f.read()
    # The size hint skips the HEAD; a wrong one truncates.
    short = store.open_reader("r.txt", size=10)
    assert short.read() == text[:10]

    async def main():
        f = await objstore.open_reader_async(store, "r.txt", buffer_size=1000)
        assert await f.read(7) == b"line 0\n"
        await f.seek(len(text) - 10)
        assert await f.readall() == text[-10:]
        await f.seek(0)
        n = 0
        async for line in f:
            n += 1
        assert n == 2000
        assert await f.tell() == len(text)

    asyncio.run(main())


def test_open_writer(store):
    data = _data(2_500_000)
    with objstore.open_writer(store, "w/big", buffer_size=1_000_000) as w:
        for i in range(0, len(data), 300_000):
            assert w.write(data[i : i + 300_000]) == len(data[i : i + 300_000])
        w.flush()
        with pytest.raises(FileNotFoundError):
            objstore.head(store, "w/big")  # nothing visible before close
    assert w.closed() and w.result["e_tag"]
    assert objstore.get(store, "w/big").bytes() == data

    with pytest.raises(RuntimeError):
        with store.open_writer("w/aborted") as w:
            w.write(b"partial")
            raise RuntimeError("boom")
    with pytest.raises(FileNotFoundError):
        objstore.head(store, "w/aborted")

    async def main():
        async with objstore.open_writer_async(store, "w/async", buffer_size=1_000_000) as w:
            for i in range(0, len(data), 500_000):
                await w.write(memoryview(data)[i : i + 500_000])
        assert await w.closed()
        assert objstore.get(store, "w/async").bytes() == data

    asyncio.run(main())
