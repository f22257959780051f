"""get, get_range, get_ranges and their async twins."""

from __future__ import annotations

import builtins
import ctypes
from array import array
from collections.abc import Sequence

from . import _args, _ffi
from ._async import submit
from ._bytes import Bytes, _view
from ._defaults import COALESCE, PREFETCH_MAX
from ._results import GetResult, bytes_of
from ._types import GetOptions, StoreLike

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p
_c_size_t = ctypes.c_size_t
_scratch = _ffi.scratch
_fail = _ffi.fail
_fast = _ffi.fast
_raise = _ffi.raise_error
_GetOptions = _ffi.GetOptions
_Range = _ffi.Range
_BufferHandle = _ffi.BufferHandle
_buffer_owner = _ffi.buffer_owner
_PREFETCH_MAX = _c_size_t(PREFETCH_MAX)
_whole = GetResult._whole
_MAX_COALESCE = 2**64 - 2  # a gap past any object's size: everything in one read

# ---- get ----------------------------------------------------------------------------------


def get(store: StoreLike, path: str, *, options: GetOptions | None = None) -> GetResult:
    """Start reading an object; see :class:`GetResult`."""
    p = _args.path(path)
    o = None if options is None else _byref(_args.get_options(options))
    owner = _args.store_handle(store)
    t = _scratch()
    rc = _fast().get_small(owner.ref, p, o, _PREFETCH_MAX, t.r_reader, t.r_out, t.r_data, t.r_size, t.r_info, t.r_err)
    if rc:
        _fail(rc, t)
    reader, out, data, size, info = t.reader.value, t.out.value, t.data.value, t.size.value, t.info.contents
    t.taken = False
    if reader:
        return GetResult(_ffi.ReaderHandle(reader), owner, info)
    # A small body, whole, in one call: no reader; its info lives in its buffer.
    return _whole(owner, info, _view(data or 0, size, _buffer_owner(out, size)))


async def get_async(store: StoreLike, path: str, *, options: GetOptions | None = None) -> GetResult:
    """Start reading an object; see :class:`GetResult`. Bodies up to 1 MiB
    arrive with the response."""
    p = _args.path(path)
    opts = _args.get_options(options)
    owner = _args.store_handle(store)

    def finish(c):
        body = bytes_of(c) if c.buffer else None
        return GetResult(_ffi.ReaderHandle(c.reader), owner, c.info.contents if c.info else None, body)

    args = (owner.ref, p, _byref(opts) if opts is not None else None, PREFETCH_MAX)
    return await submit("objstore_submit_get_reader", args, finish, keep=owner)


# ---- get_range --------------------------------------------------------------------------------


def _bounds(start: int, end: int | None, length: int | None) -> tuple[int, int]:
    """(start, end) of bytes [start, end) or [start, start+length)."""
    start = _args.nonneg_int(start, "start")
    if (end is None) == (length is None):
        raise ValueError("get_range needs exactly one of end= or length=")
    return start, _args.nonneg_int(end, "end") if end is not None else start + _args.nonneg_int(length, "length")


def _bounded(start: int, end: int | None, length: int | None) -> _ffi.GetOptions:
    """Get options for bytes [start, end) or [start, start+length), of their own."""
    start, end = _bounds(start, end, length)
    return _GetOptions(_ffi.GET_OPTIONS_VERSION, 0, None, None, 0, 0, _Range(_ffi.RANGE_BOUNDED, start, end, 0))


def get_range(store: StoreLike, path: str, *, start: int, end: int | None = None, length: int | None = None) -> Bytes:
    """Bytes [start, end) (or [start, start+length)) of an object, zero-copy."""
    p = _args.path(path)
    if not (type(start) is int and type(end) is int and 0 <= start and 0 <= end and length is None):
        start, end = _bounds(start, end, length)  # checked in full unless two plain ints
    owner = _args.store_handle(store)
    t = _scratch()
    r = t.range  # this thread's bounded get options, read by the call only
    r.start = start
    r.end = end
    rc = _fast().get_bytes(owner.ref, p, t.r_range_options, t.r_out, t.r_data, t.r_size, None, t.r_err)
    if rc:
        _fail(rc, t)
    out, data, size = t.out.value, t.data.value, t.size.value
    t.taken = False
    return _view(data or 0, size, _buffer_owner(out, size))


