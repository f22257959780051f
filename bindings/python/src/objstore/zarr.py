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

Byte requests follow zarr's stores (Python slicing of the value): a range or
offset that starts at or past the end of a value, or an empty range, gives an
empty buffer. The objstore stores themselves refuse such ranges
(InvalidArgumentError, as object_store does); this adapter turns that refusal
into the empty buffer after checking the value's size, so reads that stay
inside the value pay nothing extra.

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
from . import _delete, _head, _put
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


def _start(byte_range: ByteRequest | None) -> int | None:
    """Where a range or offset request starts (None for whole values and suffixes)."""
    if isinstance(byte_range, RangeByteRequest):
        return byte_range.start
    if isinstance(byte_range, OffsetByteRequest):
        return byte_range.offset
    return None


def _is_empty_range(byte_range: ByteRequest | None) -> bool:
    """A range no value has bytes in (end at or before start): zarr's stores
    slice it to nothing; the objstore stores refuse it before any I/O."""
    return isinstance(byte_range, RangeByteRequest) and byte_range.end <= byte_range.start


def _past_end(byte_range: ByteRequest | None, size: int) -> bool:
    """Whether zarr's slicing gives nothing for this request on a value of `size` bytes."""
    start = _start(byte_range)
    return _is_empty_range(byte_range) or (start is not None and start >= size)


def _refused(result: Any) -> bool:
    """Whether a read failed with the objstore refusal of its range (which
    get_many also gives the other ranges coalesced into the same read)."""
    return isinstance(result, _exc.InvalidArgumentError)


async def _head_or_none(store: _ObjstoreStore, key: str) -> dict[str, Any] | None:
    try:
        return await _io.head(store, key)
    except FileNotFoundError:
        return None


def _head_or_none_sync(store: _ObjstoreStore, key: str) -> dict[str, Any] | None:
    try:
        return _head.head(store, key)
    except FileNotFoundError:
        return None


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
        if not _is_empty_range(byte_range):  # the common read: straight into the turn's batch
            try:
                data = await self._reads.read(key, _byte_range(byte_range))
            except FileNotFoundError:
                return None
            except _exc.InvalidArgumentError:  # refused: maybe it starts past the end
                pass
            else:
                return prototype.buffer.from_bytes(data)
        data = (await self._read_many([(key, byte_range)]))[0]
        return None if data is None else prototype.buffer.from_bytes(data)

    async def _read_many(self, requests: list[tuple[str, ByteRequest | None]]) -> list[Any]:
        """The bytes of each (key, byte request), b"" where the request starts
        at or past the end of the value, None where the key does not exist;
        the first other error is raised."""
        results: list[Any] = [None] * len(requests)
        await self._read_into(results, requests, [i for i, (_, r) in enumerate(requests) if not _is_empty_range(r)])
        # Refused ranges and empty ones: which start past the end of their value?
        check = [i for i, (_, r) in enumerate(requests) if _is_empty_range(r) or _refused(results[i])]
        if check:
            await self._settle_refused(results, requests, check)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, FileNotFoundError):
                raise result
        return [None if isinstance(result, FileNotFoundError) else result for result in results]

    async def _settle_refused(self, results: list[Any], requests: list[tuple[str, ByteRequest | None]], check: list[int]) -> None:
        """For each i in `check` (an empty range, or a read the store refused):
        None if the key is missing, b"" if the request starts past the end of
        the value, else the result of reading it again alone."""
        keys = sorted({requests[i][0] for i in check})
        metas = dict(zip(keys, await asyncio.gather(*(_head_or_none(self.store, k) for k in keys))))
        again = []
        for i in check:
            key, r = requests[i]
            meta = metas[key]
            if meta is None:
                results[i] = None
            elif _past_end(r, meta["size"]):
                results[i] = b""
            else:  # refused with another range of its value: read it again alone
                again.append(i)
        await self._read_into(results, requests, again)

    async def _read_into(self, results: list[Any], requests: list[tuple[str, ByteRequest | None]], which: list[int]) -> None:
        """Reads requests[i] for each i in `which` into results[i] (its bytes
        or its error), in the current event-loop turn's batch."""
        if which:
            read = await self._reads.read_all([(requests[i][0], _byte_range(requests[i][1])) for i in which])
            for i, result in zip(which, read):
                results[i] = result

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        """Several (key, byte range) reads at once, across objects; None where
        the key does not exist."""
        results = await self._read_many(list(key_ranges))
        return [None if data is None else prototype.buffer.from_bytes(data) for data in results]

    async def _get_many(self, requests: Iterable[tuple[str, BufferPrototype, ByteRequest | None]]):
        requests = list(requests)
        results = await self._read_many([(key, r) for key, _, r in requests])
        for (key, prototype, _), data in zip(requests, results):
            yield key, None if data is None else prototype.buffer.from_bytes(data)

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
        """The total size of the values under the directory `prefix` ("c"
        counts "c/0" but not "cc/0", as zarr means it), from one listing."""
        return sum(m["size"] for m in await _io.list_all(self.store, _segment_prefix(prefix)))

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
        if _is_empty_range(byte_range):
            data = None if _head_or_none_sync(self.store, key) is None else b""
        else:
            try:
                data = _io.read_sync(self.store, key, _byte_range(byte_range))
            except FileNotFoundError:
                data = None
            except _exc.InvalidArgumentError:
                meta = _head_or_none_sync(self.store, key)
                if meta is not None and not _past_end(byte_range, meta["size"]):
                    raise
                data = None if meta is None else b""
        return None if data is None else (prototype or default_buffer_prototype()).buffer.from_bytes(data)

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
