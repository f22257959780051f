"""The ``*_async`` operations, ``get_many``, zero-copy streams and put with
progress, over the library's completion queue (see _async.py).

Each async operation reuses the argument checks and result conversions of
the synchronous one (_ops.py) around one ``objstore_submit_*`` call.
"""

from __future__ import annotations

import asyncio
import builtins
import ctypes
import inspect
import os
from array import array
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Callable

from . import _async, _ffi, _ops
from . import exceptions as _exc
from ._async import submit
from ._bytes import Bytes, _view

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p
_c_size_t = ctypes.c_size_t

# get_async reads bodies up to this size in the same request, so that
# bytes()/bytes_async() of a small object cost no second round trip.
PREFETCH_MAX = 1 << 20
DEFAULT_GET_MANY_CONCURRENCY = 64


def _bytes_of(c: _async.Completion) -> Bytes:
    return _view(c.data or 0, c.len, _ffi.BufferHandle(c.buffer))


def _owner(store):
    store._handle()
    return store._native


def _close_if_cancelled(handle):
    def after(c, fut) -> None:
        if fut.cancelled():
            handle.close()

    return after


# ---- get ---------------------------------------------------------------------------


class GetResult(_ops.GetResult):
    """A GetResult whose small body already arrived with the response
    (``get_async`` reads bodies up to 1 MiB in the same request)."""

    __slots__ = ("_body",)

    def __init__(self, reader, store_owner, info, body: Bytes | None):
        super().__init__(reader, store_owner, info)
        self._body = body

    def _take_body(self) -> Bytes | None:
        body = self._body
        if body is None:
            return None
        self._take_reader().close()
        self._body = None
        return body

    def bytes(self) -> Bytes:
        """Async twin of :func:`objstore.bytes`: same arguments and result, awaited on the event loop."""
        body = self._take_body()
        return body if body is not None else super().bytes()

    buffer = bytes

    async def bytes_async(self) -> Bytes:
        """Async twin of :func:`objstore.bytes`: same arguments and result, awaited on the event loop."""
        body = self._take_body()
        return body if body is not None else await read_all_async(self)

    def stream(self, min_chunk_size: int = _ops.DEFAULT_STREAM_CHUNK):
        """Async twin of :func:`objstore.stream`: same arguments and result, awaited on the event loop."""
        min_chunk_size = _ops._positive_int(min_chunk_size, "min_chunk_size")
        body = self._take_body()
        if body is not None:
            return SlicedStream(body, min_chunk_size)
        return super().stream(min_chunk_size)


class SlicedStream:
    """Chunks of a body already in memory: zero-copy slices of it."""

    __slots__ = ("_body", "_pos", "_size")

    def __init__(self, body: Bytes, size: int):
        self._body = body
        self._pos = 0
        self._size = size

    def __iter__(self):
        return self

    def __next__(self) -> Bytes:
        body = self._body
        if body is None or self._pos >= len(body):
            self._body = None
            raise StopIteration
        chunk = body[self._pos : self._pos + self._size]
        self._pos += len(chunk)
        return chunk

    def __aiter__(self):
        return self

    async def __anext__(self) -> Bytes:
        try:
            return self.__next__()
        except StopIteration:
            raise StopAsyncIteration from None

    def close(self) -> None:
        """Async twin of :func:`objstore.close`: same arguments and result, awaited on the event loop."""
        self._body = None


async def get_async(store, path: str, *, options: Mapping[str, Any] | None = None) -> GetResult:
    """Start reading an object; see :class:`GetResult`. Bodies up to 1 MiB
    arrive with the response."""
    p = _ops._path(path)
    opts = _ops._get_options(options)
    h = _ops._store_handle(store)
    owner = store._native

    def finish(c):
        body = _bytes_of(c) if c.buffer else None
        return GetResult(_ffi.ReaderHandle(c.reader), owner, c.info.contents if c.info else None, body)

    return await submit(
        "objstore_submit_get_reader", (h, p, _byref(opts) if opts is not None else None, PREFETCH_MAX), finish, store=store
    )


