"""copy and rename (within one store) and their async twins."""

from __future__ import annotations

import ctypes

from . import _args, _ffi
from ._async import submit
from ._results import nothing
from ._types import StoreLike


def _prepare(store: StoreLike, from_: str, to: str, overwrite: bool) -> tuple[_ffi.StoreHandle, tuple]:
    """The store's handle and the library call's arguments."""
    a, b = _args.path(from_, "from_"), _args.path(to, "to")
    owner = _args.store_handle(store)
    return owner, (owner.ref, a, b, _args.overwrite_flags(overwrite))


def _call(fn_name: str, store: StoreLike, from_: str, to: str, overwrite: bool) -> None:
    owner, args = _prepare(store, from_, to, overwrite)
    err = _ffi.new_err()
    rc = getattr(_ffi.lib(), fn_name)(*args, ctypes.byref(err))
    if rc:
        _ffi.raise_error(rc, err)


async def _submit(fn_name: str, store: StoreLike, from_: str, to: str, overwrite: bool) -> None:
    owner, args = _prepare(store, from_, to, overwrite)
    await submit(fn_name, args, nothing, keep=owner)


def copy(store: StoreLike, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Copy an object within the store. With ``overwrite=False`` an existing
    destination is AlreadyExistsError."""
    _call("objstore_copy", store, from_, to, overwrite)


async def copy_async(store: StoreLike, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Copy an object within the store. With ``overwrite=False`` an existing
    destination is AlreadyExistsError."""
    await _submit("objstore_submit_copy", store, from_, to, overwrite)


def rename(store: StoreLike, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Move an object within the store. With ``overwrite=False`` an existing
    destination is AlreadyExistsError."""
    _call("objstore_rename", store, from_, to, overwrite)


async def rename_async(store: StoreLike, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Move an object within the store. With ``overwrite=False`` an existing
    destination is AlreadyExistsError."""
    await _submit("objstore_submit_rename", store, from_, to, overwrite)
