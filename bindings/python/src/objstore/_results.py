"""What the library hands back, as Python objects.

Metadata dicts and put results, converted from the C structs (of a call's
out-parameters or of an async completion), and the streaming results
:class:`GetResult`, :class:`BytesStream` and :class:`ListStream`, each with
its synchronous and asynchronous methods side by side. This module sits on
the FFI layer (``_ffi``, ``_async``, ``_arrow``, ``_bytes``) and the
argument checks; no operation module is imported here.
"""

from __future__ import annotations

import asyncio
import builtins
import ctypes
from datetime import datetime, timezone
from typing import Any, Generic

from . import _args, _arrow, _ffi
from . import exceptions as _exc
from ._async import Completion, close_if_cancelled, submit
from ._bytes import Bytes, _view
from ._defaults import STREAM_CHUNK_SIZE
from ._types import ListChunkType, ObjectMeta, PutResult

_c_void_p = ctypes.c_void_p
_byref = ctypes.byref
_memmove = ctypes.memmove
_addressof = ctypes.addressof
_c_size_t = ctypes.c_size_t
_fromtimestamp = datetime.fromtimestamp
_UTC = timezone.utc
# Every backend sets last_modified; should the library ever leave it unset,
# the epoch keeps ObjectMeta's promise of a datetime.
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_TIME_UNSET = _ffi.TIME_UNSET
_BufferHandle = _ffi.BufferHandle
_scratch = _ffi.scratch
_fast = _ffi.fast
_raise = _ffi.raise_error
_new_object = object.__new__

# ---- metadata, put results, listing levels ----------------------------------------------


