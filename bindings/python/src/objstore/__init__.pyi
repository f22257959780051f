"""objstore: one fast, zero-copy API for S3, Google Cloud Storage, Azure Blob,
HTTP/WebDAV, the local filesystem and memory (obstore's API)."""

import builtins
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from os import PathLike
from pathlib import Path
from typing import IO, Any, Generic, Literal, overload

from arro3.core import RecordBatch, Table

from . import exceptions as exceptions
from ._bytes import Bytes as Bytes
from . import store as store
from ._types import HTTP_METHOD as HTTP_METHOD
from ._types import Attribute as Attribute
from ._types import Attributes as Attributes
from ._types import GetOptions as GetOptions
from ._types import ListChunkType as ListChunkType
from ._types import ListResult as ListResult
from ._types import ObjectMeta as ObjectMeta
from ._types import OffsetRange as OffsetRange
from ._types import PutMode as PutMode
from ._types import PutResult as PutResult
from ._types import SuffixRange as SuffixRange
from ._types import UpdateVersion as UpdateVersion
from ._types import Counters as Counters
from ._types import LatencyHistogram as LatencyHistogram
from ._types import ProcessMetrics as ProcessMetrics
from ._types import StoreMetrics as StoreMetrics
from ._types import RequestEvent as RequestEvent
from ._uploads import PendingUpload
from .store import AzureStore, GCSStore, HTTPStore, ObjectStore, S3Store

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

__version__: str
__all__ = [
    "cleanup_uploads",
    "cleanup_uploads_async",
    "AsyncReadableFile",
    "AsyncWritableFile",
    "Attribute",
    "Attributes",
    "Bytes",
    "BytesStream",
    "GetOptions",
    "GetResult",
    "HTTP_METHOD",
    "ListChunkType",
    "ListResult",
    "ListStream",
    "ObjectMeta",
    "OffsetRange",
    "PutMode",
    "PutResult",
    "ReadableFile",
    "SignCapableStore",
    "SuffixRange",
    "UpdateVersion",
    "WritableFile",
    "copy",
    "copy_async",
    "debug_stats",
    "flush_traces",
    "metrics",
    "on_event",
    "delete",
    "delete_async",
    "exceptions",
    "get",
    "get_async",
    "get_many",
    "get_many_async",
    "get_range",
    "get_range_async",
    "get_ranges",
    "get_ranges_async",
    "head",
    "head_async",
    "list",
    "list_with_delimiter",
    "list_with_delimiter_async",
    "open_reader",
    "open_reader_async",
    "open_writer",
    "open_writer_async",
    "parse_scheme",
    "put",
    "put_async",
    "rename",
    "rename_async",
    "set_runtime",
    "sign",
    "sign_async",
    "store",
]

SignCapableStore = AzureStore | GCSStore | S3Store | HTTPStore
"""The stores that can presign URLs."""

_ProgressCallback = Callable[[int, int | None], None]
"""``progress(bytes_done, total)`` of a put; total is None when unknown."""

# ---- get ----------------------------------------------------------------------------------


class BytesStream:
    """Chunks of an object's body as zero-copy :class:`Bytes`, with ``for``
    or ``async for``."""

    def __iter__(self) -> BytesStream: ...
    def __next__(self) -> Bytes: ...
    def __aiter__(self) -> BytesStream: ...
    async def __anext__(self) -> Bytes: ...
    def close(self) -> None:
        """Stop streaming and release the body."""


class GetResult:
    """What :func:`get` returns: the metadata now, the body on demand (once:
    whole, or as a stream)."""

    @property
    def attributes(self) -> Attributes:
        """Content-Type and the other stored headers, and user metadata."""
    @property
    def meta(self) -> ObjectMeta:
        """The object's metadata."""
    @property
    def range(self) -> tuple[int, int]:
        """The byte range the body holds: ``(start, end)``, end exclusive."""
    def bytes(self) -> Bytes:
        """The whole body."""
    def buffer(self) -> Bytes:
        """The whole body (obspec's name for :meth:`bytes`)."""
    async def bytes_async(self) -> Bytes:
        """The whole body, without blocking the event loop."""
    async def buffer_async(self) -> Bytes:
        """The whole body (obspec's name for :meth:`bytes_async`)."""
    def readinto(self, buf: Buffer, /) -> int:
        """The next bytes of the body, read straight into ``buf`` (writable):
        as many as it holds, fewer only at the end; 0 at the end."""
    def stream(self, min_chunk_size: int = 10485760) -> BytesStream:
        """The body in chunks of at least ``min_chunk_size`` bytes (0: the
        library's choice)."""
    def __iter__(self) -> BytesStream: ...
    def __aiter__(self) -> BytesStream: ...


