"""head and head_async: an object's metadata."""

from __future__ import annotations

from . import _args, _ffi
from ._async import submit
from ._results import meta, meta_of
from ._types import ObjectMeta, StoreLike

_scratch = _ffi.scratch
_fast = _ffi.fast


def head(store: StoreLike, path: str) -> ObjectMeta:
    """An object's metadata (ObjectMeta)."""
    p = _args.path(path)
    owner = _args.store_handle(store)
    t = _scratch()
    F = _fast()
    rc = F.head_into(owner.ref, p, t.r_meta, t.strings, _ffi.HEAD_STRINGS_CAP, t.r_size, t.r_err)
    if rc:
        _ffi.fail(rc, t)
    if t.size.value <= _ffi.HEAD_STRINGS:  # filled in place: no handle to free
        m = meta(t.meta)
        t.taken = False
        return m
    rc = F.head(owner.ref, p, t.r_out, t.r_items, t.r_err)
    if rc:
        _ffi.fail(rc, t)
    page, first = t.out.value, t.items[0]
    t.taken = False
    try:
        return meta(first)  # first lives in the page
    finally:
        _ffi._lib.objstore_meta_list_free(page)  # loaded: the call above ran


async def head_async(store: StoreLike, path: str) -> ObjectMeta:
    """An object's metadata (ObjectMeta)."""
    p = _args.path(path)
    owner = _args.store_handle(store)
    return await submit("objstore_submit_head", (owner.ref, p), meta_of, keep=owner)