async def read_all_async(result: _ops.GetResult) -> Bytes:
    """The rest of a GetResult's body (``GetResult.bytes_async``)."""
    reader = result._take_reader()

    def after(c, fut) -> None:
        reader.close()

    try:
        fut = submit("objstore_submit_reader_read_all", (reader.handle,), _bytes_of, after=after)
    except BaseException:
        reader.close()
        raise
    return await fut


async def next_chunk_async(stream) -> Bytes:
    """The next chunk of a BytesStream (``async for``)."""
    reader = stream._reader
    if reader is None:
        raise StopAsyncIteration

    def finish(c):
        return _bytes_of(c) if c.buffer else None

    def after(c, fut) -> None:
        if c.code or not c.buffer or fut.cancelled():
            reader.close()

    try:
        chunk = await submit(
            "objstore_submit_reader_read_chunk", (reader.handle, stream._min), finish, after=after
        )
    except BaseException:
        stream._reader = None
        raise
    if chunk is None:
        stream._reader = None
        raise StopAsyncIteration
    return chunk


async def get_range_async(store, path: str, *, start: int, end: int | None = None, length: int | None = None) -> Bytes:
    """Bytes [start, end) (or [start, start+length)) of an object, zero-copy."""
    p = _ops._path(path)
    start = _ops._nonneg_int(start, "start")
    if (end is None) == (length is None):
        raise ValueError("get_range needs exactly one of end= or length=")
    end = _ops._nonneg_int(end, "end") if end is not None else start + _ops._nonneg_int(length, "length")
    o = _ffi.GetOptions(_ffi.GET_OPTIONS_VERSION, 0, None, None, 0, 0, _ffi.Range(_ffi.RANGE_BOUNDED, start, end, 0))
    h = _ops._store_handle(store)
    return await submit("objstore_submit_get", (h, p, _byref(o), 0), _bytes_of, store=store)


async def get_ranges_async(
    store,
    path: str,
    *,
    starts: Sequence[int],
    ends: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    coalesce: int = 1024 * 1024,
) -> builtins.list[Bytes]:
    """Several ranges of one object, fetched together; zero-copy views into
    one shared buffer."""
    p = _ops._path(path)
    s = _ops._u64_array(starts, "starts")
    if (ends is None) == (lengths is None):
        raise ValueError("get_ranges needs exactly one of ends= or lengths=")
    if ends is not None:
        e = _ops._u64_array(ends, "ends")
        if len(e) != len(s):
            raise ValueError(f"starts and ends differ in length ({len(s)} != {len(e)})")
    else:
        ln = _ops._u64_array(lengths, "lengths")
        if len(ln) != len(s):
            raise ValueError(f"starts and lengths differ in length ({len(s)} != {len(ln)})")
        e = array("Q", [a + b for a, b in zip(s, ln)])
    _ops._nonneg_int(coalesce, "coalesce")
    count = len(s)
    if count == 0:
        return []
    h = _ops._store_handle(store)
    c_starts = (ctypes.c_uint64 * count).from_buffer(s)
    c_ends = (ctypes.c_uint64 * count).from_buffer(e)
    datas = (_c_void_p * count)()
    lens = (_c_size_t * count)()

    def finish(c):
        owner = _ffi.BufferHandle(c.buffer)
        return [_view(datas[i] or 0, lens[i], owner) for i in range(count)]

    return await submit(
        "objstore_submit_get_ranges", (h, p, c_starts, c_ends, count, datas, lens), finish, keep=(datas, lens), store=store
    )


async def head_async(store, path: str) -> dict[str, Any]:
    """An object's metadata (ObjectMeta)."""
    p = _ops._path(path)
    h = _ops._store_handle(store)
    return await submit("objstore_submit_head", (h, p), _take_metas_one, store=store)


def _take_metas(c) -> builtins.list[dict[str, Any]]:
    try:
        return _ops._metas(c.items, c.n_items)
    finally:
        if c.meta_list:
            _ffi.lib().objstore_meta_list_free(c.meta_list)


def _take_metas_one(c) -> dict[str, Any]:
    return _take_metas(c)[0]


# ---- get_many ----------------------------------------------------------------------