def get(store: ObjectStore, path: str, *, options: GetOptions | None = None) -> GetResult:
    """Start reading an object: its metadata, and its body on demand.
    ``options`` sets conditions (``if_match``...), a range or a version."""

async def get_async(store: ObjectStore, path: str, *, options: GetOptions | None = None) -> GetResult:
    """Async twin of :func:`get`."""

def get_range(
    store: ObjectStore, path: str, *, start: int, end: int | None = None, length: int | None = None
) -> Bytes:
    """Bytes ``[start, end)`` (or ``[start, start+length)``) of an object. An
    end past the object is clamped; a start at or past it is an error."""

async def get_range_async(
    store: ObjectStore, path: str, *, start: int, end: int | None = None, length: int | None = None
) -> Bytes:
    """Async twin of :func:`get_range`."""

def get_ranges(
    store: ObjectStore,
    path: str,
    *,
    starts: Sequence[int],
    ends: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    coalesce: int = 1048576,
) -> builtins.list[Bytes]:
    """Several ranges of one object; ranges at most ``coalesce`` bytes apart
    are fetched in one read."""

async def get_ranges_async(
    store: ObjectStore,
    path: str,
    *,
    starts: Sequence[int],
    ends: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    coalesce: int = 1048576,
) -> builtins.list[Bytes]:
    """Async twin of :func:`get_ranges`."""

_GetManyRequest = str | tuple[str, tuple[int, int] | Sequence[int] | OffsetRange | SuffixRange | None]
"""A get_many request: a path (the whole object) or ``(path, range)``."""

def get_many(
    store: ObjectStore, requests: Iterable[_GetManyRequest], *, max_concurrency: int = 64, raise_on_error: bool = False
) -> builtins.list[Bytes | BaseException]:
    """Many objects and ranges in one call, fetched concurrently; each item
    is the bytes or the exception of that request (``raise_on_error``: the
    first failure raises)."""

async def get_many_async(
    store: ObjectStore, requests: Iterable[_GetManyRequest], *, max_concurrency: int = 64, raise_on_error: bool = False
) -> builtins.list[Bytes | BaseException]:
    """Async twin of :func:`get_many`."""

def head(store: ObjectStore, path: str) -> ObjectMeta:
    """An object's metadata."""

async def head_async(store: ObjectStore, path: str) -> ObjectMeta:
    """Async twin of :func:`head`."""

# ---- put ----------------------------------------------------------------------------------

_PutInput = IO[bytes] | Path | str | PathLike[str] | bytes | Buffer | Iterator[Buffer] | Iterable[Buffer]
"""What put() writes: bytes-like (read in place), a file path, a binary
file, or chunks."""

def put(
    store: ObjectStore,
    path: str,
    file: _PutInput,
    *,
    attributes: Attributes | None = None,
    tags: dict[str, str] | None = None,
    mode: PutMode | None = None,
    use_multipart: bool | None = None,
    chunk_size: int = 5242880,
    max_concurrency: int = 12,
    progress: _ProgressCallback | None = None,
) -> PutResult:
    """Write an object, atomically: ``mode`` ``"create"`` refuses an existing
    object, an ``{"e_tag": ..., "version": ...}`` updates only that version.
    Inputs larger than ``chunk_size`` go as a multipart upload."""

async def put_async(
    store: ObjectStore,
    path: str,
    file: _PutInput | AsyncIterator[Buffer] | AsyncIterable[Buffer],
    *,
    attributes: Attributes | None = None,
    tags: dict[str, str] | None = None,
    mode: PutMode | None = None,
    use_multipart: bool | None = None,
    chunk_size: int = 5242880,
    max_concurrency: int = 12,
    progress: _ProgressCallback | None = None,
) -> PutResult:
    """Async twin of :func:`put`; also takes async iterables."""

# ---- delete, copy, rename ---------------------------------------------------------------------

def delete(store: ObjectStore, paths: str | Sequence[str]) -> None:
    """Delete one path or many (in batches where the service has them)."""

async def delete_async(store: ObjectStore, paths: str | Sequence[str]) -> None:
    """Async twin of :func:`delete`."""

