"""delete and delete_async: one path or many."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

from . import _args, _ffi
from ._async import submit
from ._results import nothing
from ._types import StoreLike


def delete(store: StoreLike, paths: str | Sequence[str]) -> None:
    """Delete one path or many (in batches where the store has a batch call)."""
    encoded, _ = _args.paths(paths, "path")
    if not encoded:
        return
    owner = _args.store_handle(store)
    n = len(encoded)
    arr = (ctypes.c_char_p * n)(*encoded)
    t = _ffi.scratch()
    rc = _ffi.fast().delete_many(owner.ref, arr, ctypes.c_size_t(n), None, t.r_err)
    if rc:
        _ffi.fail(rc, t)
    t.taken = False


async def delete_async(store: StoreLike, paths: str | Sequence[str]) -> None:
    """Delete one path or many (in batches where the store has a batch call)."""
    encoded, single = _args.paths(paths, "path")
    if not encoded:
        return
    owner = _args.store_handle(store)
    if single:
        await submit("objstore_submit_delete", (owner.ref, encoded[0]), nothing, keep=owner)
        return
    n = len(encoded)
    arr = (ctypes.c_char_p * n)(*encoded)
    await submit("objstore_submit_delete_many", (owner.ref, arr, n, None), nothing, keep=(arr, owner))
