"""objstore.Bytes: bytes-like behaviour, buffer protocol, and zero copy."""

from __future__ import annotations

import ctypes
import gc
import hashlib
import io
import pickle
import sys
import tracemalloc

import numpy as np
import pytest

import objstore
from objstore import Bytes, _ffi
from objstore._args import BorrowedBuffer

from conftest import run_python


def buffer_address(obj) -> int:
    """The address a consumer of obj's buffer protocol sees."""
    buf = BorrowedBuffer(obj)
    try:
        return buf.address
    finally:
        buf.release()


def library_data_pointer(b: Bytes) -> tuple[int, int]:
    """Ask the C library where the buffer owning b lives."""
    data, size = ctypes.c_void_p(), ctypes.c_size_t()
    rc = _ffi.lib().objstore_buffer_data(b._owner.handle, ctypes.byref(data), ctypes.byref(size))
    assert rc == 0
    return data.value, size.value


def test_bytes_like_behaviour():
    b = Bytes(b"hello world")
    assert isinstance(b, Bytes)
    assert len(b) == 11
    assert b[0] == 104 and b[-1] == 100
    assert b[1:4] == b"ell" and isinstance(b[1:4], Bytes)
    assert b[::2] == b"hlowrd"
    assert b == b"hello world" and b == bytearray(b"hello world") and b == Bytes(b"hello world")
    assert b != b"hello"
    assert hash(b) == hash(b"hello world")
    assert bytes(b) == b.to_bytes() == b"hello world"
    assert b"wor" in b and 104 in b
    assert list(b[:3]) == [104, 101, 108]
    assert b.decode() == "hello world"
    assert b.startswith(b"hell") and b.endswith(b"world") and not b.startswith(b"x")
    assert b.removeprefix(b"hello ") == b"world" and b.removesuffix(b" world") == b"hello"
    assert b + b"!" == b"hello world!"
    assert b.upper() == b"HELLO WORLD" and b.isascii()
    assert b.find(b"o") == 4 and b.count(b"o") == 2
    assert repr(b) == "Bytes(b'hello world')"
    assert pickle.loads(pickle.dumps(b)) == b
    assert sorted([Bytes(b"b"), Bytes(b"a")]) == [b"a", b"b"]
    assert Bytes() == b"" and len(Bytes()) == 0
    try:
        b[0] = 1
    except TypeError:
        pass
    else:
        raise AssertionError("Bytes must be immutable")


def test_buffer_protocol_format():
    b = Bytes(b"\x01\x00\x00\x00\x02\x00\x00\x00")
    mv = memoryview(b)
    assert mv.format == "B"
    assert mv.itemsize == 1 and mv.ndim == 1 and mv.nbytes == 8 and mv.c_contiguous
    assert mv.cast("I").tolist() == [1, 2]  # needs the native "B" format
    assert hashlib.sha256(b).hexdigest() == hashlib.sha256(bytes(b)).hexdigest()
    assert bytearray(b) == bytes(b)


def test_views_share_the_library_buffer(store):
    objstore.put(store, "r", bytes(range(100)))
    parts = objstore.get_ranges(store, "r", starts=[10, 50], ends=[20, 60])
    assert parts == [bytes(range(10, 20)), bytes(range(50, 60))]
    assert parts[0]._owner is parts[1]._owner  # one native buffer, two views
    data, size = library_data_pointer(parts[0])
    assert data <= ctypes.addressof(parts[0]) < data + size
    assert data <= ctypes.addressof(parts[1]) < data + size
    sub = parts[0][2:5]
    assert sub == bytes(range(12, 15))
    assert ctypes.addressof(sub) == ctypes.addressof(parts[0]) + 2 and sub._owner is parts[0]._owner


