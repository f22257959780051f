"""The asynchronous I/O the ecosystem adapters (zarr, fsspec, ProxyStore) use.

Every awaitable store call of ``objstore.zarr`` and ``objstore.fsspec`` goes
through this module. Where the package has native ``*_async`` operations they
are used; otherwise the synchronous call (which releases the GIL) runs in a
worker thread. Switching between the two happens here and nowhere else.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from . import _ops
from ._bytes import Bytes

T = TypeVar("T")

# (start, end) bounded; ("offset", n); ("suffix", n); None for the whole object.
ByteRange = tuple[Any, int] | None


def _native(name: str) -> Callable[..., Any] | None:
    """The package's native async operation `name`, if it has one."""
    import objstore

    return getattr(objstore, name + "_async", None)


async def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking objstore call without blocking the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def read_sync(store: Any, path: str, byte_range: ByteRange = None) -> Bytes:
    """The object's bytes, or the part `byte_range` names (see ByteRange)."""
    if byte_range is None:
        return _ops.get(store, path).bytes()
    kind, value = byte_range
    if kind == "offset":
        return _ops.get(store, path, options={"range": {"offset": value}}).bytes()
    if kind == "suffix":
        return _ops.get(store, path, options={"range": {"suffix": value}}).bytes()
    return _ops.get_range(store, path, start=kind, end=value)


async def read(store: Any, path: str, byte_range: ByteRange = None) -> Bytes:
    native_get = _native("get")
    if native_get is None:
        return await run(read_sync, store, path, byte_range)
    if byte_range is not None and byte_range[0] not in ("offset", "suffix"):
        return await _native("get_range")(store, path, start=byte_range[0], end=byte_range[1])
    options = None
    if byte_range is not None:
        options = {"range": {byte_range[0]: byte_range[1]}}
    result = await native_get(store, path, options=options)
    return await result.bytes_async()


def _range_option(byte_range: ByteRange) -> Any:
    """A ByteRange in the form of get_many's requests."""
    if byte_range is None or byte_range[0] not in ("offset", "suffix"):
        return byte_range
    return {byte_range[0]: byte_range[1]}


async def read_many(store: Any, requests: Sequence[tuple[str, ByteRange]]) -> builtins.list[Bytes | BaseException]:
    """Many reads at once, possibly across objects. Each result is the bytes
    or the exception that read raised, in the order of `requests`."""
    if not requests:
        return []
    get_many_async = _native("get_many")
    if get_many_async is not None:
        # one library call; ranges on one object are coalesced there
        return await get_many_async(store, [(p, _range_option(r)) for p, r in requests])

    async def one(path: str, byte_range: ByteRange) -> Bytes | BaseException:
        try:
            return await read(store, path, byte_range)
        except Exception as e:  # handed back to the caller, per request
            return e

    return await asyncio.gather(*(one(p, r) for p, r in requests))


def read_many_sync(store: Any, requests: Sequence[tuple[str, ByteRange]]) -> builtins.list[Bytes | BaseException]:
    """:func:`read_many` for synchronous callers."""
    import objstore

    get_many = getattr(objstore, "get_many", None)
    if get_many is not None:
        return get_many(store, [(p, _range_option(r)) for p, r in requests])
    results: builtins.list[Bytes | BaseException] = []
    for path, byte_range in requests:
        try:
            results.append(read_sync(store, path, byte_range))
        except Exception as e:
            results.append(e)
    return results


async def head(store: Any, path: str) -> dict[str, Any]:
    fn = _native("head")
    return await fn(store, path) if fn else await run(_ops.head, store, path)


async def put(store: Any, path: str, data: Any, *, mode: Any = None) -> dict[str, Any]:
    fn = _native("put")
    if fn:
        return await fn(store, path, data, mode=mode)
    return await run(_ops.put, store, path, data, mode=mode)


async def delete(store: Any, paths: str | Sequence[str]) -> None:
    fn = _native("delete")
    return await fn(store, paths) if fn else await run(_ops.delete, store, paths)


async def copy(store: Any, from_: str, to: str, *, overwrite: bool = True) -> None:
    fn = _native("copy")
    if fn:
        return await fn(store, from_, to, overwrite=overwrite)
    return await run(_ops.copy, store, from_, to, overwrite=overwrite)


async def list_all(store: Any, prefix: str | None) -> builtins.list[dict[str, Any]]:
    """Every object under `prefix` (by whole segments)."""
    stream = _ops.list(store, prefix or None, chunk_size=1000)
    if not hasattr(stream, "__aiter__"):
        return await run(stream.collect)
    found: builtins.list[dict[str, Any]] = []
    async for chunk in stream:
        found.extend(chunk)
    return found


async def list_with_delimiter(store: Any, prefix: str | None) -> dict[str, Any]:
    fn = _native("list_with_delimiter")
    if fn:
        return await fn(store, prefix or None)
    return await run(_ops.list_with_delimiter, store, prefix or None)
