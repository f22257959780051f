"""Buffered file objects, as obstore's: open_reader / open_writer and their
async twins.

A readable file keeps one buffer of at least ``buffer_size`` bytes filled
by ranged reads; ``read`` returns zero-copy slices of it whenever the bytes
asked for lie in it. A writable file is the library's streaming writer:
writes are buffered up to ``buffer_size``, larger objects become a
multipart upload with ``max_concurrency`` parts in flight, and nothing is
visible until ``close``.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping
from typing import Any

from . import _async_ops, _ffi, _ops
from . import exceptions as _exc
from ._async import submit
from ._bytes import Bytes

DEFAULT_READ_BUFFER = 1024 * 1024
DEFAULT_WRITE_BUFFER = 10 * 1024 * 1024
_EMPTY = Bytes(b"")


class _Cursor:
    """Position, size and read buffer of a readable file (no I/O here)."""

    __slots__ = ("pos", "size", "buf", "buf_start", "buffer_size", "closed")

    def __init__(self, size: int, buffer_size: int):
        self.pos = 0
        self.size = size
        self.buf: Bytes | None = None
        self.buf_start = 0
        self.buffer_size = buffer_size
        self.closed = False

    def check(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def want(self, size: Any) -> int:
        self.check()
        rest = max(self.size - self.pos, 0)
        if size is None or (isinstance(size, int) and not isinstance(size, bool) and size < 0):
            return rest
        return min(_ops._nonneg_int(size, "size"), rest)

    def covered(self, n: int) -> bool:
        b = self.buf
        return b is not None and self.buf_start <= self.pos and self.pos + n <= self.buf_start + len(b)

    def fetch_range(self, n: int) -> tuple[int, int]:
        """What to read so that the next n bytes are buffered."""
        return self.pos, min(self.size, self.pos + max(n, self.buffer_size))

    def fill(self, start: int, data: Bytes) -> None:
        self.buf, self.buf_start = data, start

    def take(self, n: int) -> Bytes:
        off = self.pos - self.buf_start
        out = self.buf[off : off + n]
        self.pos += len(out)
        return out

    def line_end(self) -> int | None:
        """Offset just past the next newline within the buffer, if any."""
        b = self.buf
        if b is None or not self.covered(1):
            return None
        off = self.pos - self.buf_start
        i = b.find(b"\n", off)
        return None if i < 0 else i + 1 - off

    def seek(self, offset: int, whence: int) -> int:
        self.check()
        if isinstance(offset, bool) or not hasattr(offset, "__index__"):
            raise TypeError(f"offset must be an int, not {type(offset).__name__}")
        offset = offset.__index__()
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self.pos + offset
        elif whence == os.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"whence must be 0, 1 or 2, not {whence!r}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self.pos = pos
        return pos


def _join(parts: list[Bytes]) -> Bytes:
    if not parts:
        return _EMPTY
    if len(parts) == 1:
        return parts[0]
    return Bytes(b"".join(bytes(p) for p in parts))


class ReadableFile:
    """A buffered, seekable reader over one object (like io.BufferedReader);
    reads return zero-copy :class:`Bytes`."""

    def __init__(self, store, path: str, size: int, buffer_size: int):
        self._store = store
        self._path = path
        self._c = _Cursor(size, buffer_size)

    def _ensure(self, n: int) -> None:
        if not self._c.covered(n):
            start, end = self._c.fetch_range(n)
            self._c.fill(start, _ops.get_range(self._store, self._path, start=start, end=end) if end > start else _EMPTY)

    def read(self, size: int | None = None, /) -> Bytes:
        """Read up to size bytes (all remaining when size is -1 or omitted)."""
        n = self._c.want(size)
        if n == 0:
            return _EMPTY
        self._ensure(n)
        return self._c.take(n)

    def readall(self) -> Bytes:
        """Read everything from the current position to the end."""
        return self.read()

    def readline(self) -> Bytes:
        """Read one line, including its trailing newline."""
        self._c.check()
        parts = []
        while self._c.pos < self._c.size:
            self._ensure(1)
            end = self._c.line_end()
            if end is not None:
                parts.append(self._c.take(end))
                break
            parts.append(self._c.take(self._c.buf_start + len(self._c.buf) - self._c.pos))
        return _join(parts)

    def readlines(self, hint: int = -1, /) -> list[Bytes]:
        """Read all remaining lines."""
        lines, total = [], 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        """Move to offset relative to whence (io.SEEK_SET, SEEK_CUR, SEEK_END); returns the new position."""
        return self._c.seek(offset, whence)

    def seekable(self) -> bool:
        """Always True: any position can be read with a ranged request."""
        return True

    def readable(self) -> bool:
        """True while the file is open."""
        return True

    def tell(self) -> int:
        """The current position."""
        self._c.check()
        return self._c.pos

    @property
    def size(self) -> int:
        """size (see obstore's buffered file API)."""
        return self._c.size

    def close(self) -> None:
        """Close the file; for a writer, complete the object (nothing is visible before)."""
        self._c.closed = True
        self._c.buf = None

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._c.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class AsyncReadableFile:
    """:class:`ReadableFile` with async reads."""

    def __init__(self, store, path: str, size: int, buffer_size: int):
        self._store = store
        self._path = path
        self._c = _Cursor(size, buffer_size)

    async def _ensure(self, n: int) -> None:
        if not self._c.covered(n):
            start, end = self._c.fetch_range(n)
            data = await _async_ops.get_range_async(self._store, self._path, start=start, end=end) if end > start else _EMPTY
            self._c.fill(start, data)

    async def read(self, size: int | None = None, /) -> Bytes:
        """Read up to size bytes (all remaining when size is -1 or omitted)."""
        n = self._c.want(size)
        if n == 0:
            return _EMPTY
        await self._ensure(n)
        return self._c.take(n)

    async def readall(self) -> Bytes:
        """Read everything from the current position to the end."""
        return await self.read()

    async def readline(self) -> Bytes:
        """Read one line, including its trailing newline."""
        self._c.check()
        parts = []
        while self._c.pos < self._c.size:
            await self._ensure(1)
            end = self._c.line_end()
            if end is not None:
                parts.append(self._c.take(end))
                break
            parts.append(self._c.take(self._c.buf_start + len(self._c.buf) - self._c.pos))
        return _join(parts)

    async def readlines(self, hint: int = -1, /) -> list[Bytes]:
        """Read all remaining lines."""
        lines, total = [], 0
        while True:
            line = await self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    async def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        """Move to offset relative to whence (io.SEEK_SET, SEEK_CUR, SEEK_END); returns the new position."""
        return self._c.seek(offset, whence)

    def seekable(self) -> bool:
        """Always True: any position can be read with a ranged request."""
        return True

    async def tell(self) -> int:
        """The current position."""
        self._c.check()
        return self._c.pos

    @property
    def size(self) -> int:
        """size (see obstore's buffered file API)."""
        return self._c.size

    def close(self) -> None:
        """Close the file; for a writer, complete the object (nothing is visible before)."""
        self._c.closed = True
        self._c.buf = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    def __aiter__(self):
        return self

    async def __anext__(self) -> Bytes:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


def _reader_args(path: Any, buffer_size: Any, size: Any) -> tuple[str, int, int | None]:
    _ops._path(path)
    buffer_size = _ops._positive_int(buffer_size, "buffer_size")
    if size is not None:
        size = _ops._nonneg_int(size, "size")
    return path, buffer_size, size


def open_reader(store, path: str, *, buffer_size: int = DEFAULT_READ_BUFFER, size: int | None = None) -> ReadableFile:
    """A readable file over an object. ``size``, when known, skips the HEAD
    request (a wrong size truncates reads or fails them)."""
    path, buffer_size, size = _reader_args(path, buffer_size, size)
    if size is None:
        size = _ops.head(store, path)["size"]
    return ReadableFile(store, path, size, buffer_size)


async def open_reader_async(
    store, path: str, *, buffer_size: int = DEFAULT_READ_BUFFER, size: int | None = None
) -> AsyncReadableFile:
    """Async twin of :func:`objstore.open_reader`: an AsyncReadableFile."""
    path, buffer_size, size = _reader_args(path, buffer_size, size)
    if size is None:
        size = (await _async_ops.head_async(store, path))["size"]
    return AsyncReadableFile(store, path, size, buffer_size)


class _WriterBase:
    def __init__(self, store, path, attributes, buffer_size, tags, max_concurrency):
        p = _ops._path(path)
        buffer_size = _ops._positive_int(buffer_size, "buffer_size")
        max_concurrency = _ops._positive_int(max_concurrency, "max_concurrency")
        attrs = _ops._kv_array(attributes, "attributes")
        tag_arr = _ops._kv_array(tags, "tags")
        o = _ffi.WriterOptions()
        o.version = _ffi.WRITER_OPTIONS_VERSION
        o.chunk_size = buffer_size
        o.max_concurrency = max_concurrency
        o.attributes, o.attributes_len = attrs[0], attrs[1]
        o.tags, o.tags_len = tag_arr[0], tag_arr[1]
        h = _ops._store_handle(store)
        out, err = ctypes.c_void_p(), _ffi.new_err()
        rc = _ffi.lib().objstore_writer_new(h, p, ctypes.byref(o), ctypes.byref(out), ctypes.byref(err))
        if rc:
            _ffi.raise_error(rc, err)
        self._writer = _ffi.WriterHandle(out.value)
        self._store_owner = store._native
        self._closed = False
        self._result: dict[str, str | None] | None = None

    def _check(self) -> _ffi.WriterHandle:
        if self._closed:
            raise ValueError("I/O operation on closed file")
        return self._writer

    def _abort(self) -> None:
        if not self._closed:
            self._closed = True
            _ffi.lib().objstore_writer_abort(self._writer.handle, None)
            self._writer.close()

    @property
    def result(self) -> dict[str, str | None] | None:
        """``{"e_tag": ..., "version": ...}`` once closed."""
        return self._result


class WritableFile(_WriterBase):
    """A buffered writer to one object (like io.BufferedWriter); the object
    appears atomically on close. Use as a context manager: an exception
    inside the block aborts the upload."""

    def write(self, buffer, /) -> int:
        """Buffer data; full buffers are uploaded as parts in the background. Returns the number of bytes taken."""
        w = self._check()
        if isinstance(buffer, str) or not _ops._is_buffer(buffer):
            raise TypeError(f"write() needs a bytes-like object, not {type(buffer).__name__}")
        buf = _ops._BorrowedBuffer(buffer)
        try:
            if buf.size:
                err = _ffi.new_err()
                rc = _ffi.lib().objstore_writer_write(w.handle, buf.address, buf.size, ctypes.byref(err))
                if rc:
                    self._abort()
                    _ffi.raise_error(rc, err)
            return buf.size
        finally:
            buf.release()

    def flush(self) -> None:
        """Checks the file is open. Bytes already written are uploaded as
        whole parts fill; the rest goes at close (a part smaller than the
        store's minimum cannot be sent early)."""
        self._check()

    def close(self) -> None:
        """Close the file; for a writer, complete the object (nothing is visible before)."""
        if self._closed:
            return
        w = self._writer
        self._closed = True
        e, v, err = ctypes.c_void_p(), ctypes.c_void_p(), _ffi.new_err()
        try:
            rc = _ffi.lib().objstore_writer_close(w.handle, ctypes.byref(e), ctypes.byref(v), ctypes.byref(err))
            if rc:
                _ffi.raise_error(rc, err)
            self._result = {"e_tag": _ffi.take_string(e), "version": _ffi.take_string(v)}
        finally:
            w.close()

    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._closed

    def writable(self) -> bool:
        """True while the file is open."""
        return True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort()
        else:
            self.close()


class AsyncWritableFile(_WriterBase):
    """:class:`WritableFile` with async operations."""

    async def write(self, buffer, /) -> int:
        """Buffer data; full buffers are uploaded as parts in the background. Returns the number of bytes taken."""
        w = self._check()
        if isinstance(buffer, str) or not _ops._is_buffer(buffer):
            raise TypeError(f"write() needs a bytes-like object, not {type(buffer).__name__}")
        buf = _ops._BorrowedBuffer(buffer)
        if not buf.size:
            buf.release()
            return 0

        def after(c, fut) -> None:
            buf.release()

        try:
            fut = submit("objstore_submit_writer_write", (w.handle, buf.address, buf.size), _async_ops._none, keep=buf, after=after)
        except BaseException:
            buf.release()
            raise
        try:
            await fut
        except _exc.BaseError:
            self._abort()
            raise
        return buf.size

    async def flush(self) -> None:
        """Upload what is buffered so far as a part, where the store allows."""
        self._check()

    async def close(self) -> None:
        """Close the file; for a writer, complete the object (nothing is visible before)."""
        if self._closed:
            return
        w = self._writer
        self._closed = True

        def after(c, fut) -> None:
            w.close()

        self._result = await submit("objstore_submit_writer_close", (w.handle,), _async_ops._put_result, after=after)

    async def closed(self) -> bool:
        """Whether the file is closed."""
        return self._closed

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort()
        else:
            await self.close()


def open_writer(
    store,
    path: str,
    *,
    attributes: Mapping[str, str] | None = None,
    buffer_size: int = DEFAULT_WRITE_BUFFER,
    tags: Mapping[str, str] | None = None,
    max_concurrency: int = 12,
) -> WritableFile:
    """A writable file: up to ``buffer_size`` bytes are one put, larger
    objects a multipart upload in parts of ``buffer_size``."""
    return WritableFile(store, path, attributes, buffer_size, tags, max_concurrency)


def open_writer_async(
    store,
    path: str,
    *,
    attributes: Mapping[str, str] | None = None,
    buffer_size: int = DEFAULT_WRITE_BUFFER,
    tags: Mapping[str, str] | None = None,
    max_concurrency: int = 12,
) -> AsyncWritableFile:
    """Async twin of :func:`objstore.open_writer`: an AsyncWritableFile (use with `async with`)."""
    return AsyncWritableFile(store, path, attributes, buffer_size, tags, max_concurrency)