def test_buffer_freed_when_last_view_goes(memory_store):
    objstore.put(memory_store, "f", b"x" * 1000)
    body = objstore.get(memory_store, "f").bytes()
    owner = body._owner
    view = memoryview(body)
    del body
    gc.collect()
    assert owner.handle  # the memoryview keeps the Bytes, which keeps the buffer
    assert view[:3].tobytes() == b"xxx"
    handle = owner.handle
    del view, owner
    gc.collect()
    _ffi.free_unfreed()  # a small body's buffer waits for its batch
    # The handle was freed: the library reports it as unknown now.
    data, size = ctypes.c_void_p(), ctypes.c_size_t()
    assert _ffi.lib().objstore_buffer_data(handle, ctypes.byref(data), ctypes.byref(size)) == 100


def test_zero_copy_64_mib(local_store):
    size = 64 * 1024 * 1024
    payload = bytearray(size)
    payload[::4096] = b"\x07" * (size // 4096)
    objstore.put(local_store, "big.bin", payload)  # read in place from the bytearray
    del payload
    gc.collect()

    tracemalloc.start()
    try:
        body = objstore.get(local_store, "big.bin").bytes()
        mv = memoryview(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Python allocated nothing close to the object's size: the bytes were
    # never copied into Python memory.
    assert peak < 1024 * 1024, peak

    assert len(body) == size and mv.nbytes == size and mv.format == "B"
    data, lib_size = library_data_pointer(body)
    assert lib_size == size
    assert ctypes.addressof(body) == data  # the Bytes is the library's memory
    assert buffer_address(mv) == data  # and so is what buffer consumers read
    assert buffer_address(body) == data
    assert mv[0] == 7 and mv[4096] == 7 and mv[1] == 0

    # Slices and ranges stay zero-copy too.
    tracemalloc.start()
    try:
        half = body[size // 2 :]
        rng = objstore.get_range(local_store, "big.bin", start=0, length=size // 2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, peak
    assert ctypes.addressof(half) == data + size // 2
    assert len(rng) == size // 2 and rng[4096] == 7


def test_exported_memory_is_read_only_from_python_3_12_and_still_zero_copy(store):
    objstore.put(store, "ro", b"library memory")
    body = objstore.get(store, "ro").bytes()
    data, _ = library_data_pointer(body)
    mv = memoryview(body)
    array = np.frombuffer(body, dtype=np.uint8)
    # Zero copy on every Python: what buffer consumers see is the library's buffer.
    assert buffer_address(mv) == data and buffer_address(body) == data
    assert array.ctypes.data == data
    if sys.version_info >= (3, 12):
        # __buffer__ exports the memory read-only: no consumer can write into it.
        assert mv.readonly
        with pytest.raises(TypeError):
            mv[0] = 0x41
        with pytest.raises(TypeError):
            io.BytesIO(b"XYZ").readinto(body)
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array.setflags(write=True)
        with pytest.raises(TypeError):  # a writable buffer request is refused
            ctypes.c_char.from_buffer(body)
    else:
        # Python 3.11 has no __buffer__: a Python class can export a buffer
        # only through ctypes, which always exports writable memory. Bytes
        # itself refuses item assignment; writing through a memoryview is the
        # documented gap (see objstore/_bytes.py).
        assert not mv.readonly and array.flags.writeable
    with pytest.raises(TypeError):
        body[0] = 0x41
    assert body == b"library memory"


def test_stream_chunks_are_zero_copy(local_store):
    objstore.put(local_store, "s", bytes(3 * 1024 * 1024))
    for chunk in objstore.get(local_store, "s").stream(min_chunk_size=1024 * 1024):
        data, size = library_data_pointer(chunk)
        assert ctypes.addressof(chunk) == data and len(chunk) == size


# Every kind of buffer consumer, each fed a whole object, a zero-copy slice of
# one and an empty one. Run in a child interpreter: a consumer that crashes
# (ctypes exports a NULL strides pointer, which CPython's memoryview
# comparison and slice assignment read: a segfault on 3.11) fails this test
# with the consumer's name instead of killing the test run.
_CONSUMERS = r"""
import array, hashlib, io, os, socket, struct, sys, tempfile, zlib
import numpy as np
import objstore
from objstore.store import MemoryStore

store = MemoryStore()
objstore.put(store, "k", b"hello")
objstore.put(store, "big", bytes(range(256)) * 4096)
objstore.put(store, "empty", b"")
cases = {
    "whole": (objstore.get(store, "k").bytes(), b"hello"),
    "slice": (objstore.get(store, "big").bytes()[1000:1000 + 70000], (bytes(range(256)) * 4096)[1000:71000]),
    "empty": (objstore.get(store, "empty").bytes(), b""),
}


def slice_assign(b):
    m = memoryview(bytearray(len(b)))
    m[:] = b
    return m.tobytes()


def file_write(b):
    with tempfile.TemporaryFile() as f:
        f.write(b)
        f.seek(0)
        return f.read()


def raw_write(b):
    r, w = os.pipe()
    try:
        if b:
            os.write(w, b[:4096])
        os.close(w)
        w = None
        return os.read(r, 8192)
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def socket_send(b):
    a, c = socket.socketpair()
    with a, c:
        a.setblocking(False)
        head = b[:4096]
        a.sendall(head)
        return c.recv(8192) if head else b""


consumers = {
    "memoryview slice assignment": slice_assign,
    "memoryview == Bytes": lambda b: (memoryview(bytes(b)) == b) and bytes(b),
    "Bytes == memoryview": lambda b: (b == memoryview(bytes(b))) and bytes(b),
    "memoryview(b) == memoryview(b)": lambda b: (memoryview(b) == memoryview(b)) and bytes(b),
    "memoryview.tobytes": lambda b: memoryview(b).tobytes(),
    "memoryview.cast": lambda b: memoryview(b).cast("c").tobytes(),
    "memoryview slice": lambda b: memoryview(b)[0:len(b)].tobytes(),
    "bytes": bytes,
    "bytearray": lambda b: bytes(bytearray(b)),
    "bytearray +=": lambda b: bytes(bytearray(b"") + b),
    "join": lambda b: b"".join([b]),
    "numpy.frombuffer": lambda b: np.frombuffer(b, dtype=np.uint8).tobytes(),
    "numpy.asarray(memoryview)": lambda b: np.asarray(memoryview(b)).tobytes(),
    "struct.unpack_from": lambda b: struct.unpack_from(f"{len(b)}s", b)[0],
    "hashlib": lambda b: hashlib.sha256(b).digest() == hashlib.sha256(bytes(b)).digest() and bytes(b),
    "zlib.crc32": lambda b: zlib.crc32(b) == zlib.crc32(bytes(b)) and bytes(b),
    "io.BytesIO": lambda b: io.BytesIO(b).read(),
    "file write": file_write,
    "os.write": lambda b: raw_write(b),
    "socket send": socket_send,
    "array.frombytes": lambda b: array.array("B", b).tobytes(),
    "str(b, 'latin-1')": lambda b: str(b, "latin-1").encode("latin-1"),
    "int.from_bytes": lambda b: int.from_bytes(b, "big").to_bytes(len(b), "big"),
}
failed = []
for case, (b, want) in cases.items():
    for name, consume in consumers.items():
        expect = want[:4096] if name in ("os.write", "socket send") else want
        try:
            got = consume(b)
        except Exception as e:
            failed.append(f"{case}/{name}: {type(e).__name__}: {e}")
            continue
        if got != expect:
            failed.append(f"{case}/{name}: wrong bytes")
        print(case, name, "ok", flush=True)
print("FAILED", failed) if failed else print("ALL OK")
"""


def test_every_buffer_consumer_reads_the_bytes_without_crashing():
    result = run_python(_CONSUMERS, timeout=120, env_extra={"PYTHONFAULTHANDLER": "1"})
    last = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    assert result.returncode == 0, (
        f"child died (rc {result.returncode}) after: {last[0]}\n{result.stderr[-2000:]}"
    )
    assert last == ["ALL OK"], result.stdout[-3000:]
