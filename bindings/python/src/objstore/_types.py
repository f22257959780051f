"""The types of the API's arguments and results, for annotations.

At run time the results are plain dicts, lists and tuples; these names only
describe them (as obstore's TypedDicts do). Nothing here loads anything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, Literal, Protocol, TypedDict, Union

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
    last_modified: datetime | None
    size: int
    e_tag: str | None
    version: str | None


class PutResult(TypedDict):
    """What a write returns."""

    e_tag: str | None
    version: str | None


class ListResult(TypedDict):
    """One level of a listing (:func:`objstore.list_with_delimiter`)."""

    common_prefixes: list[str]
    objects: list[ObjectMeta]


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
    range: GetRange | None
    version: str | None
    head: bool


class UpdateVersion(TypedDict, total=False):
    """A put that succeeds only over this version of the object."""

    e_tag: str | None
    version: str | None


PutMode = Union[Literal["create", "overwrite"], UpdateVersion]
Attributes = Mapping[str, str]
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
