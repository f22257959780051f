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

import builtins
import os
from collections.abc import Mapping
from typing import Any

from . import _args, _ffi
from . import exceptions as _exc
from ._async import submit
from ._bytes import Bytes
from ._defaults import MAX_CONCURRENCY, READ_BUFFER_SIZE, WRITE_BUFFER_SIZE
from ._get import get_range, get_range_async
from ._head import head, head_async
from ._put import new_writer, writer_close, writer_write
from ._results import nothing, put_result_of
from ._types import Buffer, PutResult, StoreLike

_EMPTY = Bytes(b"")

# ---- readers ------------------------------------------------------------------------------------


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
        return min(_args.nonneg_int(size, "size"), rest)

    def covered(self, n: int) -> bool:
        b = self.buf
        return b is not None and self.buf_start <= self.pos and self.pos + n <= self.buf_start + len(b)

    def fetch_range(self, n: int) -> tuple[int, int]:
        """What to read so that the next n bytes are buffered."""
        return self.pos, min(self.size, self.pos + max(n, self.buffer_size))

    def fill(self, start: int, data: Bytes, n: int, path: str) -> None:
        """Buffer data read from start, which must hold the n bytes wanted."""
        self.buf, self.buf_start = data, start
        if not self.covered(n):  # the object is shorter than the size given
            raise _exc.InvalidArgumentError(
                f"Invalid range: {path!r} ends at byte {start + len(data)}, before the size "
                f"{self.size} the reader was opened with"
            )

    def take(self, n: int) -> Bytes:
        off = self.pos - self.buf_start
        out = self.buf[off : off + n]
        self.pos += len(out)
        return out

    def take_line(self) -> Bytes | None:
        """The rest of the current line if the buffer holds its end, else
        None (the caller takes what the buffer holds and refills)."""
        b = self.buf
        if b is None or not self.covered(1):
            return None
        off = self.pos - self.buf_start
        i = b.find(b"\n", off)
        return None if i < 0 else self.take(i + 1 - off)

    def take_buffered(self) -> Bytes:
        """Everything the buffer holds from the position on."""
        return self.take(self.buf_start + len(self.buf) - self.pos)

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


def _join(parts: builtins.list[Bytes]) -> Bytes:
    if not parts:
        return _EMPTY
    if len(parts) == 1:
        return parts[0]
    return Bytes(b"".join(bytes(p) for p in parts))


class _Reader:
    """What both readable files share: the object, the cursor, closing."""

    def __init__(self, store: StoreLike, path: str, size: int, buffer_size: int):
        self._store = store
        self._path = path
        self._c = _Cursor(size, buffer_size)

    def seekable(self) -> bool:
        """Always True: any position can be read with a ranged request."""
        return True

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self._c.size

    def close(self) -> None:
        """Close the file (drops its buffer)."""
        self._c.closed = True
        self._c.buf = None


class ReadableFile(_Reader):
    """A buffered, seekable reader over one object (like io.BufferedReader);
    reads return zero-copy :class:`Bytes`."""

    def _ensure(self, n: int) -> None:
        c = self._c
        if not c.covered(n):
            start, end = c.fetch_range(n)
            c.fill(start, get_range(self._store, self._path, start=start, end=end) if end > start else _EMPTY, n, self._path)

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
        c = self._c
        c.check()
        parts = []
        while c.pos < c.size:
            self._ensure(1)
            line = c.take_line()
            if line is not None:
                parts.append(line)
                break
            parts.append(c.take_buffered())
        return _join(parts)

    def readlines(self, hint: int = -1, /) -> builtins.list[Bytes]:
        """Read all remaining lines (or until ``hint`` bytes were read)."""
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

    def readable(self) -> bool:
        """True while the file is open."""
        return True

    def tell(self) -> int:
        """The current position."""
        self._c.check()
        return self._c.pos

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._c.closed

    def __enter__(self) -> ReadableFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class AsyncReadableFile(_Reader):
    """:class:`ReadableFile` with async reads."""

    async def _ensure(self, n: int) -> None:
        c = self._c
        if not c.covered(n):
            start, end = c.fetch_range(n)
            data = await get_range_async(self._store, self._path, start=start, end=end) if end > start else _EMPTY
            c.fill(start, data, n, self._path)

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
        c = self._c
        c.check()
        parts = []
        while c.pos < c.size:
            await self._ensure(1)
            line = c.take_line()
            if line is not None:
                parts.append(line)
                break
            parts.append(c.take_buffered())
        return _join(parts)

    async def readlines(self, hint: int = -1, /) -> builtins.list[Bytes]:
        """Read all remaining lines (or until ``hint`` bytes were read)."""
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

    async def tell(self) -> int:
        """The current position."""
        self._c.check()
        return self._c.pos

    async def __aenter__(self) -> AsyncReadableFile:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __aiter__(self) -> AsyncReadableFile:
        return self

    async def __anext__(self) -> Bytes:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line


def _reader_args(path: Any, buffer_size: Any, size: Any) -> tuple[str, int, int | None]:
    _args.path(path)
    buffer_size = _args.positive_int(buffer_size, "buffer_size")
    if size is not None:
        size = _args.nonneg_int(size, "size")
    return path, buffer_size, size


def open_reader(
    store: StoreLike, path: str, *, buffer_size: int = READ_BUFFER_SIZE, size: int | None = None
) -> ReadableFile:
    """A readable file over an object. ``size``, when known, skips the HEAD
    request: reads stop at it, and a read past the object's real end fails
    ("Invalid range")."""
    path, buffer_size, size = _reader_args(path, buffer_size, size)
    if size is None:
        size = head(store, path)["size"]
    return ReadableFile(store, path, size, buffer_size)


