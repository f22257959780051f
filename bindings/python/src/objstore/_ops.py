"""The operations (get, put, list, ...) over the C ABI, synchronous.

Each operation has three parts: check and convert the Python arguments
(pure Python), one library call (which releases the GIL), and convert the
result. The async twins will reuse the first and last parts around the
library's submit/complete calls.
"""

from __future__ import annotations

import builtins
import ctypes
import os
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from . import _ffi
from . import exceptions as _exc
from ._bytes import Bytes, _view

DEFAULT_CHUNK_SIZE = 5 * 1024 * 1024
DEFAULT_STREAM_CHUNK = 10 * 1024 * 1024

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p
_c_size_t = ctypes.c_size_t
_addressof = ctypes.addressof
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_new_err = _ffi.new_err
_scratch = _ffi.scratch
_fast = _ffi.fast
_raise = _ffi.raise_error
_GetOptions = _ffi.GetOptions
_Range = _ffi.Range
_GET_OPTIONS_VERSION = _ffi.GET_OPTIONS_VERSION
_RANGE_BOUNDED = _ffi.RANGE_BOUNDED
_BufferHandle = _ffi.BufferHandle

# ---- argument checks -------------------------------------------------------------


def _path(path: Any, name: str = "path") -> bytes:
    """A path as UTF-8 bytes; a NUL byte is an invalid path (C strings end there)."""
    if type(path) is not str:
        if not isinstance(path, str):
            raise TypeError(f"{name} must be str, not {type(path).__name__}")
        path = str(path)
    if "\x00" in path:
        raise _exc.InvalidPathError(f"{name} {path!r} contains a NUL byte")
    try:
        return path.encode("utf-8")
    except UnicodeEncodeError:
        raise _exc.InvalidPathError(f"{name} {path!r} is not valid Unicode") from None


def _optional_path(path: Any, name: str) -> bytes | None:
    return None if path is None else _path(path, name)


def _nonneg_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    value = value.__index__()
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _positive_int(value: Any, name: str) -> int:
    value = _nonneg_int(value, name)
    if value == 0:
        raise ValueError(f"{name} must be positive, got 0")
    return value