def meta(m: _ffi.ObjectMeta) -> ObjectMeta:
    """An objstore_object_meta as an ObjectMeta dict."""
    ns = m.last_modified_ns
    e_tag = m.e_tag
    version = m.version
    return {
        "path": m.location.decode("utf-8", "surrogateescape"),
        # Whole microseconds as a float of seconds: exact (< 2**53) and
        # faster than EPOCH + timedelta.
        "last_modified": _EPOCH if ns == _TIME_UNSET else _fromtimestamp(ns // 1000 / 1e6, _UTC),
        "size": m.size,
        "e_tag": None if e_tag is None else e_tag.decode("utf-8", "replace"),
        "version": None if version is None else version.decode("utf-8", "replace"),
    }


def metas(items, n: int) -> builtins.list[ObjectMeta]:
    return [meta(items[i]) for i in range(n)]


def kv_dict(kvs, n: int) -> dict[str, str]:
    out = {}
    for i in range(n):
        kv = kvs[i]
        out[kv.key.decode("utf-8", "replace")] = kv.value.decode("utf-8", "replace") if kv.value else ""
    return out


def put_result(e_tag: _c_void_p, version: _c_void_p) -> PutResult:
    """A write's result from its two "caller frees" strings (freed here)."""
    return {"e_tag": _ffi.take_string(e_tag), "version": _ffi.take_string(version)}


def put_result_scratch(t: _ffi.Scratch) -> PutResult:
    """A write's result from the strings a sync call left in scratch t
    (str1: e_tag, str2: version; freed here), giving t back."""
    e_tag, version = _ffi.take_scratch_strings(t)
    t.taken = False
    return {"e_tag": e_tag, "version": version}


# ---- the same, from async completions (each takes what the completion carries) ----------


def bytes_of(c: Completion) -> Bytes:
    return _view(c.data or 0, c.len, _BufferHandle(c.buffer))


def metas_of(c: Completion) -> builtins.list[ObjectMeta]:
    try:
        return metas(c.items, c.n_items)
    finally:
        if c.meta_list:
            _ffi.lib().objstore_meta_list_free(c.meta_list)


def meta_of(c: Completion) -> ObjectMeta:
    return metas_of(c)[0]


def put_result_of(c: Completion) -> PutResult:
    return put_result(_c_void_p(c.e_tag), _c_void_p(c.version))


def url_of(c: Completion) -> str:
    return _ffi.take_string(_c_void_p(c.url))


def nothing(c: Completion) -> None:
    return None


# ---- get: GetResult and BytesStream ---------------------------------------------------------


class GetResult:
    """The result of :func:`objstore.get` / :func:`objstore.get_async`:
    metadata now, the body on demand.

    Read the body once, either whole with :meth:`bytes` (or
    :meth:`bytes_async`) or in chunks with :meth:`stream` / iteration
    (``for`` or ``async for``). Both give zero-copy :class:`Bytes`. A body
    that ``get_async`` already received with the response (small objects)
    is served from memory.
    """

    __slots__ = ("_reader", "_store", "_meta", "_range", "_attributes", "_body", "_info", "_info_owner")

    def __init__(
        self,
        reader: _ffi.ReaderHandle | None,
        store_owner: _ffi.StoreHandle | None,
        info: _ffi.GetInfo | None,
        body: Bytes | None = None,
        info_owner: _ffi.BufferHandle | None = None,
    ):
        self._reader = reader
        self._store = store_owner  # keeps the native store open while the body is read
        self._body = body
        self._info = self._info_owner = None
        if info is not None and info_owner is not None:
            # The info lives as long as info_owner (the body's buffer):
            # decoded on first use, since most callers only want the body.
            self._info, self._info_owner = info, info_owner
            self._meta, self._range, self._attributes = None, None, {}
        elif info is not None:  # in the reader's memory, freed with it
            self._decode(info)
        else:  # pragma: no cover - the library always returns info
            self._meta, self._range, self._attributes = None, None, {}

    @classmethod
    def _whole(cls, store_owner: _ffi.StoreHandle, info: _ffi.GetInfo, body: Bytes) -> GetResult:
        """A result whose whole body came with the call, its info in the
        body's buffer: __init__'s first case, without its branches (every
        small sync get makes one)."""
        r = _new_object(cls)
        r._reader = None
        r._store = store_owner
        r._body = body
        r._info = info
        r._info_owner = body._owner
        r._meta = r._range = None
        r._attributes = {}
        return r

    def _decode(self, info: _ffi.GetInfo) -> None:
        self._meta = meta(info.meta)
        self._range = (info.range_start, info.range_end)
        self._attributes = kv_dict(info.attributes, info.attributes_len)

    def _decoded(self) -> None:
        info = self._info
        if info is not None:
            self._decode(info)
            self._info = self._info_owner = None

    @property
    def meta(self) -> ObjectMeta:
        """The object's metadata (ObjectMeta)."""
        self._decoded()
        return self._meta

    @property
    def range(self) -> tuple[int, int]:
        """The byte range the body holds: (start, end), end exclusive."""
        self._decoded()
        return self._range

    @property
    def attributes(self) -> dict[str, str]:
        """Content-Type and other attributes, and user metadata."""
        self._decoded()
        return dict(self._attributes)

    def _take_reader(self) -> _ffi.ReaderHandle:
        reader = self._reader
        if reader is None or not reader.handle:
            raise _exc.GenericError("the body of this GetResult was already read")
        self._reader = None
        return reader

    def _take_body(self) -> Bytes | None:
        """The body that came with the response, if any (taken once)."""
        body = self._body
        if body is None:
            return None
        reader, self._reader = self._reader, None
        if reader is not None:  # a small sync get's body comes without one
            reader.close()
        self._body = None
        return body

    def bytes(self) -> Bytes:
        """The whole body, as zero-copy Bytes."""
        body = self._body
        if body is not None:  # _take_body, inlined (every small get ends here)
            self._body = None
            reader, self._reader = self._reader, None
            if reader is not None:
                reader.close()
            return body
        reader = self._take_reader()
        try:
            t = _scratch()
            rc = _fast().reader_read_all(reader.ref, t.r_out, t.r_data, t.r_size, t.r_err)
            if rc:
                _ffi.fail(rc, t)
            out, data, size = t.out.value, t.data.value, t.size.value
            t.taken = False
            return _view(data or 0, size, _BufferHandle(out))
        finally:
            reader.close()

    buffer = bytes

    def readinto(self, buf: Any, /) -> int:
        """Read the next bytes of the body straight into ``buf`` (writable and
        C-contiguous: bytearray, memoryview, numpy array, mmap...): as many as
        it holds, fewer only at the end of the body. Returns how many; 0 at
        the end. Into a buffer the size of the body, the whole body is read
        by the library directly into it (one copy, the kernel's); reusing one
        buffer spares a new allocation per read. :meth:`bytes` and
        :meth:`stream` go on from where it stopped."""
        dst = _args.BorrowedBuffer(buf, writable=True)
        try:
            body = self._body
            if body is not None:  # it came with the response
                n = min(dst.size, len(body))
                _memmove(dst.address, _addressof(body), n)
                self._body = body[n:]
                return n
            reader = self._reader
            if reader is None or not reader.handle:
                raise _exc.GenericError("the body of this GetResult was already read")
            n, err = _c_size_t(), _ffi.new_err()
            rc = _ffi.lib().objstore_reader_read_into(reader.handle, dst.address, dst.size, _byref(n), _byref(err))
            if rc:
                _raise(rc, err)
            return n.value
        finally:
            dst.release()

    async def bytes_async(self) -> Bytes:
        """The whole body, as zero-copy Bytes, read without blocking the loop."""
        body = self._take_body()
        if body is not None:
            return body
        reader = self._take_reader()

        def after(c, fut) -> None:
            reader.close()

        try:
            pending = submit("objstore_submit_reader_read_all", (reader.handle,), bytes_of, after=after)
        except BaseException:
            reader.close()
            raise
        return await pending

    buffer_async = bytes_async

    def stream(self, min_chunk_size: int = STREAM_CHUNK_SIZE) -> BytesStream:
        """Iterate over the body in chunks of at least ``min_chunk_size``
        bytes (the last may be smaller), each a zero-copy Bytes; ``for`` or
        ``async for``. With 0, the library picks the chunk size."""
        min_chunk_size = _args.nonneg_int(min_chunk_size, "min_chunk_size")
        body = self._take_body()
        if body is not None:
            return BytesStream(None, None, min_chunk_size, body)
        return BytesStream(self._take_reader(), self._store, min_chunk_size)

    def __iter__(self) -> BytesStream:
        return self.stream()

    def __aiter__(self) -> BytesStream:
        return self.stream()

    def __repr__(self) -> str:
        return f"GetResult(meta={self.meta!r}, range={self.range!r})"


class BytesStream:
    """Chunks of an object's body (zero-copy Bytes), with ``for`` or
    ``async for``: read from the library, or sliced from a body already in
    memory."""

    __slots__ = ("_reader", "_store", "_min", "_body", "_pos")

    def __init__(
        self,
        reader: _ffi.ReaderHandle | None,
        store_owner: _ffi.StoreHandle | None,
        min_chunk_size: int,
        body: Bytes | None = None,
    ):
        self._reader = reader
        self._store = store_owner
        self._min = _c_size_t(min_chunk_size)
        self._body = body
        self._pos = 0

    def __iter__(self) -> BytesStream:
        return self

    def __next__(self) -> Bytes:
        body = self._body
        if body is not None:  # a zero-copy slice of the body in memory
            if self._pos >= len(body):
                self._body = None
                raise StopIteration
            chunk = body[self._pos : self._pos + (self._min.value or len(body))]
            self._pos += len(chunk)
            return chunk
        reader = self._reader
        if reader is None:
            raise StopIteration
        t = _scratch()
        rc = _fast().reader_read_chunk(reader.ref, self._min, t.r_out, t.r_data, t.r_size, t.r_err)
        if rc:
            self._reader = None
            reader.close()
            _ffi.fail(rc, t)
        out, data, n = t.out.value, t.data.value, t.size.value
        t.taken = False
        if not out and n == 0:
            self._reader = None
            reader.close()
            raise StopIteration
        return _view(data or 0, n, _BufferHandle(out))

    def __aiter__(self) -> BytesStream:
        return self

    async def __anext__(self) -> Bytes:
        reader = self._reader
        if self._body is not None or reader is None:  # nothing to wait for
            try:
                return self.__next__()
            except StopIteration:
                raise StopAsyncIteration from None

        def finish(c):
            return bytes_of(c) if c.buffer else None

        def after(c, fut) -> None:
            if c.code or not c.buffer or fut.cancelled():
                reader.close()

        try:
            chunk = await submit("objstore_submit_reader_read_chunk", (reader.handle, self._min), finish, after=after)
        except BaseException:
            self._reader = None
            raise
        if chunk is None:
            self._reader = None
            raise StopAsyncIteration
        return chunk

    def close(self) -> None:
        """Stop streaming and release the open body."""
        self._body = None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()


# ---- list: ListStream -------------------------------------------------------------------------


class ListStream(Generic[ListChunkType]):
    """A lazy listing: iterate (``for`` or ``async for``) to get chunks
    (lists of ObjectMeta, or with ``return_arrow=True`` Arrow record
    batches), or :meth:`collect` / :meth:`collect_async` everything that
    remains. Nothing is requested before the first chunk is asked for.

    Each chunk is one page the library builds as an Arrow batch
    (``objstore_list_next_arrow``): imported as it is for Arrow, read
    column by column into dicts otherwise."""

    __slots__ = ("_store", "_prefix", "_offset", "_chunk", "_handle", "_done", "_store_owner", "_arrow")

    def __init__(self, store: Any, prefix: bytes | None, offset: bytes | None, chunk_size: int, arrow: bool = False):
        self._store = store
        self._prefix = prefix
        self._offset = offset
        self._chunk = chunk_size
        self._handle = None
        self._done = False
        self._store_owner = None
        self._arrow = arrow

    def _open(self) -> _ffi.ListHandle:
        owner = _args.store_handle(self._store)
        self._store_owner = owner
        out, err = _c_void_p(), _ffi.new_err()
        rc = _ffi.lib().objstore_list_new(owner.ref, self._prefix, self._offset, ctypes.byref(out), ctypes.byref(err))
        if rc:
            _raise(rc, err)
        self._handle = _ffi.ListHandle(out.value)
        return self._handle

    def _convert(self, exported: _arrow.Exported, rows: int) -> Any:
        """A page as the chunk this stream yields; None at the end."""
        if rows == 0:
            exported.close()
            self._finish()
            return None
        return _arrow.record_batch(exported) if self._arrow else _arrow.rows(exported)

    def _fetch(self, want: int) -> Any:
        """The next `want` entries (fewer only at the end) as one chunk;
        None at the end."""
        if self._done:
            return None
        if self._arrow:
            _arrow.arrow_lib()  # no Arrow library: fail before anything is listed
        handle = self._handle or self._open()
        exported = _arrow.Exported()
        t = _scratch()
        rc = _arrow.lib().objstore_list_next_arrow(handle.ref, want, exported.address, t.r_size, t.r_err)
        if rc:
            exported.close()
            self._finish()
            _ffi.fail(rc, t)
        n = t.size.value
        t.taken = False
        return self._convert(exported, n)

    async def _fetch_async(self, want: int) -> Any:
        if self._done:
            return None
        if self._arrow:
            _arrow.arrow_lib()
        handle = self._handle or self._open()
        exported = _arrow.Exported()
        _arrow.lib()  # the Arrow functions' signatures
        try:
            return await submit(
                "objstore_submit_list_next_arrow",
                (handle.handle, want, exported.address),
                lambda c: self._convert(exported, c.n_items),
                keep=exported,
                after=close_if_cancelled(handle),
            )
        except asyncio.CancelledError:
            # the handle is freed once the cancelled request ends (after)
            self._done, self._handle = True, None
            raise
        except BaseException:
            self._finish()
            raise

    def _finish(self) -> None:
        self._done = True
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    def __iter__(self) -> ListStream:
        return self

    def __next__(self) -> Any:
        chunk = self._fetch(self._chunk)
        if chunk is None:
            raise StopIteration
        return chunk

    def __aiter__(self) -> ListStream:
        return self

    async def __anext__(self) -> Any:
        chunk = await self._fetch_async(self._chunk)
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def _collected(self, chunk: Any, more: Any) -> Any:
        """What collect returns for Arrow, given the whole rest in one
        batch and whatever a further call gave (nothing, unless the rest
        passed Arrow's 2 GiB per batch)."""
        if more is not None:
            raise _exc.GenericError(
                "the listing's strings exceed 2 GiB, more than one Arrow record batch holds: "
                "iterate over its chunks instead of collecting it"
            )
        return _arrow.empty_batch() if chunk is None else chunk

    def collect(self) -> Any:
        """Every remaining entry in one list (with ``return_arrow=True``,
        one record batch). Ignores chunk_size."""
        if self._arrow:
            return self._collected(self._fetch(_arrow.ALL), self._fetch(_arrow.ALL))
        out: builtins.list[ObjectMeta] = []
        while (chunk := self._fetch(_arrow.ALL)) is not None:
            out += chunk
        return out

    async def collect_async(self) -> Any:
        """Every remaining entry in one list (with ``return_arrow=True``,
        one record batch), without blocking the event loop. Ignores
        chunk_size."""
        if self._arrow:
            return self._collected(await self._fetch_async(_arrow.ALL), await self._fetch_async(_arrow.ALL))
        out: builtins.list[ObjectMeta] = []
        while (chunk := await self._fetch_async(_arrow.ALL)) is not None:
            out += chunk
        return out
