"""cleanup_uploads and cleanup_uploads_async: unfinished multipart uploads.

A process killed in the middle of a multipart upload (``put`` of a large
file, ``open_writer``) leaves the upload behind: invisible to readers, but
holding its parts, which S3 keeps and bills until the upload is aborted.
Every failure the library sees aborts its upload; these find the rest.
"""

from __future__ import annotations

import builtins
import ctypes
import math
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, TypedDict

from . import _args, _ffi
from ._async import Completion, lib, submit
from ._types import StoreLike

__all__ = ["PendingUpload", "cleanup_uploads", "cleanup_uploads_async"]

_DRY_RUN = 1  # OBJSTORE_CLEANUP_DRY_RUN


class PendingUpload(TypedDict):
    """A multipart upload begun and neither completed nor aborted."""

    path: str  # the object it would create
    upload_id: str | None  # the service's id of the upload (None where there is none: Azure)
    initiated: datetime | None  # when it began, by the service's clock


class _CPendingUpload(ctypes.Structure):
    """objstore_pending_upload (objstore.h)."""

    _fields_ = [("location", ctypes.c_char_p), ("upload_id", ctypes.c_char_p), ("initiated_ns", ctypes.c_int64)]


_P, _ERRPP = ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(_ffi.Error))
_SIGNATURES = {
    "objstore_cleanup_uploads": [_P, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.POINTER(_CPendingUpload)), ctypes.POINTER(ctypes.c_size_t), _ERRPP],
    "objstore_submit_cleanup_uploads": [_P, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint, ctypes.c_uint64, _ERRPP],
}
_declared: ctypes.CDLL | None = None
_declare_lock = threading.Lock()


def _lib() -> ctypes.CDLL:
    """The library, with this module's two functions declared."""
    global _declared
    L = lib()
    if _declared is not L:
        with _declare_lock:
            # Checked again under the lock: a thread that lost the race must
            # not rewrite argtypes of functions another thread is calling.
            if _declared is not L:
                for name, argtypes in _SIGNATURES.items():
                    fn = getattr(L, name)
                    fn.restype, fn.argtypes = ctypes.c_int, argtypes
                _declared = L
    return L


def _cleanup_args(prefix: Any, older_than: Any, dry_run: Any) -> tuple[bytes | None, int, int]:
    """(prefix, older_than in whole milliseconds rounded up, flags)."""
    p = _args.optional_path(prefix, "prefix")
    if not isinstance(older_than, timedelta):
        raise TypeError(f"older_than must be a timedelta, not {type(older_than).__name__}")
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than!r}")
    # Rounded up: an upload is never taken for older than it is.
    ms = math.ceil(older_than / timedelta(milliseconds=1))
    return p, min(ms, 2**64 - 1), _DRY_RUN if dry_run else 0


def _uploads(items, n: int) -> builtins.list[PendingUpload]:
    out: builtins.list[PendingUpload] = []
    for i in range(n):
        u = items[i]
        ns = u.initiated_ns
        out.append({
            "path": u.location.decode("utf-8", "surrogateescape"),
            "upload_id": u.upload_id.decode("utf-8", "replace") or None,
            "initiated": None if ns == _ffi.TIME_UNSET else datetime.fromtimestamp(ns // 1000 / 1e6, timezone.utc),
        })
    return out


def cleanup_uploads(
    store: StoreLike, prefix: str | None = None, *, older_than: timedelta, dry_run: bool = False
) -> builtins.list[PendingUpload]:
    """Abort the unfinished multipart uploads of objects under `prefix` that
    began at least `older_than` ago, and return them.

    ``older_than`` spares uploads that may still be in progress
    (``timedelta(0)`` aborts all); with ``dry_run=True`` nothing is aborted
    and the uploads that would be are returned. S3: its multipart uploads;
    GCS: the temporary parts of this library's uploads; Azure: blocks staged
    on a blob that was never committed; LocalStore: its hidden staging.
    Memory and HTTP stores keep no uploads: NotSupportedError.
    """
    p, ms, flags = _cleanup_args(prefix, older_than, dry_run)
    owner = _args.store_handle(store)
    L = _lib()
    out, items, n = ctypes.c_void_p(), ctypes.POINTER(_CPendingUpload)(), ctypes.c_size_t()
    err = _ffi.new_err()
    rc = L.objstore_cleanup_uploads(owner.ref, p, ms, flags, ctypes.byref(out), ctypes.byref(items), ctypes.byref(n),
                                    ctypes.byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    try:
        return _uploads(items, n.value)
    finally:
        L.objstore_meta_list_free(out.value)


def _uploads_of(c: Completion) -> builtins.list[PendingUpload]:
    try:
        return _uploads(ctypes.cast(c.pending_uploads, ctypes.POINTER(_CPendingUpload)), c.n_items)
    finally:
        lib().objstore_meta_list_free(c.meta_list)


async def cleanup_uploads_async(
    store: StoreLike, prefix: str | None = None, *, older_than: timedelta, dry_run: bool = False
) -> builtins.list[PendingUpload]:
    """Abort the unfinished multipart uploads of objects under `prefix` that
    began at least `older_than` ago, and return them (see cleanup_uploads)."""
    p, ms, flags = _cleanup_args(prefix, older_than, dry_run)
    owner = _args.store_handle(store)
    _lib()
    return await submit("objstore_submit_cleanup_uploads", (owner.ref, p, ms, flags), _uploads_of, keep=owner)