def _many_args(requests: Any, max_concurrency: Any):
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Iterable):
        raise TypeError(f"requests must be a sequence of paths or (path, range) pairs, not {type(requests).__name__}")
    reqs = builtins.list(requests)
    n = len(reqs)
    max_concurrency = _ops._positive_int(max_concurrency, "max_concurrency")
    paths = (ctypes.c_char_p * max(n, 1))()
    ranges = (_ffi.Range * max(n, 1))()
    for i, r in enumerate(reqs):
        if isinstance(r, str) or (not isinstance(r, (tuple, builtins.list)) and hasattr(r, "__fspath__")):
            paths[i] = _ops._path(r, f"requests[{i}]")
            continue
        if not isinstance(r, (tuple, builtins.list)) or len(r) != 2:
            raise TypeError(
                f"requests[{i}] must be a path or (path, range), with range (start, end), "
                f"{{'offset': n}} or {{'suffix': n}}; got {r!r}"
            )
        paths[i] = _ops._path(r[0], f"requests[{i}] path")
        if r[1] is not None:
            _ops._set_range(ranges[i], r[1])
    return n, paths, ranges, max_concurrency


class _ManyOut:
    """The output arrays of one get_many."""

    __slots__ = ("buffers", "datas", "lens", "codes", "errors", "n")

    def __init__(self, n: int):
        size = max(n, 1)
        self.n = n
        self.buffers = (_c_void_p * size)()
        self.datas = (_c_void_p * size)()
        self.lens = (_c_size_t * size)()
        self.codes = (ctypes.c_int * size)()
        self.errors = (ctypes.POINTER(_ffi.Error) * size)()

    def args(self):
        return (self.buffers, self.datas, self.lens, self.codes, self.errors)

    def results(self) -> builtins.list[Any]:
        out: builtins.list[Any] = []
        for i in range(self.n):
            b = self.buffers[i]
            if b:
                out.append(_view(self.datas[i] or 0, self.lens[i], _ffi.BufferHandle(b)))
            else:
                out.append(_ffi.make_error(self.codes[i], self.errors[i]))
        return out

    def raise_first(self, rc: int, err) -> None:
        self.results()  # frees the per-item errors
        _ffi.raise_error(rc, err)


def get_many(
    store,
    requests: Iterable[Any],
    *,
    max_concurrency: int = DEFAULT_GET_MANY_CONCURRENCY,
    raise_on_error: bool = False,
) -> builtins.list[Any]:
    """Read many objects and ranges in one library call, concurrently.

    ``requests`` holds paths (the whole object) or ``(path, range)`` pairs
    with range ``(start, end)``, ``{"offset": n}``, ``{"suffix": n}`` or
    ``None``. Ranges on one object are coalesced. Returns, in input order, a
    zero-copy :class:`Bytes` per request, or the exception instance of a
    request that failed (a missing object fails only its own requests).
    With ``raise_on_error=True`` the first failure stops the batch and is
    raised.
    """
    n, paths, ranges, conc = _many_args(requests, max_concurrency)
    if n == 0:
        return []
    h = _ops._store_handle(store)
    out = _ManyOut(n)
    t = _ffi.scratch()
    rc = _async.lib().objstore_get_many(
        h, paths, ranges, n, conc, _async.GET_MANY_STRICT if raise_on_error else 0, *out.args(), t.r_err
    )
    if rc:
        out.raise_first(rc, t.err)
    return out.results()


async def get_many_async(
    store,
    requests: Iterable[Any],
    *,
    max_concurrency: int = DEFAULT_GET_MANY_CONCURRENCY,
    raise_on_error: bool = False,
) -> builtins.list[Any]:
    """:func:`get_many` as one asynchronous request."""
    n, paths, ranges, conc = _many_args(requests, max_concurrency)
    if n == 0:
        return []
    h = _ops._store_handle(store)
    out = _ManyOut(n)
    flags = _async.GET_MANY_STRICT if raise_on_error else 0

    def finish(c):
        return out.results()

    def after(c, fut) -> None:
        if c.code:  # strict failure: the items' errors still need freeing
            out.results()

    return await submit(
        "objstore_submit_get_many", (h, paths, ranges, n, conc, flags, *out.args()), finish, keep=out, after=after, store=store
    )


# ---- put ----------------------------------------------------------------------------


def _put_result(c) -> dict[str, str | None]:
    return {"e_tag": _ffi.take_string(_c_void_p(c.e_tag)), "version": _ffi.take_string(_c_void_p(c.version))}