async def open_reader_async(
    store: StoreLike, path: str, *, buffer_size: int = READ_BUFFER_SIZE, size: int | None = None
) -> AsyncReadableFile:
    """Async twin of :func:`objstore.open_reader`: an AsyncReadableFile."""
    path, buffer_size, size = _reader_args(path, buffer_size, size)
    if size is None:
        size = (await head_async(store, path))["size"]
    return AsyncReadableFile(store, path, size, buffer_size)


# ---- writers --------------------------------------------------------------------------------------


class _Writer:
    """What both writable files share: the library writer, aborting, the result."""

    def __init__(self, store, path, attributes, buffer_size, tags, max_concurrency):
        p = _args.path(path)
        buffer_size = _args.positive_int(buffer_size, "buffer_size")
        max_concurrency = _args.positive_int(max_concurrency, "max_concurrency")
        attrs = _args.kv_array(attributes, "attributes")
        tag_arr = _args.kv_array(tags, "tags")
        owner = _args.store_handle(store)
        self._writer = new_writer(owner, p, _args.writer_options(attrs, tag_arr, buffer_size, max_concurrency))
        self._store_owner = owner
        self._closed = False
        self._result: PutResult | None = None

    def _check(self) -> _ffi.WriterHandle:
        if self._closed:
            raise ValueError("I/O operation on closed file")
        return self._writer

    def _borrow(self, buffer: Any) -> _args.BorrowedBuffer:
        if not _args.is_buffer(buffer):
            raise TypeError(f"write() needs a bytes-like object, not {type(buffer).__name__}")
        return _args.BorrowedBuffer(buffer)

    def _abort(self) -> None:
        if not self._closed:
            self._closed = True
            _ffi.lib().objstore_writer_abort(self._writer.handle, None)
            self._writer.close()

    def writable(self) -> bool:
        """True while the file is open."""
        return True

    @property
    def result(self) -> PutResult | None:
        """``{"e_tag": ..., "version": ...}`` once closed."""
        return self._result


class WritableFile(_Writer):
    """A buffered writer to one object (like io.BufferedWriter); the object
    appears atomically on close. Use as a context manager: an exception
    inside the block aborts the upload."""

    def write(self, buffer: Buffer, /) -> int:
        """Buffer data; full buffers are uploaded as parts in the background. Returns the number of bytes taken."""
        w = self._check()
        buf = self._borrow(buffer)
        try:
            if buf.size:
                writer_write(w, buf.address, buf.size)
            return buf.size
        except _exc.BaseError:
            self._abort()
            raise
        finally:
            buf.release()

    def flush(self) -> None:
        """Checks the file is open. Bytes already written are uploaded as
        whole parts fill; the rest goes at close (a part smaller than the
        store's minimum cannot be sent early)."""
        self._check()

    def close(self) -> None:
        """Complete the object (nothing is visible before)."""
        if self._closed:
            return
        w = self._writer
        self._closed = True
        try:
            self._result = writer_close(w)
        finally:
            w.close()

    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._closed

    def __enter__(self) -> WritableFile:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._abort()
        else:
            self.close()


class AsyncWritableFile(_Writer):
    """:class:`WritableFile` with async operations."""

    async def write(self, buffer: Buffer, /) -> int:
        """Buffer data; full buffers are uploaded as parts in the background. Returns the number of bytes taken."""
        w = self._check()
        buf = self._borrow(buffer)
        if not buf.size:
            buf.release()
            return 0

        def after(c, fut) -> None:
            buf.release()

        try:
            pending = submit("objstore_submit_writer_write", (w.handle, buf.address, buf.size), nothing, keep=buf, after=after)
        except BaseException:
            buf.release()
            raise
        try:
            await pending
        except _exc.BaseError:
            self._abort()
            raise
        return buf.size

    async def flush(self) -> None:
        """Checks the file is open (see :meth:`WritableFile.flush`)."""
        self._check()

    async def close(self) -> None:
        """Complete the object (nothing is visible before)."""
        if self._closed:
            return
        w = self._writer
        self._closed = True

        def after(c, fut) -> None:
            w.close()

        self._result = await submit("objstore_submit_writer_close", (w.handle,), put_result_of, after=after)

    async def closed(self) -> bool:
        """Whether the file is closed."""
        return self._closed

    async def __aenter__(self) -> AsyncWritableFile:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._abort()
        else:
            await self.close()


def open_writer(
    store: StoreLike,
    path: str,
    *,
    attributes: Mapping[str, str] | None = None,
    buffer_size: int = WRITE_BUFFER_SIZE,
    tags: Mapping[str, str] | None = None,
    max_concurrency: int = MAX_CONCURRENCY,
) -> WritableFile:
    """A writable file: up to ``buffer_size`` bytes are one put, larger
    objects a multipart upload in parts of ``buffer_size``."""
    return WritableFile(store, path, attributes, buffer_size, tags, max_concurrency)


def open_writer_async(
    store: StoreLike,
    path: str,
    *,
    attributes: Mapping[str, str] | None = None,
    buffer_size: int = WRITE_BUFFER_SIZE,
    tags: Mapping[str, str] | None = None,
    max_concurrency: int = MAX_CONCURRENCY,
) -> AsyncWritableFile:
    """Async twin of :func:`objstore.open_writer`: an AsyncWritableFile (use with `async with`)."""
    return AsyncWritableFile(store, path, attributes, buffer_size, tags, max_concurrency)
