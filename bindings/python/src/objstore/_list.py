"""list (a ListStream for ``for`` and ``async for``), list_with_delimiter
and its async twin."""

from __future__ import annotations

import ctypes

from . import _args, _arrow, _ffi
from ._async import submit
from ._defaults import LIST_CHUNK_SIZE
from ._results import ListStream
from ._types import ListResult, StoreLike

_byref = ctypes.byref


def list(
    store: StoreLike,
    prefix: str | None = None,
    *,
    offset: str | None = None,
    chunk_size: int = LIST_CHUNK_SIZE,
    return_arrow: bool = False,
) -> ListStream:
    """List every object under `prefix` (whole path segments), lazily, in
    chunks of `chunk_size`. With `offset`, only paths after it. Iterate the
    stream with ``for`` or ``async for``. With `return_arrow`, each chunk
    is an Arrow RecordBatch (arro3-core's, or pyarrow's without arro3)."""
    _args.check_store(store)
    return ListStream(
        store,
        _args.optional_path(prefix, "prefix"),
        _args.optional_path(offset, "offset"),
        _args.positive_int(chunk_size, "chunk_size"),
        _arrow_flag(return_arrow),
    )


def _arrow_flag(return_arrow: bool) -> bool:
    if not isinstance(return_arrow, bool):
        raise TypeError(f"return_arrow must be a bool, got {type(return_arrow).__name__}")
    if return_arrow:
        _arrow.arrow_lib()  # ImportError now, naming what to install
    return return_arrow


def _level(objects: _arrow.Exported, prefixes: _arrow.Exported, arrow: bool) -> ListResult:
    """A one-level listing from its two exported arrays (released here,
    or owned by the returned table)."""
    try:
        common = _arrow.strings(prefixes.array)
    finally:
        prefixes.close()
    return {"common_prefixes": common, "objects": _arrow.table(objects) if arrow else _arrow.rows(objects)}


def list_with_delimiter(store: StoreLike, prefix: str | None = None, *, return_arrow: bool = False) -> ListResult:
    """One level under `prefix`: ``{"common_prefixes": [...], "objects": [...]}``
    (with `return_arrow`, objects is an Arrow Table)."""
    arrow = _arrow_flag(return_arrow)
    p = _args.optional_path(prefix, "prefix")
    owner = _args.store_handle(store)
    objects, prefixes = _arrow.Exported(), _arrow.Exported()
    t = _ffi.scratch()
    rc = _arrow.lib().objstore_list_with_delimiter_arrow(owner.ref, p, objects.address, prefixes.address, t.r_err)
    if rc:
        objects.close()
        prefixes.close()
        _ffi.fail(rc, t)
    t.taken = False
    return _level(objects, prefixes, arrow)


async def list_with_delimiter_async(
    store: StoreLike, prefix: str | None = None, *, return_arrow: bool = False
) -> ListResult:
    """One level under `prefix`: ``{"common_prefixes": [...], "objects": [...]}``
    (with `return_arrow`, objects is an Arrow Table)."""
    arrow = _arrow_flag(return_arrow)
    p = _args.optional_path(prefix, "prefix")
    owner = _args.store_handle(store)
    objects, prefixes = _arrow.Exported(), _arrow.Exported()
    _arrow.lib()
    return await submit(
        "objstore_submit_list_with_delimiter_arrow",
        (owner.ref, p, objects.address, prefixes.address),
        lambda c: _level(objects, prefixes, arrow),
        keep=(owner, objects, prefixes),
    )
