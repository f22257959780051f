"""list (a ListStream for ``for`` and ``async for``), list_with_delimiter
and its async twin."""

from __future__ import annotations

import ctypes

from . import _args, _ffi
from . import exceptions as _exc
from ._async import submit
from ._defaults import LIST_CHUNK_SIZE
from ._results import ListStream, list_result, list_result_of
from ._types import ListResult, StoreLike

_byref = ctypes.byref


def _no_arrow(return_arrow: bool) -> None:
    if return_arrow:
        raise _exc.OperationNotImplementedError("return_arrow=True is not supported yet")


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
    stream with ``for`` or ``async for``."""
    _no_arrow(return_arrow)
    _args.check_store(store)
    return ListStream(
        store,
        _args.optional_path(prefix, "prefix"),
        _args.optional_path(offset, "offset"),
        _args.positive_int(chunk_size, "chunk_size"),
    )


def list_with_delimiter(store: StoreLike, prefix: str | None = None, *, return_arrow: bool = False) -> ListResult:
    """One level under `prefix`: ``{"common_prefixes": [...], "objects": [...]}``."""
    _no_arrow(return_arrow)
    p = _args.optional_path(prefix, "prefix")
    owner = _args.store_handle(store)
    L = _ffi.lib()
    out = ctypes.c_void_p()
    objects = ctypes.POINTER(_ffi.ObjectMeta)()
    n_objects = ctypes.c_size_t()
    prefixes = ctypes.POINTER(ctypes.c_char_p)()
    n_prefixes = ctypes.c_size_t()
    err = _ffi.new_err()
    rc = L.objstore_list_with_delimiter(
        owner.ref, p, _byref(out), _byref(objects), _byref(n_objects), _byref(prefixes), _byref(n_prefixes), _byref(err)
    )
    if rc:
        _ffi.raise_error(rc, err)
    try:
        return list_result(prefixes, n_prefixes.value, objects, n_objects.value)
    finally:
        L.objstore_meta_list_free(out.value)


async def list_with_delimiter_async(
    store: StoreLike, prefix: str | None = None, *, return_arrow: bool = False
) -> ListResult:
    """One level under `prefix`: ``{"common_prefixes": [...], "objects": [...]}``."""
    _no_arrow(return_arrow)
    p = _args.optional_path(prefix, "prefix")
    owner = _args.store_handle(store)
    return await submit("objstore_submit_list_with_delimiter", (owner.ref, p), list_result_of, keep=owner)
