"""Every objstore store satisfies obspec's protocols (checked by mypy and pyright)."""
from __future__ import annotations

from typing import Protocol

import obspec
from obspec_utils.protocols import ReadableStore

from objstore.store import (
    AzureStore, CachingStore, GCSStore, HTTPStore, LimitStore, LocalStore, MemoryStore, ObjectStore, PrefixStore, S3Store,
)


class AllOfObspec(
    obspec.Get, obspec.GetAsync, obspec.GetRange, obspec.GetRangeAsync, obspec.GetRanges, obspec.GetRangesAsync,
    obspec.Head, obspec.HeadAsync, obspec.List, obspec.ListAsync, obspec.ListWithDelimiter,
    obspec.ListWithDelimiterAsync, obspec.Put, obspec.PutAsync, obspec.Delete, obspec.DeleteAsync, obspec.Copy,
    obspec.CopyAsync, obspec.Rename, obspec.RenameAsync, Protocol,
):
    """Every protocol obspec defines."""


def takes_any_obspec_store(store: AllOfObspec) -> None:
    """A library function that accepts any obspec store."""


def takes_a_readable_store(store: ReadableStore) -> None:
    """obspec-utils' read protocol."""


def check(s3: S3Store, gcs: GCSStore, azure: AzureStore, http: HTTPStore, local: LocalStore, memory: MemoryStore, any_store: ObjectStore,
          cached: CachingStore, limited: LimitStore, prefixed: PrefixStore) -> None:
    takes_any_obspec_store(cached)
    takes_any_obspec_store(limited)
    takes_any_obspec_store(prefixed)
    takes_a_readable_store(cached)
    takes_any_obspec_store(s3)
    takes_any_obspec_store(gcs)
    takes_any_obspec_store(azure)
    takes_any_obspec_store(http)
    takes_any_obspec_store(local)
    takes_any_obspec_store(memory)
    takes_any_obspec_store(any_store)
    takes_a_readable_store(s3)
    takes_a_readable_store(memory)
    takes_a_readable_store(any_store)
