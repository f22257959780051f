"""The types of the API's arguments and results, for annotations.

At run time the results are plain dicts, lists and tuples; these names only
describe them (as obstore's TypedDicts do). Nothing here loads anything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, Generic, Literal, NotRequired, Protocol, TypedDict, TypeVar, Union

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:  # any object with the buffer protocol (bytes, bytearray, memoryview, numpy arrays, Bytes)
    Buffer = Any


class StoreLike(Protocol):
    """Any objstore store (:class:`objstore.store.ObjectStore`): what the
    operations take as their first argument."""

    def _handle(self) -> Any: ...


class ObjectMeta(TypedDict):
    """An object's metadata."""

    path: str
    """The object's path in the store (relative to the store's prefix)."""
    last_modified: datetime
    """When the object was last written (timezone-aware, UTC)."""
    size: int
    """Its size in bytes."""
    e_tag: str | None
    """Its entity tag, if the store has one."""
    version: str | None
    """Its version, on stores with versioning."""


class PutResult(TypedDict):
    """What a write returns."""

    e_tag: str | None
    version: str | None


ListChunkType = TypeVar("ListChunkType", covariant=True)
"""What a listing yields per chunk: a list of ObjectMeta (or, with
``return_arrow=True``, an Arrow table or record batch)."""


class ListResult(TypedDict, Generic[ListChunkType]):
    """One level of a listing (:func:`objstore.list_with_delimiter`)."""

    common_prefixes: Sequence[str]
    """The "directories" directly under the prefix."""
    objects: ListChunkType
    """The objects directly under the prefix."""


class OffsetRange(TypedDict):
    """From byte ``offset`` to the end."""

    offset: int


class SuffixRange(TypedDict):
    """The last ``suffix`` bytes."""

    suffix: int


# (start, end) with end exclusive, {"offset": n} or {"suffix": n}.
GetRange = Union[tuple[int, int], Sequence[int], OffsetRange, SuffixRange]


class GetOptions(TypedDict, total=False):
    """Conditions and range of a get (obstore's GetOptions)."""

    if_match: str | None
    if_none_match: str | None
    if_modified_since: datetime | None
    if_unmodified_since: datetime | None
    range: tuple[int, int] | Sequence[int] | OffsetRange | SuffixRange
    version: str | None
    head: bool


class UpdateVersion(TypedDict, total=False):
    """A put that succeeds only over this version of the object."""

    e_tag: str | None
    version: str | None


PutMode = Union[Literal["create", "overwrite"], UpdateVersion]
Attribute = Union[
    Literal["Content-Disposition", "Content-Encoding", "Content-Language", "Content-Type", "Cache-Control"], str
]
"""An attribute name: one of the five HTTP headers stored with an object,
or any other string for user metadata."""
Attributes = dict[Attribute, str]
Tags = Mapping[str, str]
# progress(bytes_done, total): total is None when the size is not known.
ProgressCallback = Callable[[int, Union[int, None]], None]
# What put() writes: bytes-like (read in place), a path, a binary file
# object, or an iterable of bytes-like chunks.
PutInput = Union[Buffer, str, os.PathLike, IO[bytes], Iterable[Buffer]]
# put_async() also takes async iterables and objects with an async read().
AsyncPutInput = Union[PutInput, AsyncIterable[Buffer], Any]
# A get_many request: a path (the whole object) or (path, range or None).
GetManyRequest = Union[str, tuple[str, Union[GetRange, None]]]
HTTPMethod = Literal["GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT"]
HTTP_METHOD = HTTPMethod  # obstore's name


class LatencyHistogram(TypedDict):
    """A latency histogram: ``counts[i]`` operations took at most
    ``bounds[i]`` seconds (and more than the bound before); the last count
    is those slower than every bound. ``sum`` is in seconds."""

    bounds: list[float]
    counts: list[int]
    count: int
    sum: float


class Counters(TypedDict):
    """What a store (or every store of one kind) counted."""

    requests: dict[str, dict[str, int]]
    """Finished operations: operation ("get", "put", ...) → outcome ("ok" or an error kind) → count."""
    in_flight: int
    bytes_in: int
    bytes_out: int
    attempts: int
    retries: int
    throttled: int
    resumes: int
    checksum_failures: int
    ttfb_seconds: dict[str, LatencyHistogram]
    duration_seconds: dict[str, LatencyHistogram]


class StoreMetrics(Counters):
    """``store.metrics()``: the store's counters, kind and bucket."""

    kind: str
    bucket: NotRequired[str]
    enabled: bool


class ProcessMetrics(TypedDict):
    """``objstore.metrics()``: the totals of every store kind in the process."""

    enabled: bool
    kinds: dict[str, Counters]
    events_dropped: int


class RequestEvent(TypedDict):
    """One finished operation, as ``on_event`` callbacks receive it."""

    operation: str
    store_kind: str
    bucket: str
    path_length: int
    status: str
    error: NotRequired[str]
    bytes: int
    attempts: int
    retries: int
    ttfb_seconds: float
    duration_seconds: float
