"""A zarr v3 store over any objstore store.

::

    import zarr
    from objstore.store import S3Store
    from objstore.zarr import ZarrStore

    store = ZarrStore(S3Store("bucket", prefix="data.zarr", region="eu-west-1"))
    z = zarr.create_array(store, shape=(1000, 1000), chunks=(100, 100), dtype="f4")

:class:`ZarrStore` implements ``zarr.abc.store.Store`` (and zarr's synchronous
``get_sync`` / ``set_sync`` / ``delete_sync`` protocol). Reads hand zarr the
library's buffers without copying. zarr reads an array's chunks as many
concurrent ``get`` calls (``async.concurrency`` at a time); the reads that
the store is asked for during one turn of the event loop are fetched
together by one ``get_many`` (one library call and one completion instead
of two of each per chunk), and ``get_partial_values`` joins the same batch.
It pickles as its objstore store does (so it travels to Dask workers), and
two ZarrStores are equal when their objstore stores are equal and both are
(or both are not) read-only.

Requires ``zarr>=3.1`` (import this module only where zarr is installed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype

from . import _adapter_io as _io
from . import _delete, _put
from . import exceptions as _exc
from .store import ObjectStore as _ObjstoreStore
from .store import from_url

__all__ = ["ZarrStore", "ObjectStore"]


def _byte_range(byte_range: ByteRequest | None) -> _io.ByteRange:
    """zarr's byte request as the adapter I/O's range tuple."""
    if byte_range is None:
        return None
    if isinstance(byte_range, RangeByteRequest):
        return (byte_range.start, byte_range.end)
    if isinstance(byte_range, OffsetByteRequest):
        return ("offset", byte_range.offset)
    if isinstance(byte_range, SuffixByteRequest):
        return ("suffix", byte_range.suffix)
    raise TypeError(f"Unexpected byte_range, got {byte_range!r}")


def _segment_prefix(prefix: str) -> str | None:
    """A zarr prefix ending in "/" (or empty) as an objstore listing prefix."""
    prefix = prefix.rstrip("/")
    return prefix or None


class _Turn:
    """The reads asked for during one event-loop turn: their (path, range)
    requests, and who waits for which. A waiter is (future, first, count):
    a single read's future gets its bytes or exception, a group's future
    gets the list of its requests' outcomes."""

    __slots__ = ("requests", "waiters", "waiting", "task")

    def __init__(self) -> None:
        self.requests: list[tuple[str, _io.ByteRange]] = []
        self.waiters: list[tuple[asyncio.Future, int, int]] = []
        self.waiting = 0  # waiters not cancelled
        self.task: asyncio.Task | None = None

    def abandon(self) -> None:
        """A waiter was cancelled; with none left, the fetch is cancelled too."""
        self.waiting -= 1
        if self.waiting == 0 and self.task is not None:
            self.task.cancel()


