"""put and put_async: write an object from bytes, a file or chunks.

A bytes-like input is read in place (never copied) and written with one
request, or, when larger than ``chunk_size``, through the library's writer
as a multipart upload; files and iterables always go through the writer
(one request when the total stays under ``chunk_size``). A ``mode`` other
than ``"overwrite"`` or ``use_multipart=False`` needs a single request, so
such inputs are read whole first. ``progress(bytes_done, total)`` is called
as the data is handed over.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import os
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any

from . import _args, _ffi
from ._args import BorrowedBuffer, Piece
from ._async import close_if_cancelled, submit
from ._defaults import MAX_CONCURRENCY, PUT_CHUNK_SIZE
from ._results import nothing, put_result, put_result_of, put_result_scratch
from ._types import AsyncPutInput, ProgressCallback, PutInput, PutMode, PutResult, StoreLike

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p
_c_size_t = ctypes.c_size_t
_scratch = _ffi.scratch
_fast = _ffi.fast

# ---- what both twins share ------------------------------------------------------------------


class _Put:
    """A put's checked arguments."""

    __slots__ = ("path", "chunk_size", "max_concurrency", "mode", "use_multipart", "attrs", "tags", "single_only")

    def __init__(self, path, attributes, tags, mode, use_multipart, chunk_size, max_concurrency, progress):
        self.path = _args.path(path)
        self.chunk_size = _args.positive_int(chunk_size, "chunk_size")
        self.max_concurrency = _args.positive_int(max_concurrency, "max_concurrency")
        self.mode = _args.put_mode(mode)
        if use_multipart is not None and not isinstance(use_multipart, bool):
            raise TypeError(f"use_multipart must be bool or None, not {type(use_multipart).__name__}")
        if progress is not None and not callable(progress):
            raise TypeError(f"progress must be callable(bytes_done, total) or None, not {type(progress).__name__}")
        self.use_multipart = use_multipart
        self.attrs = _args.kv_array(attributes, "attributes")
        self.tags = _args.kv_array(tags, "tags")
        # Conditional modes and use_multipart=False need one single request.
        self.single_only = self.mode[0] != _ffi.PUT_OVERWRITE or use_multipart is False

    def multipart(self, size: int) -> bool:
        """Whether a bytes-like input of `size` bytes goes as a multipart upload."""
        if self.single_only:
            return False
        return self.use_multipart if self.use_multipart is not None else size > self.chunk_size

    def options(self) -> _ffi.PutOptions:
        return _args.put_options(self.mode, self.attrs, self.tags)

    def writer_options(self) -> _ffi.WriterOptions:
        return _args.writer_options(self.attrs, self.tags, self.chunk_size, self.max_concurrency)