def _file_size(f) -> int | None:
    try:
        return os.fstat(f.fileno()).st_size - f.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _check_progress(progress) -> None:
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable(bytes_done, total) or None, not {type(progress).__name__}")


def _counting(chunks, total, progress):
    """Yield chunks, reporting after each has been written (the writer asks
    for the next one only once the previous write returned)."""
    done = 0
    for chunk in chunks:
        size = chunk.size if isinstance(chunk, (_ops._BorrowedBuffer, _ops._Piece)) else memoryview(chunk).nbytes
        yield chunk
        done += size
        progress(done, total)


def put_with_progress(store, path, file, *, progress, chunk_size, **kwargs) -> dict[str, str | None]:
    """put() with a progress(bytes_done, total) callback, called on the
    calling thread after each chunk is handed to the library (total is None
    when unknown)."""
    _check_progress(progress)
    chunk_size = _ops._positive_int(chunk_size, "chunk_size")
    single_only = kwargs.get("mode") not in (None, "overwrite") or kwargs.get("use_multipart") is False
    if _ops._is_buffer(file) and not isinstance(file, str):
        mv = memoryview(file).cast("B") if not isinstance(file, (bytes, Bytes)) else file
        total = len(mv)
        if single_only or (kwargs.get("use_multipart") is not True and total <= chunk_size):
            res = _ops.put(store, path, file, chunk_size=chunk_size, **kwargs)
            progress(total, total)
            return res
        buf = _ops._BorrowedBuffer(file)
        try:
            return _ops.put(store, path, _counting(_ops._slices(buf, chunk_size), total, progress), chunk_size=chunk_size, **kwargs)
        finally:
            buf.release()
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return put_with_progress(store, path, f, progress=progress, chunk_size=chunk_size, **kwargs)
    if hasattr(file, "read"):
        total = _file_size(file)
        return _ops.put(store, path, _counting(_ops._file_chunks(file, chunk_size), total, progress), chunk_size=chunk_size, **kwargs)
    if isinstance(file, Iterable):
        return _ops.put(store, path, _counting(file, None, progress), chunk_size=chunk_size, **kwargs)
    return _ops.put(store, path, file, chunk_size=chunk_size, **kwargs)