async def get_range_async(
    store: StoreLike, path: str, *, start: int, end: int | None = None, length: int | None = None
) -> Bytes:
    """Bytes [start, end) (or [start, start+length)) of an object, zero-copy."""
    p = _args.path(path)
    o = _bounded(start, end, length)
    owner = _args.store_handle(store)
    return await submit("objstore_submit_get", (owner.ref, p, _byref(o), 0), bytes_of, keep=owner)


# ---- get_ranges -------------------------------------------------------------------------------


class _Ranges:
    """The C arrays of one get_ranges: starts and ends in, data pointers and
    lengths out."""

    __slots__ = ("count", "starts", "ends", "coalesce", "datas", "lens", "_keep")

    def __init__(self, starts: array, ends: array, coalesce: int):
        n = self.count = len(starts)
        self.coalesce = coalesce
        self._keep = (starts, ends)
        self.starts = (ctypes.c_uint64 * n).from_buffer(starts)
        self.ends = (ctypes.c_uint64 * n).from_buffer(ends)
        self.datas = (_c_void_p * n)()
        self.lens = (_c_size_t * n)()

    def views(self, buffer: int) -> builtins.list[Bytes]:
        owner = _BufferHandle(buffer)
        return [_view(self.datas[i] or 0, self.lens[i], owner) for i in range(self.count)]


def _ranges(starts, ends, lengths, coalesce) -> _Ranges | None:
    """The arrays for get_ranges' arguments; None when there is no range."""
    s = _args.u64_array(starts, "starts")
    if (ends is None) == (lengths is None):
        raise ValueError("get_ranges needs exactly one of ends= or lengths=")
    if ends is not None:
        e = _args.u64_array(ends, "ends")
        if len(e) != len(s):
            raise ValueError(f"starts and ends differ in length ({len(s)} != {len(e)})")
    else:
        ln = _args.u64_array(lengths, "lengths")
        if len(ln) != len(s):
            raise ValueError(f"starts and lengths differ in length ({len(s)} != {len(ln)})")
        e = array("Q", [a + b for a, b in zip(s, ln)])
    coalesce = _args.nonneg_int(coalesce, "coalesce")
    return _Ranges(s, e, min(coalesce, _MAX_COALESCE)) if len(s) else None


def get_ranges(
    store: StoreLike,
    path: str,
    *,
    starts: Sequence[int],
    ends: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    coalesce: int = COALESCE,
) -> builtins.list[Bytes]:
    """Several byte ranges of one object, fetched together; zero-copy views
    into one shared buffer. Ranges at most ``coalesce`` bytes apart are
    fetched in one read (0: only overlapping or adjacent ones)."""
    p = _args.path(path)
    r = _ranges(starts, ends, lengths, coalesce)
    if r is None:
        return []
    owner = _args.store_handle(store)
    out, err = _c_void_p(), _ffi.new_err()
    rc = _ffi.lib().objstore_get_ranges_coalesce(
        owner.ref, p, r.starts, r.ends, r.count, r.coalesce, _byref(out), r.datas, r.lens, _byref(err)
    )
    if rc:
        _raise(rc, err)
    return r.views(out.value)


async def get_ranges_async(
    store: StoreLike,
    path: str,
    *,
    starts: Sequence[int],
    ends: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    coalesce: int = COALESCE,
) -> builtins.list[Bytes]:
    """Several ranges of one object, fetched together; zero-copy views into
    one shared buffer."""
    p = _args.path(path)
    r = _ranges(starts, ends, lengths, coalesce)
    if r is None:
        return []
    owner = _args.store_handle(store)

    def finish(c):
        return r.views(c.buffer)

    args = (owner.ref, p, r.starts, r.ends, r.count, r.coalesce, r.datas, r.lens)
    return await submit("objstore_submit_get_ranges_coalesce", args, finish, keep=(r, owner))
