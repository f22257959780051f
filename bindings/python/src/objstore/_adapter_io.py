"""The I/O the ecosystem adapters (zarr, fsspec, ProxyStore) use.

Every awaitable store call of ``objstore.zarr`` and ``objstore.fsspec`` goes
through this module, onto the package's native ``*_async`` operations (the
library's completion queue: no thread per call). ``run`` puts a blocking
call of the adapter's own on a worker thread.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from . import _copy, _delete, _get, _get_many, _head, _list, _put
from ._bytes import Bytes
from ._defaults import LIST_PAGE_SIZE
from ._types import ListResult, ObjectMeta

T = TypeVar("T")

# (start, end) bounded; ("offset", n); ("suffix", n); None for the whole object.
ByteRange = tuple[Any, int] | None


async def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking call without blocking the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def _options(byte_range: ByteRange) -> dict[str, Any] | None:
    """get's options for an offset or suffix range (None for the whole object)."""
    return None if byte_range is None else {"range": {byte_range[0]: byte_range[1]}}


def read_sync(store: Any, path: str, byte_range: ByteRange = None) -> Bytes:
    """The object's bytes, or the part `byte_range` names (see ByteRange)."""
    if byte_range is not None and byte_range[0] not in ("offset", "suffix"):
        return _get.get_range(store, path, start=byte_range[0], end=byte_range[1])
    return _get.get(store, path, options=_options(byte_range)).bytes()


async def read(store: Any, path: str, byte_range: ByteRange = None) -> Bytes:
    """:func:`read_sync`, awaited."""
    if byte_range is not None and byte_range[0] not in ("offset", "suffix"):
        return await _get.get_range_async(store, path, start=byte_range[0], end=byte_range[1])
    result = await _get.get_async(store, path, options=_options(byte_range))
    return await result.bytes_async()


def _range_option(byte_range: ByteRange) -> Any:
    """A ByteRange in the form of get_many's requests."""
    if byte_range is None or byte_range[0] not in ("offset", "suffix"):
        return byte_range
    return {byte_range[0]: byte_range[1]}


async def read_many(store: Any, requests: Sequence[tuple[str, ByteRange]]) -> builtins.list[Bytes | BaseException]:
    """Many reads at once, possibly across objects, in one library call
    (ranges on one object coalesced there). Each result is the bytes or the
    exception that read raised, in the order of `requests`."""
    if not requests:
        return []
    return await _get_many.get_many_async(store, [(p, _range_option(r)) for p, r in requests])


def read_many_sync(store: Any, requests: Sequence[tuple[str, ByteRange]]) -> builtins.list[Bytes | BaseException]:
    """:func:`read_many` for synchronous callers."""
    return _get_many.get_many(store, [(p, _range_option(r)) for p, r in requests])


async def head(store: Any, path: str) -> dict[str, Any]:
    return await _head.head_async(store, path)


async def put(store: Any, path: str, data: Any, *, mode: Any = None) -> dict[str, Any]:
    return await _put.put_async(store, path, data, mode=mode)


async def delete(store: Any, paths: str | Sequence[str]) -> None:
    return await _delete.delete_async(store, paths)


async def copy(store: Any, from_: str, to: str, *, overwrite: bool = True) -> None:
    return await _copy.copy_async(store, from_, to, overwrite=overwrite)


async def list_all(store: Any, prefix: str | None) -> builtins.list[ObjectMeta]:
    """Every object under `prefix` (by whole segments)."""
    found: builtins.list[ObjectMeta] = []
    async for chunk in _list.list(store, prefix or None, chunk_size=LIST_PAGE_SIZE):
        found.extend(chunk)
    return found


async def list_with_delimiter(store: Any, prefix: str | None) -> ListResult[builtins.list[ObjectMeta]]:
    return await _list.list_with_delimiter_async(store, prefix or None)