def copy(store: ObjectStore, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Copy within the store; ``overwrite=False`` refuses an existing destination."""

async def copy_async(store: ObjectStore, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Async twin of :func:`copy`."""

def rename(store: ObjectStore, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Move within the store; ``overwrite=False`` refuses an existing destination."""

async def rename_async(store: ObjectStore, from_: str, to: str, *, overwrite: bool = True) -> None:
    """Async twin of :func:`rename`."""

# ---- list ---------------------------------------------------------------------------------


class ListStream(Generic[ListChunkType]):
    """A lazy listing: chunks with ``for`` or ``async for``, or everything
    with :meth:`collect` / :meth:`collect_async`."""

    def __iter__(self) -> ListStream[ListChunkType]: ...
    def __next__(self) -> ListChunkType: ...
    def __aiter__(self) -> ListStream[ListChunkType]: ...
    async def __anext__(self) -> ListChunkType: ...
    def collect(self) -> ListChunkType:
        """Every remaining entry."""
    async def collect_async(self) -> ListChunkType:
        """Every remaining entry, without blocking the event loop."""


@overload
def list(
    store: ObjectStore,
    prefix: str | None = None,
    *,
    offset: str | None = None,
    chunk_size: int = 50,
    return_arrow: Literal[False] = False,
) -> ListStream[Sequence[ObjectMeta]]: ...
@overload
def list(
    store: ObjectStore,
    prefix: str | None = None,
    *,
    offset: str | None = None,
    chunk_size: int = 50,
    return_arrow: Literal[True],
) -> ListStream[RecordBatch]: ...
@overload
def list(
    store: ObjectStore,
    prefix: str | None = None,
    *,
    offset: str | None = None,
    chunk_size: int = 50,
    return_arrow: bool,
) -> ListStream[RecordBatch] | ListStream[Sequence[ObjectMeta]]:
    """Every object under ``prefix`` (by whole path segments), lazily, in
    chunks of ``chunk_size``; with ``offset``, only paths after it. With
    ``return_arrow=True`` the chunks are Arrow record batches."""

@overload
def list_with_delimiter(
    store: ObjectStore, prefix: str | None = None, *, return_arrow: Literal[False] = False
) -> ListResult[Sequence[ObjectMeta]]: ...
@overload
def list_with_delimiter(
    store: ObjectStore, prefix: str | None = None, *, return_arrow: Literal[True]
) -> ListResult[Table]: ...
@overload
def list_with_delimiter(
    store: ObjectStore, prefix: str | None = None, *, return_arrow: bool
) -> ListResult[Table] | ListResult[Sequence[ObjectMeta]]:
    """One level under ``prefix``: its objects and common prefixes."""

@overload
async def list_with_delimiter_async(
    store: ObjectStore, prefix: str | None = None, *, return_arrow: Literal[False] = False
) -> ListResult[Sequence[ObjectMeta]]: ...
@overload
async def list_with_delimiter_async(
    store: ObjectStore, prefix: str | None = None, *, return_arrow: Literal[True]
) -> ListResult[Table]: ...
@overload
async def list_with_delimiter_async(
    store: ObjectStore, prefix: str | None = None, *, return_arrow: bool
) -> ListResult[Table] | ListResult[Sequence[ObjectMeta]]:
    """Async twin of :func:`list_with_delimiter`."""

# ---- sign ---------------------------------------------------------------------------------

@overload
def sign(store: SignCapableStore, method: HTTP_METHOD, paths: str, expires_in: timedelta) -> str: ...
@overload
def sign(
    store: SignCapableStore, method: HTTP_METHOD, paths: Sequence[str], expires_in: timedelta
) -> Sequence[str]:
    """Presigned URL(s) for ``method`` on ``paths``, valid for ``expires_in``:
    one URL for one path, a list for a list."""

@overload
async def sign_async(store: SignCapableStore, method: HTTP_METHOD, paths: str, expires_in: timedelta) -> str: ...
@overload
async def sign_async(
    store: SignCapableStore, method: HTTP_METHOD, paths: Sequence[str], expires_in: timedelta
) -> Sequence[str]:
    """Async twin of :func:`sign`."""

# ---- buffered files -----------------------------------------------------------------------


class ReadableFile:
    """A buffered, seekable reader over one object."""

    @property
    def size(self) -> int:
        """The object's size."""
    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
    def read(self, size: int | None = None, /) -> Bytes:
        """Up to ``size`` bytes (all remaining when omitted or negative)."""
    def readall(self) -> Bytes:
        """Everything from the position to the end."""
    def readline(self) -> Bytes:
        """One line, with its newline."""
    def readlines(self, hint: int = -1, /) -> builtins.list[Bytes]:
        """The remaining lines."""
    def seek(self, offset: int, whence: int = 0, /) -> int:
        """Move the position; returns it."""
    def seekable(self) -> bool: ...
    def readable(self) -> bool: ...
    def tell(self) -> int:
        """The position."""
    def close(self) -> None:
        """Close the file."""
    def __enter__(self) -> ReadableFile: ...
    def __exit__(self, *exc: object) -> None: ...
    def __iter__(self) -> Iterator[Bytes]: ...


class AsyncReadableFile:
    """:class:`ReadableFile` with async reads."""

    @property
    def size(self) -> int:
        """The object's size."""
    async def read(self, size: int | None = None, /) -> Bytes:
        """Up to ``size`` bytes (all remaining when omitted or negative)."""
    async def readall(self) -> Bytes:
        """Everything from the position to the end."""
    async def readline(self) -> Bytes:
        """One line, with its newline."""
    async def readlines(self, hint: int = -1, /) -> builtins.list[Bytes]:
        """The remaining lines."""
    async def seek(self, offset: int, whence: int = 0, /) -> int:
        """Move the position; returns it."""
    async def tell(self) -> int:
        """The position."""
    def seekable(self) -> bool: ...
    def close(self) -> None:
        """Close the file."""
    async def __aenter__(self) -> AsyncReadableFile: ...
    async def __aexit__(self, *exc: object) -> None: ...
    def __aiter__(self) -> AsyncReadableFile: ...
    async def __anext__(self) -> Bytes: ...


class WritableFile:
    """A buffered writer to one object, which appears atomically on close
    (an exception in its ``with`` block aborts it)."""

    @property
    def result(self) -> PutResult | None:
        """The put's result once closed."""
    def write(self, buffer: Buffer, /) -> int:
        """Take data; returns its length."""
    def flush(self) -> None:
        """Check the file is open (parts are sent as they fill)."""
    def close(self) -> None:
        """Complete the object."""
    def closed(self) -> bool:
        """Whether the file is closed."""
    def writable(self) -> bool: ...
    def __enter__(self) -> WritableFile: ...
    def __exit__(self, exc_type: object, exc: object, tb: object) -> None: ...


class AsyncWritableFile:
    """:class:`WritableFile` with async operations."""

    @property
    def result(self) -> PutResult | None:
        """The put's result once closed."""
    async def write(self, buffer: Buffer, /) -> int:
        """Take data; returns its length."""
    async def flush(self) -> None:
        """Check the file is open."""
    async def close(self) -> None:
        """Complete the object."""
    async def closed(self) -> bool:
        """Whether the file is closed."""
    def writable(self) -> bool: ...
    async def __aenter__(self) -> AsyncWritableFile: ...
    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None: ...


def open_reader(
    store: ObjectStore, path: str, *, buffer_size: int = 1048576, size: int | None = None
) -> ReadableFile:
    """A readable file over an object; ``size`` saves the HEAD request."""

async def open_reader_async(
    store: ObjectStore, path: str, *, buffer_size: int = 1048576, size: int | None = None
) -> AsyncReadableFile:
    """Async twin of :func:`open_reader`."""

def open_writer(
    store: ObjectStore,
    path: str,
    *,
    attributes: Attributes | None = None,
    buffer_size: int = 10485760,
    tags: dict[str, str] | None = None,
    max_concurrency: int = 12,
) -> WritableFile:
    """A writable file: the object appears on close."""

def open_writer_async(
    store: ObjectStore,
    path: str,
    *,
    attributes: Attributes | None = None,
    buffer_size: int = 10485760,
    tags: dict[str, str] | None = None,
    max_concurrency: int = 12,
) -> AsyncWritableFile:
    """Async twin of :func:`open_writer` (use with ``async with``)."""

# ---- unfinished uploads --------------------------------------------------------------------

def cleanup_uploads(
    store: ObjectStore, prefix: str | None = None, *, older_than: timedelta, dry_run: bool = False
) -> builtins.list[PendingUpload]:
    """Abort the unfinished multipart uploads under ``prefix`` that began at
    least ``older_than`` ago, and return them (``dry_run``: only return them)."""

async def cleanup_uploads_async(
    store: ObjectStore, prefix: str | None = None, *, older_than: timedelta, dry_run: bool = False
) -> builtins.list[PendingUpload]:
    """Async twin of :func:`cleanup_uploads`."""

# ---- the rest -----------------------------------------------------------------------------

def parse_scheme(url: str) -> Literal["s3", "gcs", "azure", "http", "local", "memory"]:
    """Which kind of store a URL names."""

@overload
def metrics(*, format: Literal["dict"] = "dict") -> ProcessMetrics:
    """The process's metrics: the totals of every store kind ("s3",
    "cache", ...) opened in this process (see :meth:`ObjectStore.metrics`)."""
@overload
def metrics(*, format: Literal["prometheus"]) -> str:
    """The process's metrics in the Prometheus text exposition (label ``kind``)."""
def on_event(callback: Callable[[RequestEvent], object] | None) -> None:
    """Call ``callback(event)`` after every operation of every store in this
    process (None stops it), on the binding's ``objstore-events`` thread."""
def set_runtime(
    *, max_procs: int | None = None, memory_limit: int | None = None, async_limit: int | None = None
) -> dict[str, int]:
    """Tune the library's Go runtime (threads, memory limit, async requests
    at once); returns the previous values."""

def debug_stats() -> dict[str, int]:
    """What is alive in the library (handles, buffers, requests), for leak checks."""

def flush_traces(timeout: float = 10.0) -> None:
    """Send now the spans of traced stores that wait to be exported (at most
    ``timeout`` seconds); see docs/observability.md."""