class _TurnReads:
    """Reads of one objstore store, batched per event-loop turn.

    The first read of a turn opens a batch and schedules its fetch with
    ``call_soon``, which runs after every callback already due in this turn:
    the reads that zarr's concurrently woken tasks ask for meanwhile join
    it, and the batch goes out as one ``get_many`` (coalescing ranges of one
    object, each request's outcome its own). Each event loop has its own
    batch. No timer is involved: a read waits at most for the callbacks that
    were already due when it was asked for.
    """

    __slots__ = ("store", "open")

    def __init__(self, store: _ObjstoreStore) -> None:
        self.store = store
        self.open: dict[asyncio.AbstractEventLoop, _Turn] = {}

    def _join(self, requests: list[tuple[str, _io.ByteRange]], single: bool) -> tuple[_Turn, asyncio.Future]:
        loop = asyncio.get_running_loop()
        turn = self.open.get(loop)
        if turn is None:
            turn = self.open[loop] = _Turn()
            loop.call_soon(self._flush, loop)
        fut = loop.create_future()
        turn.waiters.append((fut, len(turn.requests), 0 if single else len(requests)))
        turn.requests += requests
        turn.waiting += 1
        return turn, fut

    async def read(self, key: str, byte_range: _io.ByteRange) -> Any:
        """The bytes of one read (its exception raised)."""
        turn, fut = self._join([(key, byte_range)], single=True)
        try:
            return await fut
        except asyncio.CancelledError:
            turn.abandon()
            raise

    async def read_all(self, requests: list[tuple[str, _io.ByteRange]]) -> list[Any]:
        """The outcome of each read: its bytes or its exception."""
        if not requests:
            return []
        turn, fut = self._join(requests, single=False)
        try:
            return await fut
        except asyncio.CancelledError:
            turn.abandon()
            raise

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        turn = self.open.pop(loop)
        turn.task = loop.create_task(self._fetch(turn))

    async def _fetch(self, turn: _Turn) -> None:
        requests = turn.requests
        try:
            results = await self._read_many(requests)
        except asyncio.CancelledError:  # no waiter left, or the loop is closing
            for fut, _, _ in turn.waiters:
                fut.cancel()
            raise
        except Exception as e:  # a single read failed as a whole
            for fut, _, _ in turn.waiters:
                if not fut.done():
                    fut.set_exception(e)
            return
        for fut, first, count in turn.waiters:
            if fut.done():  # its waiter was cancelled
                continue
            if count:
                fut.set_result(results[first : first + count])
            elif isinstance(results[first], BaseException):
                fut.set_exception(results[first])
            else:
                fut.set_result(results[first])

    async def _read_many(self, requests: list[tuple[str, _io.ByteRange]]) -> list[Any]:
        """Every request's outcome, from one get_many. The library refuses a
        range that starts past its object's end, and gives the other ranges
        coalesced with it into one read the same refusal: such a request is
        read again alone, so that each outcome is its own. If the batch fails
        as a whole, each request is read alone, for the same reason."""
        try:
            results = await _io.read_many(self.store, requests)
        except Exception:
            if len(requests) == 1:
                raise
            return await asyncio.gather(*(self._read_alone(r) for r in requests))
        keys = [key for key, _ in requests]
        again = [
            i for i, r in enumerate(results)
            if isinstance(r, _exc.InvalidArgumentError) and keys.count(keys[i]) > 1
        ]
        for i, result in zip(again, await asyncio.gather(*(self._read_alone(requests[i]) for i in again))):
            results[i] = result
        return results

    async def _read_alone(self, request: tuple[str, _io.ByteRange]) -> Any:
        try:
            return (await _io.read_many(self.store, [request]))[0]
        except Exception as e:
            return e