async def _writer_put(store, p, chunks, attrs, tags, chunk_size, max_concurrency, total, progress):
    """Write chunks (an async iterator of bytes-likes) through the library's
    writer, one submit per chunk; the object appears at close."""
    L = _ffi.lib()
    o = _ffi.WriterOptions()
    o.version = _ffi.WRITER_OPTIONS_VERSION
    o.chunk_size = chunk_size
    o.max_concurrency = max_concurrency
    o.attributes, o.attributes_len = attrs[0], attrs[1]
    o.tags, o.tags_len = tags[0], tags[1]
    h = _ops._store_handle(store)
    out, err = _c_void_p(), _ffi.new_err()
    rc = L.objstore_writer_new(h, p, _byref(o), _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    writer = _ffi.WriterHandle(out.value)
    closing = _close_if_cancelled(writer)
    done = 0
    try:
        async for chunk in chunks:
            buf = chunk if isinstance(chunk, (_ops._BorrowedBuffer, _ops._Piece)) else _ops._BorrowedBuffer(_ops._check_buffer(chunk))
            if buf.size:
                # buf is read while the request runs: keep it until the completion.
                await submit("objstore_submit_writer_write", (writer.handle, buf.address, buf.size), _none, keep=(buf, chunk), after=closing)
            done += buf.size
            if progress is not None:
                progress(done, total)
        return await submit("objstore_submit_writer_close", (writer.handle,), _put_result, after=closing)
    except asyncio.CancelledError:
        raise  # the writer is freed (so aborted) once the request ends
    except BaseException:
        L.objstore_writer_abort(writer.handle, None)
        writer.close()
        raise


def _none(c) -> None:
    return None


async def _aiter_sync(it):
    for x in it:
        yield x


async def _aiter_file(f, size: int):
    loop = asyncio.get_running_loop()
    while True:
        chunk = await loop.run_in_executor(None, f.read, size)
        if not chunk:
            return
        if isinstance(chunk, str):
            raise TypeError("file must be opened in binary mode ('rb')")
        yield chunk


async def _aiter_async_file(f, size: int):
    while True:
        chunk = await f.read(size)
        if not chunk:
            return
        yield chunk


async def put_async(
    store,
    path: str,
    file: Any,
    *,
    attributes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    mode: Any = None,
    use_multipart: bool | None = None,
    chunk_size: int = _ops.DEFAULT_CHUNK_SIZE,
    max_concurrency: int = 12,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, str | None]:
    """Write an object; the async twin of :func:`put`. ``file`` may also be
    an async iterable of bytes-likes or an object with an async ``read``.
    Bytes-likes are read in place (kept referenced until the request ends).
    ``progress(bytes_done, total)`` is called on the event loop's thread."""
    p = _ops._path(path)
    chunk_size = _ops._positive_int(chunk_size, "chunk_size")
    max_concurrency = _ops._positive_int(max_concurrency, "max_concurrency")
    mode_t = _ops._put_mode(mode)
    if use_multipart is not None and not isinstance(use_multipart, bool):
        raise TypeError(f"use_multipart must be bool or None, not {type(use_multipart).__name__}")
    _check_progress(progress)
    attrs = _ops._kv_array(attributes, "attributes")
    tag_arr = _ops._kv_array(tags, "tags")
    single_only = mode_t[0] != _ffi.PUT_OVERWRITE or use_multipart is False

    if _ops._is_buffer(file) and not isinstance(file, str):
        buf = _ops._BorrowedBuffer(file)
        total = buf.size
        multipart = use_multipart if use_multipart is not None else total > chunk_size
        if single_only or not multipart:
            o = _ops._put_options(mode_t, attrs, tag_arr)
            h = _ops._store_handle(store)

            def after(c, fut) -> None:
                buf.release()

            try:
                fut = submit("objstore_submit_put", (h, p, buf.address, buf.size, _byref(o)), _put_result, keep=(buf, attrs, tag_arr), after=after, store=store)
            except BaseException:
                buf.release()
                raise
            res = await fut
            if progress is not None:
                progress(total, total)
            return res
        try:
            return await _writer_put(store, p, _aiter_sync(_ops._slices(buf, chunk_size)), attrs, tag_arr, chunk_size, max_concurrency, total, progress)
        finally:
            buf.release()

    if single_only:
        data = await _read_whole(file)
        return await put_async(store, path, data, attributes=attributes, tags=tags, mode=mode, use_multipart=False, progress=progress)
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            total = _file_size(f)
            return await _writer_put(store, p, _aiter_file(f, chunk_size), attrs, tag_arr, chunk_size, max_concurrency, total, progress)
    if hasattr(file, "read"):
        if inspect.iscoroutinefunction(file.read):
            chunks = _aiter_async_file(file, chunk_size)
            total = None
        else:
            chunks = _aiter_file(file, chunk_size)
            total = _file_size(file)
        return await _writer_put(store, p, chunks, attrs, tag_arr, chunk_size, max_concurrency, total, progress)
    if isinstance(file, AsyncIterable):
        return await _writer_put(store, p, file.__aiter__(), attrs, tag_arr, chunk_size, max_concurrency, None, progress)
    if isinstance(file, Iterable):
        return await _writer_put(store, p, _aiter_sync(file), attrs, tag_arr, chunk_size, max_concurrency, None, progress)
    raise TypeError(
        "file must be bytes-like, a path (str or pathlib.Path), a binary file object, "
        f"or a (async) iterable of bytes-like chunks, not {type(file).__name__}"
    )


async def _read_whole(file) -> bytes:
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return f.read()
    if hasattr(file, "read"):
        data = file.read()
        if asyncio.iscoroutine(data):
            data = await data
        return data
    parts = []
    if isinstance(file, AsyncIterable):
        async for c in file:
            parts.append(bytes(memoryview(_ops._check_buffer(c))))
    else:
        for c in file:
            parts.append(bytes(memoryview(_ops._check_buffer(c))))
    return b"".join(parts)


# ---- delete, copy, rename, sign, list_with_delimiter ----------------------------------


async def delete_async(store, paths: str | Sequence[str]) -> None:
    """Delete one path or many (in batches where the store has a batch call)."""
    h = _ops._store_handle(store)
    if isinstance(paths, str):
        await submit("objstore_submit_delete", (h, _ops._path(paths)), _none, store=store)
        return
    if not isinstance(paths, Iterable) or isinstance(paths, (bytes, bytearray)):
        raise TypeError(f"paths must be str or a sequence of str, not {type(paths).__name__}")
    encoded = [_ops._path(x, "paths[]") for x in paths]
    if not encoded:
        return
    n = len(encoded)
    arr = (ctypes.c_char_p * n)(*encoded)
    await submit("objstore_submit_delete_many", (h, arr, n, None), _none, keep=arr, store=store)


async def copy_async(store, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Async twin of :func:`objstore.copy`: same arguments and result, awaited on the event loop."""
    a, b = _ops._path(from_, "from_"), _ops._path(to, "to")
    h = _ops._store_handle(store)
    await submit("objstore_submit_copy", (h, a, b, 0 if overwrite else _ffi.IF_NOT_EXISTS), _none, store=store)


async def rename_async(store, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Async twin of :func:`objstore.rename`: same arguments and result, awaited on the event loop."""
    a, b = _ops._path(from_, "from_"), _ops._path(to, "to")
    h = _ops._store_handle(store)
    await submit("objstore_submit_rename", (h, a, b, 0 if overwrite else _ffi.IF_NOT_EXISTS), _none, store=store)


def _take_url(c) -> str:
    return _ffi.take_string(_c_void_p(c.url))


async def sign_async(store, method: str, paths: str | Sequence[str], expires_in: timedelta):
    """Async twin of :func:`objstore.sign`: same arguments and result, awaited on the event loop."""
    if not isinstance(method, str) or method.upper() not in _ops._HTTP_METHODS:
        raise ValueError(f"method must be one of {sorted(_ops._HTTP_METHODS)}, not {method!r}")
    if not isinstance(expires_in, timedelta):
        raise TypeError(f"expires_in must be a timedelta, not {type(expires_in).__name__}")
    secs = int(expires_in.total_seconds())
    if secs <= 0:
        raise ValueError(f"expires_in must be at least one second, got {expires_in!r}")
    single = isinstance(paths, str)
    encoded = [_ops._path(paths, "paths")] if single else [_ops._path(x, "paths[]") for x in paths]
    h = _ops._store_handle(store)
    m = method.upper().encode()
    futs = [submit("objstore_submit_sign", (h, m, p, secs), _take_url, store=store) for p in encoded]
    urls = await asyncio.gather(*futs)
    return urls[0] if single else builtins.list(urls)


async def list_with_delimiter_async(store, prefix: str | None = None, *, return_arrow: bool = False) -> dict[str, Any]:
    """Async twin of :func:`objstore.list_with_delimiter`: same arguments and result, awaited on the event loop."""
    if return_arrow:
        raise _exc.OperationNotImplementedError("return_arrow=True is not supported yet")
    p = _ops._optional_path(prefix, "prefix")
    h = _ops._store_handle(store)

    def finish(c):
        try:
            return {
                "common_prefixes": [c.common_prefixes[i].decode("utf-8", "surrogateescape") for i in range(c.n_prefixes)],
                "objects": _ops._metas(c.items, c.n_items),
            }
        finally:
            _ffi.lib().objstore_meta_list_free(c.meta_list)

    return await submit("objstore_submit_list_with_delimiter", (h, p), finish, store=store)


async def next_list_chunk_async(ls) -> builtins.list[dict[str, Any]]:
    """The next chunk of a ListStream (``async for``): pages fetched lazily."""
    if ls._done:
        raise StopAsyncIteration
    handle = ls._handle or ls._open()
    want = ls._chunk
    result: builtins.list[dict[str, Any]] = []
    closing = _close_if_cancelled(handle)
    while len(result) < want:
        try:
            page = await submit("objstore_submit_list_next", (handle.handle, want - len(result)), _take_metas, after=closing)
        except asyncio.CancelledError:
            ls._done, ls._handle = True, None
            raise
        except BaseException:
            ls._finish()
            raise
        if not page:
            ls._finish()
            break
        result.extend(page)
    if not result:
        raise StopAsyncIteration
    return result
