"""get_many and get_many_async: many objects and ranges in one library call."""

from __future__ import annotations

import builtins
import ctypes
from collections.abc import Iterable
from typing import Any

from . import _args, _async, _ffi
from ._async import submit
from ._bytes import Bytes, _view
from ._defaults import GET_MANY_CONCURRENCY
from ._types import GetManyRequest, StoreLike

_c_void_p = ctypes.c_void_p
_c_size_t = ctypes.c_size_t


class _Batch:
    """One get_many: the C arrays of its requests and of its results."""

    __slots__ = ("n", "paths", "ranges", "buffers", "datas", "lens", "codes", "errors")

    def __init__(self, requests: Any):
        if isinstance(requests, (str, bytes)) or not isinstance(requests, Iterable):
            raise TypeError(
                f"requests must be a sequence of paths or (path, range) pairs, not {type(requests).__name__}"
            )
        reqs = builtins.list(requests)
        n = self.n = len(reqs)
        size = max(n, 1)
        self.paths = (ctypes.c_char_p * size)()
        self.ranges = (_ffi.Range * size)()
        for i, r in enumerate(reqs):
            if isinstance(r, str) or (not isinstance(r, (tuple, builtins.list)) and hasattr(r, "__fspath__")):
                self.paths[i] = _args.path(r, f"requests[{i}]")
                continue
            if not isinstance(r, (tuple, builtins.list)) or len(r) != 2:
                raise TypeError(
                    f"requests[{i}] must be a path or (path, range), with range (start, end), "
                    f"{{'offset': n}} or {{'suffix': n}}; got {r!r}"
                )
            self.paths[i] = _args.path(r[0], f"requests[{i}] path")
            if r[1] is not None:
                _args.set_range(self.ranges[i], r[1])
        self.buffers = (_c_void_p * size)()
        self.datas = (_c_void_p * size)()
        self.lens = (_c_size_t * size)()
        self.codes = (ctypes.c_int * size)()
        self.errors = (ctypes.POINTER(_ffi.Error) * size)()

    def args(self, max_concurrency: int, raise_on_error: bool) -> tuple:
        """The arguments of objstore_get_many / objstore_submit_get_many
        before the request id and error."""
        flags = _async.GET_MANY_STRICT if raise_on_error else 0
        return (self.paths, self.ranges, self.n, max_concurrency, flags,
                self.buffers, self.datas, self.lens, self.codes, self.errors)

    def results(self) -> builtins.list[Bytes | BaseException]:
        """A Bytes or the exception of each request (taking what each holds)."""
        out: builtins.list[Any] = []
        for i in range(self.n):
            b = self.buffers[i]
            if b:
                n = self.lens[i]
                out.append(_view(self.datas[i] or 0, n, _ffi.buffer_owner(b, n)))
            else:
                out.append(_ffi.make_error(self.codes[i], self.errors[i]))
        return out


def get_many(
    store: StoreLike,
    requests: Iterable[GetManyRequest],
    *,
    max_concurrency: int = GET_MANY_CONCURRENCY,
    raise_on_error: bool = False,
) -> builtins.list[Bytes | BaseException]:
    """Read many objects and ranges in one library call, concurrently.

    ``requests`` holds paths (the whole object) or ``(path, range)`` pairs
    with range ``(start, end)``, ``{"offset": n}``, ``{"suffix": n}`` or
    ``None``. Ranges on one object are coalesced. Returns, in input order, a
    zero-copy :class:`Bytes` per request, or the exception instance of a
    request that failed (a missing object fails only its own requests).
    With ``raise_on_error=True`` the first failure stops the batch and is
    raised.
    """
    batch = _Batch(requests)
    conc = _args.positive_int(max_concurrency, "max_concurrency")
    if batch.n == 0:
        return []
    owner = _args.store_handle(store)
    t = _ffi.scratch()
    rc = _async.lib().objstore_get_many(owner.ref, *batch.args(conc, raise_on_error), t.r_err)
    if rc:
        batch.results()  # frees the per-item errors
        _ffi.fail(rc, t)
    t.taken = False
    return batch.results()


async def get_many_async(
    store: StoreLike,
    requests: Iterable[GetManyRequest],
    *,
    max_concurrency: int = GET_MANY_CONCURRENCY,
    raise_on_error: bool = False,
) -> builtins.list[Bytes | BaseException]:
    """:func:`get_many` as one asynchronous request."""
    batch = _Batch(requests)
    conc = _args.positive_int(max_concurrency, "max_concurrency")
    if batch.n == 0:
        return []
    owner = _args.store_handle(store)

    def finish(c):
        return batch.results()

    def after(c, fut) -> None:
        if c.code:  # strict failure: the items' errors still need freeing
            batch.results()

    args = (owner.ref, *batch.args(conc, raise_on_error))
    return await submit("objstore_submit_get_many", args, finish, keep=(batch, owner), after=after)