def new_writer(owner: _ffi.StoreHandle, path: bytes, options: _ffi.WriterOptions) -> _ffi.WriterHandle:
    """A library writer: the object appears at close, atomically."""
    out, err = _c_void_p(), _ffi.new_err()
    rc = _ffi.lib().objstore_writer_new(owner.ref, path, _byref(options), _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    return _ffi.WriterHandle(out.value)


def writer_write(writer: _ffi.WriterHandle, address: int, size: int, borrowed: bool = False) -> None:
    """Hand size bytes at address to a writer: copied before returning, or,
    borrowed, read in place until the writer is closed, aborted or freed."""
    err = _ffi.new_err()
    write = _ffi.lib().objstore_writer_write_borrowed if borrowed else _ffi.lib().objstore_writer_write
    rc = write(writer.handle, address, size, _byref(err))
    if rc:
        _ffi.raise_error(rc, err)


def writer_close(writer: _ffi.WriterHandle) -> PutResult:
    """Complete a writer's object: it appears now, atomically."""
    e_tag, version, err = _c_void_p(), _c_void_p(), _ffi.new_err()
    rc = _ffi.lib().objstore_writer_close(writer.handle, _byref(e_tag), _byref(version), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    return put_result(e_tag, version)


def _slices(buf: BorrowedBuffer, size: int):
    """A borrowed buffer cut into pieces of `size` (addresses only, no copies)."""
    for off in range(0, buf.size, size):
        yield Piece(buf.address + off, min(size, buf.size - off))


def _file_chunks(f, size: int):
    while True:
        chunk = f.read(size)
        if not chunk:
            return
        yield chunk


def _file_size(f) -> int | None:
    """What is left to read of a file, when it can be known."""
    try:
        return os.fstat(f.fileno()).st_size - f.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _counting(chunks, total: int | None, progress: ProgressCallback | None):
    """chunks, reporting after each has been handed over (the writer asks
    for the next only once the previous write returned)."""
    if progress is None:
        return chunks
    return _counted(chunks, total, progress)


def _counted(chunks, total, progress):
    done = 0
    for chunk in chunks:
        size = chunk.size if isinstance(chunk, (BorrowedBuffer, Piece)) else memoryview(chunk).nbytes
        yield chunk
        done += size
        progress(done, total)


def _joined(chunks) -> BorrowedBuffer:
    """Every chunk in one buffer (for a put that must be a single request)."""
    return BorrowedBuffer(b"".join(bytes(memoryview(_args.check_chunk(c))) for c in chunks))


def _binary(data: Any) -> Any:
    if isinstance(data, str):
        raise TypeError("file must be opened in binary mode ('rb')")
    return data


_NOT_AN_INPUT = (
    "file must be bytes-like, a path (str or pathlib.Path), a binary file object "
    "or an iterable of bytes-like chunks, not {}"
)

# ---- put ------------------------------------------------------------------------------------


def put(
    store: StoreLike,
    path: str,
    file: PutInput,
    *,
    attributes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    mode: PutMode | None = None,
    use_multipart: bool | None = None,
    chunk_size: int = PUT_CHUNK_SIZE,
    max_concurrency: int = MAX_CONCURRENCY,
    progress: ProgressCallback | None = None,
) -> PutResult:
    """Write an object atomically. ``file`` is bytes-like (read in place, not
    copied), a path (``str`` or ``pathlib.Path``), a binary file object, or an
    iterable of bytes-like chunks. Returns ``{"e_tag": ..., "version": ...}``.

    Larger inputs (over ``chunk_size``), files and iterables go through a
    multipart upload with ``max_concurrency`` parts in flight, unless
    ``use_multipart=False`` or a ``mode`` other than ``"overwrite"`` is given
    (those need a single request, so the input is read whole first).
    ``progress(bytes_done, total)``, optional, is called on this thread as
    the data is handed over (total is None when unknown)."""
    if (
        type(file) is bytes
        and attributes is None
        and tags is None
        and mode is None
        and use_multipart is None
        and progress is None
        and type(chunk_size) is int
        and 0 < chunk_size
        and len(file) <= chunk_size
        and type(max_concurrency) is int
        and 0 < max_concurrency
    ):
        # The common small put, checked and sent without building _Put,
        # options or a borrowed buffer: bytes are passed as const char *.
        p = _args.path(path)
        owner = _args.store_handle(store)
        t = _scratch()
        rc = _fast().put(owner.ref, p, file, _c_size_t(len(file)), t.r_put_options, t.r_str1, t.r_str2, t.r_err)
        if rc:
            _ffi.fail(rc, t)
        return put_result_scratch(t)
    a = _Put(path, attributes, tags, mode, use_multipart, chunk_size, max_concurrency, progress)
    if _args.is_buffer(file):
        buf = BorrowedBuffer(file)
        try:
            owner = _args.store_handle(store)
            if a.multipart(buf.size):
                # buf outlives the writer: its chunks are uploaded in place.
                return _put_chunks(owner, a, _counting(_slices(buf, a.chunk_size), buf.size, progress), borrowed=True)
            result = _put_single(owner, a, buf)
            if progress is not None:
                progress(buf.size, buf.size)
            return result
        finally:
            buf.release()
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return _put_file(store, a, f, progress)
    if hasattr(file, "read"):
        return _put_file(store, a, file, progress)
    if isinstance(file, Iterable):
        return _put_iterable(_args.store_handle(store), a, _counting(iter(file), None, progress))
    raise TypeError(_NOT_AN_INPUT.format(type(file).__name__))


def _put_file(store: StoreLike, a: _Put, f, progress: ProgressCallback | None) -> PutResult:
    owner = _args.store_handle(store)
    if a.single_only and progress is None:
        return _put_single(owner, a, BorrowedBuffer(_binary(f.read())))
    _binary(f.read(0))
    total = _file_size(f) if progress is not None else None
    return _put_iterable(owner, a, _counting(_file_chunks(f, a.chunk_size), total, progress))


def _put_iterable(owner: _ffi.StoreHandle, a: _Put, chunks) -> PutResult:
    if a.single_only:
        return _put_single(owner, a, _joined(chunks))
    return _put_chunks(owner, a, chunks)


def _put_single(owner: _ffi.StoreHandle, a: _Put, buf: BorrowedBuffer) -> PutResult:
    t = _scratch()
    if a.mode[0] == _ffi.PUT_OVERWRITE and a.attrs[1] == 0 and a.tags[1] == 0:
        o = t.r_put_options  # this thread's plain overwrite options
    else:
        o = _byref(_args.put_options(a.mode, a.attrs, a.tags))
    rc = _fast().put(owner.ref, a.path, buf.c_data(), _c_size_t(buf.size), o, t.r_str1, t.r_str2, t.r_err)
    if rc:
        _ffi.fail(rc, t)
    return put_result_scratch(t)


def _put_chunks(owner: _ffi.StoreHandle, a: _Put, chunks, borrowed: bool = False) -> PutResult:
    """Write chunks (each bytes-like) through the library's writer: one put
    if the total stays under chunk_size, else a parallel multipart upload.
    borrowed: the chunks' memory stays valid until this returns, so the
    writer reads it in place instead of copying it."""
    writer = new_writer(owner, a.path, a.writer_options())
    try:
        for chunk in chunks:
            buf = _args.borrow_chunk(chunk)
            try:
                if buf.size:
                    writer_write(writer, buf.address, buf.size, borrowed)
            finally:
                if buf is not chunk:
                    buf.release()
        return writer_close(writer)
    except BaseException:
        _ffi.lib().objstore_writer_abort(writer.handle, None)
        raise
    finally:
        writer.close()


# ---- put_async --------------------------------------------------------------------------------


async def put_async(
    store: StoreLike,
    path: str,
    file: AsyncPutInput,
    *,
    attributes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    mode: PutMode | None = None,
    use_multipart: bool | None = None,
    chunk_size: int = PUT_CHUNK_SIZE,
    max_concurrency: int = MAX_CONCURRENCY,
    progress: ProgressCallback | None = None,
) -> PutResult:
    """Write an object; the async twin of :func:`put`. ``file`` may also be
    an async iterable of bytes-likes or an object with an async ``read``.
    Bytes-likes are read in place (kept referenced until the request ends).
    ``progress(bytes_done, total)`` is called on the event loop's thread."""
    a = _Put(path, attributes, tags, mode, use_multipart, chunk_size, max_concurrency, progress)
    if _args.is_buffer(file):
        buf = BorrowedBuffer(file)
        if not a.multipart(buf.size):
            return await _submit_single(store, a, buf, progress)
        try:
            return await _write_async(store, a, _aiter_sync(_slices(buf, a.chunk_size)), buf.size, progress)
        finally:
            buf.release()
    if a.single_only:
        data = await _read_whole(file)
        if not _args.is_buffer(data):
            raise TypeError("file must be opened in binary mode ('rb')")
        return await _submit_single(store, a, BorrowedBuffer(data), progress)
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return await _write_async(store, a, _aiter_file(f, a.chunk_size), _file_size(f), progress)
    if hasattr(file, "read"):
        if inspect.iscoroutinefunction(file.read):
            chunks, total = _aiter_async_file(file, a.chunk_size), None
        else:
            chunks, total = _aiter_file(file, a.chunk_size), _file_size(file)
        return await _write_async(store, a, chunks, total, progress)
    if isinstance(file, AsyncIterable):
        return await _write_async(store, a, file.__aiter__(), None, progress)
    if isinstance(file, Iterable):
        return await _write_async(store, a, _aiter_sync(file), None, progress)
    raise TypeError(_NOT_AN_INPUT.format(type(file).__name__).replace("or an iterable", "or a (async) iterable"))


async def _submit_single(store: StoreLike, a: _Put, buf: BorrowedBuffer, progress: ProgressCallback | None) -> PutResult:
    """One put request; buf is read while it runs and released after."""

    def after(c, fut) -> None:
        buf.release()

    try:
        owner = _args.store_handle(store)
        o = a.options()
        args = (owner.ref, a.path, buf.address, buf.size, _byref(o))
        pending = submit("objstore_submit_put", args, put_result_of, keep=(buf, a, o, owner), after=after)
    except BaseException:
        buf.release()
        raise
    total = buf.size
    result = await pending
    if progress is not None:
        progress(total, total)
    return result


async def _write_async(store: StoreLike, a: _Put, chunks, total: int | None, progress: ProgressCallback | None) -> PutResult:
    """Write chunks (an async iterator of bytes-likes) through the library's
    writer, one submit per chunk; the object appears at close."""
    owner = _args.store_handle(store)
    writer = new_writer(owner, a.path, a.writer_options())
    closing = close_if_cancelled(writer)
    done = 0
    try:
        async for chunk in chunks:
            buf = _args.borrow_chunk(chunk)
            if buf.size:
                # buf is read while the request runs: keep it until the completion.
                args = (writer.handle, buf.address, buf.size)
                await submit("objstore_submit_writer_write", args, nothing, keep=(buf, chunk), after=closing)
            done += buf.size
            if progress is not None:
                progress(done, total)
        return await submit("objstore_submit_writer_close", (writer.handle,), put_result_of, after=closing)
    except asyncio.CancelledError:
        raise  # the writer is freed (so aborted) once the request ends
    except BaseException:
        _ffi.lib().objstore_writer_abort(writer.handle, None)
        writer.close()
        raise


async def _aiter_sync(it):
    for x in it:
        yield x


async def _aiter_file(f, size: int):
    loop = asyncio.get_running_loop()
    while True:
        chunk = await loop.run_in_executor(None, f.read, size)
        if not chunk:
            return
        yield _binary(chunk)


async def _aiter_async_file(f, size: int):
    while True:
        chunk = await f.read(size)
        if not chunk:
            return
        yield chunk


async def _read_whole(file) -> Any:
    """Everything an input holds (for a put that must be a single request)."""
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return f.read()
    if hasattr(file, "read"):
        data = file.read()
        if inspect.isawaitable(data):
            data = await data
        return data
    if isinstance(file, AsyncIterable):
        return b"".join([bytes(memoryview(_args.check_chunk(c))) async for c in file])
    if isinstance(file, Iterable):
        return b"".join(bytes(memoryview(_args.check_chunk(c))) for c in file)
    raise TypeError(_NOT_AN_INPUT.format(type(file).__name__))
