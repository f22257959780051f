"""sign and sign_async: presigned URLs."""

from __future__ import annotations

import asyncio
import builtins
import ctypes
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from . import _args, _ffi
from ._async import submit
from ._results import url_of
from ._types import HTTPMethod, StoreLike

_HTTP_METHODS = frozenset(("GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT"))


def _sign_args(method: Any, paths: Any, expires_in: Any) -> tuple[bytes, builtins.list[bytes], bool, int]:
    """(method, encoded paths, whether one path was given, seconds)."""
    if not isinstance(method, str) or method.upper() not in _HTTP_METHODS:
        raise ValueError(f"method must be one of {sorted(_HTTP_METHODS)}, not {method!r}")
    if not isinstance(expires_in, timedelta):
        raise TypeError(f"expires_in must be a timedelta, not {type(expires_in).__name__}")
    secs = int(expires_in.total_seconds())
    if secs <= 0:
        raise ValueError(f"expires_in must be at least one second, got {expires_in!r}")
    encoded, single = _args.paths(paths)
    return method.upper().encode(), encoded, single, secs


def sign(
    store: StoreLike, method: HTTPMethod, paths: str | Sequence[str], expires_in: timedelta
) -> str | builtins.list[str]:
    """Presigned URL(s) for `method` on `paths`, valid for `expires_in`."""
    m, encoded, single, secs = _sign_args(method, paths, expires_in)
    owner = _args.store_handle(store)
    L = _ffi.lib()
    urls = []
    for p in encoded:
        out, err = ctypes.c_void_p(), _ffi.new_err()
        rc = L.objstore_sign(owner.ref, m, p, secs, ctypes.byref(out), ctypes.byref(err))
        if rc:
            _ffi.raise_error(rc, err)
        urls.append(_ffi.take_string(out))
    return urls[0] if single else urls


async def sign_async(
    store: StoreLike, method: HTTPMethod, paths: str | Sequence[str], expires_in: timedelta
) -> str | builtins.list[str]:
    """Presigned URL(s) for `method` on `paths`, valid for `expires_in`."""
    m, encoded, single, secs = _sign_args(method, paths, expires_in)
    owner = _args.store_handle(store)
    urls = await asyncio.gather(
        *(submit("objstore_submit_sign", (owner.ref, m, p, secs), url_of, keep=owner) for p in encoded)
    )
    return urls[0] if single else builtins.list(urls)