class ZarrStore(Store):
    """A zarr v3 store backed by an objstore store.

    Parameters
    ----------
    store:
        Any objstore store (``S3Store``, ``GCSStore``, ``AzureStore``,
        ``HTTPStore``, ``LocalStore``, ``MemoryStore``), or a URL that
        :func:`objstore.store.from_url` accepts.
    read_only:
        Refuse ``set`` / ``delete`` with ``ValueError`` when true.
    """

    store: _ObjstoreStore

    def __init__(self, store: _ObjstoreStore | str, *, read_only: bool = False) -> None:
        if isinstance(store, str):
            store = from_url(store)
        if not isinstance(store, _ObjstoreStore):
            raise TypeError(f"store must be an objstore store or a URL, not {type(store).__name__}")
        super().__init__(read_only=read_only)
        self.store = store
        self._reads = _TurnReads(store)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_reads"]  # batches in flight belong to this process's loops
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reads = _TurnReads(self.store)

    # -- identity ----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ZarrStore):
            return NotImplemented
        return self.read_only == other.read_only and self.store == other.store

    def __hash__(self) -> int:
        return hash((ZarrStore, self.read_only, self.store))

    def __repr__(self) -> str:
        ro = ", read_only=True" if self.read_only else ""
        return f"ZarrStore({self.store!r}{ro})"

    def __str__(self) -> str:
        return f"objstore://{self.store!r}"

    def with_read_only(self, read_only: bool = False) -> ZarrStore:
        """The same objstore store with another read-only setting (not opened)."""
        return type(self)(self.store, read_only=read_only)

    def __dask_tokenize__(self) -> tuple[Any, ...]:
        return ("objstore.zarr.ZarrStore", self.read_only, self.store.__dask_tokenize__())

    # -- capabilities ------------------------------------------------------------------

    @property
    def supports_writes(self) -> bool:
        return True

    @property
    def supports_deletes(self) -> bool:
        return True

    @property
    def supports_listing(self) -> bool:
        return True

    # -- reads -----------------------------------------------------------------------------

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        """The value at `key` (or part of it), or None if there is none."""
        try:
            data = await self._reads.read(key, _byte_range(byte_range))
        except FileNotFoundError:
            return None
        return prototype.buffer.from_bytes(data)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        """Several (key, byte range) reads at once, across objects; None where
        the key does not exist."""
        results = await self._reads.read_all([(key, _byte_range(r)) for key, r in key_ranges])
        out: list[Buffer | None] = []
        for result in results:
            if isinstance(result, FileNotFoundError):
                out.append(None)
            elif isinstance(result, BaseException):
                raise result
            else:
                out.append(prototype.buffer.from_bytes(result))
        return out

    async def _get_many(self, requests: Iterable[tuple[str, BufferPrototype, ByteRequest | None]]):
        requests = list(requests)
        results = await self._reads.read_all([(key, _byte_range(r)) for key, _, r in requests])
        for (key, prototype, _), result in zip(requests, results):
            if isinstance(result, FileNotFoundError):
                yield key, None
            elif isinstance(result, BaseException):
                raise result
            else:
                yield key, prototype.buffer.from_bytes(result)

    async def exists(self, key: str) -> bool:
        try:
            await _io.head(self.store, key)
        except FileNotFoundError:
            return False
        return True

    async def getsize(self, key: str) -> int:
        """The size of the value at `key`, from its metadata (no read)."""
        return (await _io.head(self.store, key))["size"]

    async def getsize_prefix(self, prefix: str) -> int:
        return sum(m["size"] for m in await self._list_metas(prefix))

    # -- writes ----------------------------------------------------------------------------

    async def set(self, key: str, value: Buffer) -> None:
        self._check_writable()
        await _io.put(self.store, key, value.as_buffer_like())

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        """Write `value` only if `key` does not exist: a create-only put, so
        concurrent writers cannot both win."""
        self._check_writable()
        with contextlib.suppress(_exc.AlreadyExistsError):
            await _io.put(self.store, key, value.as_buffer_like(), mode="create")

    async def delete(self, key: str) -> None:
        self._check_writable()
        with contextlib.suppress(FileNotFoundError):
            await _io.delete(self.store, key)

    async def delete_dir(self, prefix: str) -> None:
        """Delete every key under `prefix` (a whole-segment prefix), in batches."""
        self._check_writable()
        paths = [m["path"] for m in await _io.list_all(self.store, _segment_prefix(prefix))]
        if paths:
            await _io.delete(self.store, paths)

    # -- listing -----------------------------------------------------------------------------

    async def _list_metas(self, prefix: str) -> list[dict[str, Any]]:
        """Metadata of every key starting with `prefix` (a plain string prefix,
        as zarr means it: "a/b" also matches "a/bc")."""
        if prefix == "" or prefix.endswith("/"):
            return await _io.list_all(self.store, _segment_prefix(prefix))
        parent = prefix.rsplit("/", 1)[0] if "/" in prefix else None
        metas = await _io.list_all(self.store, parent)
        return [m for m in metas if m["path"].startswith(prefix)]

    async def list(self) -> AsyncIterator[str]:
        for meta in await _io.list_all(self.store, None):
            yield meta["path"]

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for meta in await self._list_metas(prefix):
            yield meta["path"]

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """The names directly under `prefix` (objects and "directories")."""
        base = _segment_prefix(prefix)
        listing = await _io.list_with_delimiter(self.store, base)
        cut = len(base) + 1 if base else 0
        for common in listing["common_prefixes"]:
            yield common[cut:].rstrip("/")
        for meta in listing["objects"]:
            yield meta["path"][cut:]

    # -- synchronous protocol (zarr.abc.store.SupportsSyncStore) ----------------------------

    def get_sync(
        self,
        key: str,
        *,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        """:meth:`get` without an event loop."""
        requested = _byte_range(byte_range)
        try:
            data = _io.read_sync(self.store, key, requested)
        except FileNotFoundError:
            return None
        return (prototype or default_buffer_prototype()).buffer.from_bytes(data)

    def set_sync(self, key: str, value: Buffer) -> None:
        """:meth:`set` without an event loop."""
        self._check_writable()
        _put.put(self.store, key, value.as_buffer_like())

    def delete_sync(self, key: str) -> None:
        """:meth:`delete` without an event loop."""
        self._check_writable()
        with contextlib.suppress(FileNotFoundError):
            _delete.delete(self.store, key)


#: The name zarr's own obstore adapter uses (``zarr.storage.ObjectStore``).
ObjectStore = ZarrStore