def _str(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL byte")
    return value.encode("utf-8")


def _datetime_ns(value: Any, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return ((value - _EPOCH) // _MICROSECOND) * 1000


def _store_handle(store: Any) -> int:
    try:
        get_handle = store._handle
    except AttributeError:
        raise TypeError(f"store must be an objstore store, not {type(store).__name__}") from None
    return get_handle()


def _call(rc: int, err) -> None:
    if rc:
        _ffi.raise_error(rc, err)


# ---- conversions of results ----------------------------------------------------------


_fromtimestamp = datetime.fromtimestamp
_UTC = timezone.utc
_TIME_UNSET = _ffi.TIME_UNSET


def _meta(m: _ffi.ObjectMeta) -> dict[str, Any]:
    ns = m.last_modified_ns
    e_tag = m.e_tag
    version = m.version
    return {
        "path": m.location.decode("utf-8", "surrogateescape"),
        # Whole microseconds as a float of seconds: exact (< 2**53) and
        # faster than EPOCH + timedelta.
        "last_modified": None if ns == _TIME_UNSET else _fromtimestamp(ns // 1000 / 1e6, _UTC),
        "size": m.size,
        "e_tag": None if e_tag is None else e_tag.decode("utf-8", "replace"),
        "version": None if version is None else version.decode("utf-8", "replace"),
    }


def _metas(items, n: int) -> builtins.list[dict[str, Any]]:
    return [_meta(items[i]) for i in range(n)]


def _kv_dict(kvs, n: int) -> dict[str, str]:
    out = {}
    for i in range(n):
        kv = kvs[i]
        out[kv.key.decode("utf-8", "replace")] = kv.value.decode("utf-8", "replace") if kv.value else ""
    return out


def _kv_array(mapping: Mapping[str, str] | None, name: str):
    """(pointer, count, keepalive) for a dict of str -> str."""
    if not mapping:
        return None, 0, None
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{name} must be a dict of str to str, not {type(mapping).__name__}")
    n = len(mapping)
    arr = (_ffi.KV * n)()
    keep = []
    for i, (k, v) in enumerate(mapping.items()):
        kb = _str(k, f"{name} key")
        vb = _str(v, f"{name}[{k!r}]")
        keep.append((kb, vb))
        arr[i].key = kb
        arr[i].value = vb
    return ctypes.cast(arr, ctypes.POINTER(_ffi.KV)), n, (arr, keep)


# ---- get ----------------------------------------------------------------------------------

_GET_OPTION_KEYS = frozenset(
    ("if_match", "if_none_match", "if_modified_since", "if_unmodified_since", "range", "version", "head")
)


def _set_range(r: _ffi.Range, value: Any) -> None:
    if isinstance(value, Mapping):
        if set(value) == {"offset"}:
            r.kind = _ffi.RANGE_OFFSET
            r.start = _nonneg_int(value["offset"], "options['range']['offset']")
            return
        if set(value) == {"suffix"}:
            r.kind = _ffi.RANGE_SUFFIX
            r.length = _nonneg_int(value["suffix"], "options['range']['suffix']")
            return
        raise ValueError("options['range'] as a dict must be {'offset': n} or {'suffix': n}")
    if isinstance(value, (tuple, builtins.list)) or (isinstance(value, Sequence) and not isinstance(value, (str, bytes))):
        if len(value) != 2:
            raise ValueError("options['range'] must be (start, end), {'offset': n} or {'suffix': n}")
        r.kind = _ffi.RANGE_BOUNDED
        r.start = _nonneg_int(value[0], "options['range'] start")
        r.end = _nonneg_int(value[1], "options['range'] end")
        return
    raise TypeError(
        f"options['range'] must be (start, end), {{'offset': n}} or {{'suffix': n}}, not {type(value).__name__}"
    )


def _get_options(options: Mapping[str, Any] | None) -> _ffi.GetOptions | None:
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict (GetOptions), not {type(options).__name__}")
    unknown = set(options) - _GET_OPTION_KEYS
    if unknown:
        raise ValueError(f"options: unknown key(s) {sorted(unknown)}; known: {sorted(_GET_OPTION_KEYS)}")
    o = _ffi.GetOptions()
    o.version = _ffi.GET_OPTIONS_VERSION
    flags = 0
    v = options.get("if_match")
    if v is not None:
        o.if_match = _str(v, "options['if_match']")
    v = options.get("if_none_match")
    if v is not None:
        o.if_none_match = _str(v, "options['if_none_match']")
    v = options.get("if_modified_since")
    if v is not None:
        o.if_modified_since_ns = _datetime_ns(v, "options['if_modified_since']")
        flags |= _ffi.GET_IF_MODIFIED_SINCE
    v = options.get("if_unmodified_since")
    if v is not None:
        o.if_unmodified_since_ns = _datetime_ns(v, "options['if_unmodified_since']")
        flags |= _ffi.GET_IF_UNMODIFIED_SINCE
    v = options.get("range")
    if v is not None:
        _set_range(o.range, v)
    v = options.get("version")
    if v is not None:
        o.object_version = _str(v, "options['version']")
    if options.get("head"):
        flags |= _ffi.GET_HEAD
    o.flags = flags
    return o


class GetResult:
    """The result of :func:`get`: metadata now, the body on demand.

    Read the body once, either whole with :meth:`bytes` or in chunks with
    :meth:`stream` / iteration. Both give zero-copy :class:`Bytes`.
    """

    __slots__ = ("_reader", "_store", "_meta", "_range", "_attributes")

    def __init__(self, reader: _ffi.ReaderHandle, store_owner, info: _ffi.GetInfo | None):
        self._reader = reader
        self._store = store_owner  # keeps the native store open while the body is read
        if info is not None:
            self._meta = _meta(info.meta)
            self._range = (info.range_start, info.range_end)
            self._attributes = _kv_dict(info.attributes, info.attributes_len)
        else:  # pragma: no cover - the library always returns info
            self._meta, self._range, self._attributes = None, None, {}

    @property
    def meta(self) -> dict[str, Any]:
        """The object's metadata (ObjectMeta)."""
        return self._meta

    @property
    def range(self) -> tuple[int, int]:
        """The byte range the body holds: (start, end), end exclusive."""
        return self._range

    @property
    def attributes(self) -> dict[str, str]:
        """Content-Type and other attributes, and user metadata."""
        return dict(self._attributes)

    def _take_reader(self) -> _ffi.ReaderHandle:
        reader = self._reader
        if reader is None or not reader.handle:
            raise _exc.GenericError("the body of this GetResult was already read")
        self._reader = None
        return reader

    def bytes(self) -> Bytes:
        """The whole body, as zero-copy Bytes."""
        reader = self._take_reader()
        try:
            F = _fast()
            t = _scratch()
            rc = F.reader_read_all(reader.ref, t.r_out, t.r_data, t.r_size, t.r_err)
            if rc:
                _raise(rc, t.err)
            return _view(t.data.value or 0, t.size.value, _BufferHandle(t.out.value))
        finally:
            reader.close()

    buffer = bytes

    def stream(self, min_chunk_size: int = DEFAULT_STREAM_CHUNK) -> BytesStream:
        """Iterate over the body in chunks of at least ``min_chunk_size``
        bytes (the last may be smaller), each a zero-copy Bytes."""
        min_chunk_size = _positive_int(min_chunk_size, "min_chunk_size")
        return BytesStream(self._take_reader(), self._store, min_chunk_size)

    def __iter__(self) -> BytesStream:
        return self.stream()

    async def bytes_async(self) -> Bytes:
        """The whole body, as zero-copy Bytes, read without blocking the loop."""
        from ._async_ops import read_all_async

        return await read_all_async(self)

    def __aiter__(self):
        return self.stream().__aiter__()

    def __repr__(self) -> str:
        return f"GetResult(meta={self._meta!r}, range={self._range!r})"


class BytesStream:
    """Chunks of an object's body (zero-copy Bytes)."""

    __slots__ = ("_reader", "_store", "_min")

    def __init__(self, reader: _ffi.ReaderHandle, store_owner, min_chunk_size: int):
        self._reader = reader
        self._store = store_owner
        self._min = _c_size_t(min_chunk_size)

    def __iter__(self) -> BytesStream:
        return self

    def __next__(self) -> Bytes:
        reader = self._reader
        if reader is None:
            raise StopIteration
        F = _fast()
        t = _scratch()
        rc = F.reader_read_chunk(reader.ref, self._min, t.r_out, t.r_data, t.r_size, t.r_err)
        if rc:
            self._reader = None
            reader.close()
            _raise(rc, t.err)
        out, n = t.out.value, t.size.value
        if not out and n == 0:
            self._reader = None
            reader.close()
            raise StopIteration
        return _view(t.data.value or 0, n, _BufferHandle(out))

    def close(self) -> None:
        """Stop streaming and release the open body."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def __aiter__(self) -> BytesStream:
        return self

    async def __anext__(self) -> Bytes:
        from ._async_ops import next_chunk_async

        return await next_chunk_async(self)


def get(store, path: str, *, options: Mapping[str, Any] | None = None) -> GetResult:
    """Start reading an object; see :class:`GetResult`."""
    p = _path(path)
    opts = _get_options(options)
    h = _store_handle(store)
    F = _fast()
    t = _scratch()
    rc = F.get(h, p, _byref(opts) if opts is not None else None, t.r_out, t.r_info, t.r_err)
    if rc:
        _raise(rc, t.err)
    reader = _ffi.ReaderHandle(t.out.value)
    info = t.info
    return GetResult(reader, store._native, info.contents if info else None)


def get_range(store, path: str, *, start: int, end: int | None = None, length: int | None = None) -> Bytes:
    """Bytes [start, end) (or [start, start+length)) of an object, zero-copy."""
    p = _path(path)
    start = _nonneg_int(start, "start")
    if (end is None) == (length is None):
        raise ValueError("get_range needs exactly one of end= or length=")
    end = _nonneg_int(end, "end") if end is not None else start + _nonneg_int(length, "length")
    o = _GetOptions(_GET_OPTIONS_VERSION, 0, None, None, 0, 0, _Range(_RANGE_BOUNDED, start, end, 0))
    h = _store_handle(store)
    F = _fast()
    t = _scratch()
    rc = F.get_bytes(h, p, _byref(o), t.r_out, t.r_data, t.r_size, None, t.r_err)
    if rc:
        _raise(rc, t.err)
    return _view(t.data.value or 0, t.size.value, _BufferHandle(t.out.value))


def _u64_array(values: Any, name: str) -> array:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of int, not {type(values).__name__}")
    try:
        return array("Q", values)
    except OverflowError:
        raise ValueError(f"{name} must hold non-negative ints") from None
    except TypeError:
        raise TypeError(f"{name} must be a sequence of int") from None


def get_ranges(
    store,
    path: str,
    *,
    starts: Sequence[int],
    ends: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    coalesce: int = 1024 * 1024,
) -> builtins.list[Bytes]:
    """Several byte ranges of one object, fetched together; zero-copy views
    into one shared buffer.

    ``coalesce`` is accepted for obstore compatibility; the library merges
    ranges less than 1 MiB apart (the results are the same either way).
    """
    p = _path(path)
    s = _u64_array(starts, "starts")
    if (ends is None) == (lengths is None):
        raise ValueError("get_ranges needs exactly one of ends= or lengths=")
    if ends is not None:
        e = _u64_array(ends, "ends")
        if len(e) != len(s):
            raise ValueError(f"starts and ends differ in length ({len(s)} != {len(e)})")
    else:
        ln = _u64_array(lengths, "lengths")
        if len(ln) != len(s):
            raise ValueError(f"starts and lengths differ in length ({len(s)} != {len(ln)})")
        e = array("Q", [a + b for a, b in zip(s, ln)])
    _nonneg_int(coalesce, "coalesce")
    count = len(s)
    if count == 0:
        return []
    h = _store_handle(store)
    L = _ffi.lib()
    c_starts = (ctypes.c_uint64 * count).from_buffer(s)
    c_ends = (ctypes.c_uint64 * count).from_buffer(e)
    datas = (_c_void_p * count)()
    lens = (_c_size_t * count)()
    out, err = _c_void_p(), _new_err()
    _call(L.objstore_get_ranges(h, p, c_starts, c_ends, count, _byref(out), datas, lens, _byref(err)), err)
    owner = _BufferHandle(out.value)
    return [_view(datas[i] or 0, lens[i], owner) for i in range(count)]


def head(store, path: str) -> dict[str, Any]:
    """An object's metadata (ObjectMeta)."""
    p = _path(path)
    h = _store_handle(store)
    F = _fast()
    t = _scratch()
    rc = F.head(h, p, t.r_out, t.r_items, t.r_err)
    if rc:
        _raise(rc, t.err)
    page = t.out.value
    try:
        return _meta(t.items[0])
    finally:
        _ffi._lib.objstore_meta_list_free(page)


# ---- put -----------------------------------------------------------------------------------


class _PyBuffer(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_GetBuffer = ctypes.pythonapi.PyObject_GetBuffer
_GetBuffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_GetBuffer.restype = ctypes.c_int
_ReleaseBuffer = ctypes.pythonapi.PyBuffer_Release
_ReleaseBuffer.argtypes = [ctypes.POINTER(_PyBuffer)]
_ReleaseBuffer.restype = None
_PyBUF_SIMPLE = 0


class _BorrowedBuffer:
    """The address and size of a bytes-like object's memory, held (not
    copied) until release()."""

    __slots__ = ("address", "size", "_view", "_keep")

    def __init__(self, obj: Any):
        self._view = None
        self._keep = obj
        if type(obj) is bytes:
            self.size = len(obj)
            # c_char_p points at the bytes object's own storage.
            self.address = ctypes.cast(ctypes.c_char_p(obj), _c_void_p).value or 0
        elif isinstance(obj, Bytes):
            self.size = len(obj)
            self.address = _addressof(obj)
        else:
            view = _PyBuffer()
            try:
                _GetBuffer(obj, _byref(view), _PyBUF_SIMPLE)
            except BufferError as e:
                raise TypeError(f"file: the buffer must be C-contiguous ({e})") from None
            self._view = view
            self.size = view.len
            self.address = view.buf or 0

    def release(self) -> None:
        view, self._view = self._view, None
        if view is not None:
            _ReleaseBuffer(_byref(view))
        self._keep = None

    def __del__(self):
        try:
            self.release()
        except Exception:
            pass


def _is_buffer(obj: Any) -> bool:
    if isinstance(obj, (bytes, bytearray, memoryview, Bytes)):
        return True
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def _put_mode(mode: Any) -> tuple[int, bytes | None, bytes | None]:
    if mode is None or mode == "overwrite":
        return _ffi.PUT_OVERWRITE, None, None
    if mode == "create":
        return _ffi.PUT_CREATE, None, None
    if isinstance(mode, Mapping):
        unknown = set(mode) - {"e_tag", "version"}
        if unknown:
            raise ValueError(f"mode: unknown key(s) {sorted(unknown)}; an update mode is {{'e_tag': ..., 'version': ...}}")
        e_tag, version = mode.get("e_tag"), mode.get("version")
        return (
            _ffi.PUT_UPDATE,
            _str(e_tag, "mode['e_tag']") if e_tag is not None else None,
            _str(version, "mode['version']") if version is not None else None,
        )
    raise ValueError(f"mode must be 'overwrite', 'create' or {{'e_tag': ..., 'version': ...}}, not {mode!r}")


def _put_result(e_tag: _c_void_p, version: _c_void_p) -> dict[str, str | None]:
    return {"e_tag": _ffi.take_string(e_tag), "version": _ffi.take_string(version)}


def _put_options(mode, attrs, tags) -> _ffi.PutOptions:
    """The C put options for a parsed mode and attribute/tag arrays."""
    o = _ffi.PutOptions()
    o.version = _ffi.PUT_OPTIONS_VERSION
    o.mode, e_tag, version = mode
    if e_tag is not None:
        o.e_tag = e_tag
    if version is not None:
        o.object_version = version
    o.attributes, o.attributes_len = attrs[0], attrs[1]
    o.tags, o.tags_len = tags[0], tags[1]
    return o


def _put_single(h, p, buf: _BorrowedBuffer, mode, attrs, tags) -> dict[str, str | None]:
    o = _put_options(mode, attrs, tags)
    F = _fast()
    t = _scratch()
    data = buf._keep if type(buf._keep) is bytes else _c_void_p(buf.address)
    rc = F.put(h, p, data, _c_size_t(buf.size), _byref(o), t.r_str1, t.r_str2, t.r_err)
    if rc:
        _raise(rc, t.err)
    return _put_result(t.str1, t.str2)


def _put_streamed(h, p, chunks, attrs, tags, chunk_size: int, max_concurrency: int) -> dict[str, str | None]:
    """Write chunks (each a bytes-like) through the library's writer: one put
    if the total stays under chunk_size, else a parallel multipart upload."""
    L = _ffi.lib()
    o = _ffi.WriterOptions()
    o.version = _ffi.WRITER_OPTIONS_VERSION
    o.chunk_size = chunk_size
    o.max_concurrency = max_concurrency
    o.attributes, o.attributes_len = attrs[0], attrs[1]
    o.tags, o.tags_len = tags[0], tags[1]
    out, err = _c_void_p(), _new_err()
    _call(L.objstore_writer_new(h, p, _byref(o), _byref(out), _byref(err)), err)
    writer = _ffi.WriterHandle(out.value)
    try:
        for chunk in chunks:
            borrowed = isinstance(chunk, (_BorrowedBuffer, _Piece))
            buf = chunk if borrowed else _BorrowedBuffer(_check_buffer(chunk))
            try:
                if buf.size:
                    err = _new_err()
                    _call(L.objstore_writer_write(writer.handle, buf.address, buf.size, _byref(err)), err)
            finally:
                if not borrowed:
                    buf.release()
        e_out, v_out, err = _c_void_p(), _c_void_p(), _new_err()
        _call(L.objstore_writer_close(writer.handle, _byref(e_out), _byref(v_out), _byref(err)), err)
        return _put_result(e_out, v_out)
    except BaseException:
        L.objstore_writer_abort(writer.handle, None)
        raise
    finally:
        writer.close()


def _check_buffer(chunk: Any) -> Any:
    if isinstance(chunk, str) or not _is_buffer(chunk):
        raise TypeError(f"file: every item of an iterable must be bytes-like, not {type(chunk).__name__}")
    return chunk


class _Piece:
    """A part of a borrowed buffer: an address and a size."""

    __slots__ = ("address", "size")


def _slices(buf: _BorrowedBuffer, size: int):
    """A borrowed buffer cut into pieces of `size` (addresses only, no copies)."""
    for off in range(0, buf.size, size):
        piece = _Piece()
        piece.address = buf.address + off
        piece.size = min(size, buf.size - off)
        yield piece


def _file_chunks(f, size: int):
    while True:
        chunk = f.read(size)
        if not chunk:
            return
        yield chunk


def put(
    store,
    path: str,
    file: Any,
    *,
    attributes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    mode: Any = None,
    use_multipart: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_concurrency: int = 12,
    progress=None,
) -> dict[str, str | None]:
    """Write an object atomically. ``file`` is bytes-like (read in place, not
    copied), a path (``str`` or ``pathlib.Path``), a binary file object, or an
    iterable of bytes-like chunks. Returns ``{"e_tag": ..., "version": ...}``.

    Larger inputs (over ``chunk_size``), files and iterables go through a
    multipart upload with ``max_concurrency`` parts in flight, unless
    ``use_multipart=False`` or a ``mode`` other than ``"overwrite"`` is given
    (those need a single request, so the input is read whole first).
    ``progress(bytes_done, total)``, optional, is called on this thread as
    the data is handed over (total is None when unknown)."""
    if progress is not None:
        from ._async_ops import put_with_progress

        return put_with_progress(
            store, path, file, progress=progress, attributes=attributes, tags=tags, mode=mode,
            use_multipart=use_multipart, chunk_size=chunk_size, max_concurrency=max_concurrency,
        )
    p = _path(path)
    chunk_size = _positive_int(chunk_size, "chunk_size")
    max_concurrency = _positive_int(max_concurrency, "max_concurrency")
    mode_t = _put_mode(mode)
    if use_multipart is not None and not isinstance(use_multipart, bool):
        raise TypeError(f"use_multipart must be bool or None, not {type(use_multipart).__name__}")
    attrs = _kv_array(attributes, "attributes")
    tag_arr = _kv_array(tags, "tags")
    single_only = mode_t[0] != _ffi.PUT_OVERWRITE or use_multipart is False

    if _is_buffer(file) and not isinstance(file, str):
        buf = _BorrowedBuffer(file)
        try:
            h = _store_handle(store)
            multipart = use_multipart if use_multipart is not None else buf.size > chunk_size
            if single_only or not multipart:
                return _put_single(h, p, buf, mode_t, attrs, tag_arr)
            return _put_streamed(h, p, _slices(buf, chunk_size), attrs, tag_arr, chunk_size, max_concurrency)
        finally:
            buf.release()

    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return _put_from_reader(store, p, f, mode_t, attrs, tag_arr, single_only, chunk_size, max_concurrency)
    if hasattr(file, "read"):
        return _put_from_reader(store, p, file, mode_t, attrs, tag_arr, single_only, chunk_size, max_concurrency)
    if isinstance(file, Iterable):
        h = _store_handle(store)
        if single_only:
            data = b"".join(bytes(memoryview(_check_buffer(c))) for c in file)
            buf = _BorrowedBuffer(data)
            return _put_single(h, p, buf, mode_t, attrs, tag_arr)
        return _put_streamed(h, p, iter(file), attrs, tag_arr, chunk_size, max_concurrency)
    raise TypeError(
        "file must be bytes-like, a path (str or pathlib.Path), a binary file object "
        f"or an iterable of bytes-like chunks, not {type(file).__name__}"
    )


def _put_from_reader(store, p, f, mode_t, attrs, tag_arr, single_only, chunk_size, max_concurrency):
    h = _store_handle(store)
    if single_only:
        data = f.read()
        if isinstance(data, str):
            raise TypeError("file must be opened in binary mode ('rb')")
        return _put_single(h, p, _BorrowedBuffer(data), mode_t, attrs, tag_arr)
    first = f.read(0)
    if isinstance(first, str):
        raise TypeError("file must be opened in binary mode ('rb')")
    return _put_streamed(h, p, _file_chunks(f, chunk_size), attrs, tag_arr, chunk_size, max_concurrency)


# ---- delete, copy, rename, sign ---------------------------------------------------------


def delete(store, paths: str | Sequence[str]) -> None:
    """Delete one path or many (in batches where the store has a batch call)."""
    if isinstance(paths, str):
        encoded = [_path(paths)]
    elif isinstance(paths, Iterable) and not isinstance(paths, (bytes, bytearray)):
        encoded = [_path(x, "paths[]") for x in paths]
    else:
        raise TypeError(f"paths must be str or a sequence of str, not {type(paths).__name__}")
    if not encoded:
        return
    h = _store_handle(store)
    F = _fast()
    n = len(encoded)
    arr = (ctypes.c_char_p * n)(*encoded)
    t = _scratch()
    rc = F.delete_many(h, arr, _c_size_t(n), None, t.r_err)
    if rc:
        _raise(rc, t.err)


def copy(store, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Copy an object within the store. With ``overwrite=False`` an existing
    destination is AlreadyExistsError."""
    a, b = _path(from_, "from_"), _path(to, "to")
    h = _store_handle(store)
    err = _new_err()
    _call(_ffi.lib().objstore_copy(h, a, b, 0 if overwrite else _ffi.IF_NOT_EXISTS, _byref(err)), err)


def rename(store, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Move an object within the store. With ``overwrite=False`` an existing
    destination is AlreadyExistsError."""
    a, b = _path(from_, "from_"), _path(to, "to")
    h = _store_handle(store)
    err = _new_err()
    _call(_ffi.lib().objstore_rename(h, a, b, 0 if overwrite else _ffi.IF_NOT_EXISTS, _byref(err)), err)


_HTTP_METHODS = frozenset(("GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT"))


def sign(store, method: str, paths: str | Sequence[str], expires_in: timedelta) -> str | builtins.list[str]:
    """Presigned URL(s) for `method` on `paths`, valid for `expires_in`."""
    if not isinstance(method, str) or method.upper() not in _HTTP_METHODS:
        raise ValueError(f"method must be one of {sorted(_HTTP_METHODS)}, not {method!r}")
    if not isinstance(expires_in, timedelta):
        raise TypeError(f"expires_in must be a timedelta, not {type(expires_in).__name__}")
    secs = int(expires_in.total_seconds())
    if secs <= 0:
        raise ValueError(f"expires_in must be at least one second, got {expires_in!r}")
    single = isinstance(paths, str)
    if single:
        encoded = [_path(paths, "paths")]
    elif isinstance(paths, Iterable):
        encoded = [_path(x, "paths[]") for x in paths]
    else:
        raise TypeError(f"paths must be str or a sequence of str, not {type(paths).__name__}")
    h = _store_handle(store)
    L = _ffi.lib()
    m = method.upper().encode()
    urls = []
    for p in encoded:
        out, err = _c_void_p(), _new_err()
        _call(L.objstore_sign(h, m, p, secs, _byref(out), _byref(err)), err)
        urls.append(_ffi.take_string(out))
    return urls[0] if single else urls


# ---- list -----------------------------------------------------------------------------------


class ListStream:
    """A lazy listing: iterate to get chunks (lists of ObjectMeta), or
    :meth:`collect` everything that remains. Nothing is requested before
    the first chunk is asked for."""

    __slots__ = ("_store", "_prefix", "_offset", "_chunk", "_handle", "_done", "_store_owner")

    def __init__(self, store, prefix: bytes | None, offset: bytes | None, chunk_size: int):
        self._store = store
        self._prefix = prefix
        self._offset = offset
        self._chunk = chunk_size
        self._handle = None
        self._done = False
        self._store_owner = None

    def _open(self) -> _ffi.ListHandle:
        h = _store_handle(self._store)
        self._store_owner = self._store._native
        L = _ffi.lib()
        out, err = _c_void_p(), _new_err()
        _call(L.objstore_list_new(h, self._prefix, self._offset, _byref(out), _byref(err)), err)
        self._handle = _ffi.ListHandle(out.value)
        return self._handle

    def _fetch(self, want: int) -> builtins.list[dict[str, Any]]:
        """Up to `want` entries (fewer only at the end of the listing)."""
        if self._done:
            return []
        handle = self._handle or self._open()
        F = _fast()
        free = _ffi._lib.objstore_meta_list_free
        result: builtins.list[dict[str, Any]] = []
        while len(result) < want:
            t = _scratch()
            rc = F.list_next(handle.ref, _c_size_t(want - len(result)), t.r_out, t.r_items, t.r_size, t.r_err)
            if rc:
                self._finish()
                _raise(rc, t.err)
            page, n = t.out.value, t.size.value
            if n == 0:
                if page:
                    free(page)
                self._finish()
                break
            try:
                result.extend(_metas(t.items, n))
            finally:
                free(page)
        return result

    def _finish(self) -> None:
        self._done = True
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    def __iter__(self) -> ListStream:
        return self

    def __next__(self) -> builtins.list[dict[str, Any]]:
        chunk = self._fetch(self._chunk)
        if not chunk:
            raise StopIteration
        return chunk

    def __aiter__(self) -> ListStream:
        return self

    async def __anext__(self) -> builtins.list[dict[str, Any]]:
        from ._async_ops import next_list_chunk_async

        return await next_list_chunk_async(self)

    def collect(self) -> builtins.list[dict[str, Any]]:
        """Every remaining entry in one list (ignores chunk_size)."""
        out: builtins.list[dict[str, Any]] = []
        while True:
            chunk = self._fetch(1000)
            if not chunk:
                return out
            out.extend(chunk)


def list(
    store, prefix: str | None = None, *, offset: str | None = None, chunk_size: int = 50, return_arrow: bool = False
) -> ListStream:
    """List every object under `prefix` (whole path segments), lazily, in
    chunks of `chunk_size`. With `offset`, only paths after it."""
    if return_arrow:
        raise _exc.OperationNotImplementedError("return_arrow=True is not supported yet")
    _store_check(store)
    return ListStream(
        store,
        _optional_path(prefix, "prefix"),
        _optional_path(offset, "offset"),
        _positive_int(chunk_size, "chunk_size"),
    )


def list_with_delimiter(store, prefix: str | None = None, *, return_arrow: bool = False) -> dict[str, Any]:
    """One level under `prefix`: ``{"common_prefixes": [...], "objects": [...]}``."""
    if return_arrow:
        raise _exc.OperationNotImplementedError("return_arrow=True is not supported yet")
    p = _optional_path(prefix, "prefix")
    h = _store_handle(store)
    L = _ffi.lib()
    out = _c_void_p()
    objects = ctypes.POINTER(_ffi.ObjectMeta)()
    n_objects = _c_size_t()
    prefixes = ctypes.POINTER(ctypes.c_char_p)()
    n_prefixes = _c_size_t()
    err = _new_err()
    _call(
        L.objstore_list_with_delimiter(
            h, p, _byref(out), _byref(objects), _byref(n_objects), _byref(prefixes), _byref(n_prefixes), _byref(err)
        ),
        err,
    )
    try:
        return {
            "common_prefixes": [prefixes[i].decode("utf-8", "surrogateescape") for i in range(n_prefixes.value)],
            "objects": _metas(objects, n_objects.value),
        }
    finally:
        L.objstore_meta_list_free(out.value)


def _store_check(store) -> None:
    if not hasattr(store, "_handle"):
        raise TypeError(f"store must be an objstore store, not {type(store).__name__}")
