"""Store classes, compatible with ``obstore.store``."""

import builtins
import sys
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Self, Unpack, overload

from arro3.core import RecordBatch, Table

from . import (
    AsyncReadableFile,
    AsyncWritableFile,
    Bytes,
    _GetManyRequest,
    GetResult,
    ListStream,
    _ProgressCallback,
    _PutInput,
    ReadableFile,
    WritableFile,
)
from ._config_types import AzureAccessKey as AzureAccessKey
from ._config_types import AzureBearerToken as AzureBearerToken
from ._config_types import AzureConfig as AzureConfig
from ._config_types import AzureCredential as AzureCredential
from ._config_types import AzureCredentialProvider as AzureCredentialProvider
from ._config_types import AzureSASToken as AzureSASToken
from ._config_types import BackoffConfig as BackoffConfig
from ._config_types import ClientConfig as ClientConfig
from ._config_types import GCSConfig as GCSConfig
from ._config_types import GCSCredential as GCSCredential
from ._config_types import GCSCredentialProvider as GCSCredentialProvider
from ._config_types import RetryConfig as RetryConfig
from ._config_types import S3Config as S3Config
from ._config_types import S3Credential as S3Credential
from ._config_types import S3CredentialProvider as S3CredentialProvider
from ._types import HTTP_METHOD, Attributes, GetOptions, ListResult, ObjectMeta, PutMode, PutResult
from ._uploads import PendingUpload

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer


__all__ = [
    "AzureAccessKey", "AzureBearerToken", "AzureConfig", "AzureCredential", "AzureCredentialProvider",
    "AzureSASToken", "AzureStore", "BackoffConfig", "ClientConfig", "GCSConfig", "GCSCredential",
    "GCSCredentialProvider", "GCSStore", "HTTPStore", "LocalStore", "MemoryStore", "ObjectStore",
    "ObjectStoreMethods", "RetryConfig", "S3Config", "S3Credential", "S3CredentialProvider", "S3Store",
    "CachingStore", "LimitStore", "PrefixStore",
    "from_config", "from_url", "parse_scheme",
]


class ObjectStoreMethods:
    """Every operation of :mod:`objstore` as a method: ``store.get(path)``
    is ``objstore.get(store, path)``."""

    def get(self, path: str, *, options: GetOptions | None = None) -> GetResult:
        """Start reading an object (see :func:`objstore.get`)."""
    async def get_async(self, path: str, *, options: GetOptions | None = None) -> GetResult:
        """Async twin of :meth:`get`."""
    def get_range(self, path: str, *, start: int, end: int | None = None, length: int | None = None) -> Bytes:
        """Bytes ``[start, end)`` of an object."""
    async def get_range_async(
        self, path: str, *, start: int, end: int | None = None, length: int | None = None
    ) -> Bytes:
        """Async twin of :meth:`get_range`."""
    def get_ranges(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
        coalesce: int = 1048576,
    ) -> builtins.list[Bytes]:
        """Several ranges of one object, fetched together."""
    async def get_ranges_async(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
        coalesce: int = 1048576,
    ) -> builtins.list[Bytes]:
        """Async twin of :meth:`get_ranges`."""
    def get_many(
        self, requests: Sequence[_GetManyRequest], *, max_concurrency: int = 64, raise_on_error: bool = False
    ) -> builtins.list[Bytes | BaseException]:
        """Many objects and ranges in one call (see :func:`objstore.get_many`)."""
    async def get_many_async(
        self, requests: Sequence[_GetManyRequest], *, max_concurrency: int = 64, raise_on_error: bool = False
    ) -> builtins.list[Bytes | BaseException]:
        """Async twin of :meth:`get_many`."""
    def head(self, path: str) -> ObjectMeta:
        """An object's metadata."""
    async def head_async(self, path: str) -> ObjectMeta:
        """Async twin of :meth:`head`."""
    def put(
        self,
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
        """Write an object, atomically (see :func:`objstore.put`)."""
    async def put_async(
        self,
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
        """Async twin of :meth:`put`."""
    @overload
    def list(
        self,
        prefix: str | None = None,
        *,
        offset: str | None = None,
        chunk_size: int = 50,
        return_arrow: Literal[False] = False,
    ) -> ListStream[Sequence[ObjectMeta]]: ...
    @overload
    def list(
        self,
        prefix: str | None = None,
        *,
        offset: str | None = None,
        chunk_size: int = 50,
        return_arrow: Literal[True],
    ) -> ListStream[RecordBatch]: ...
    @overload
    def list(
        self,
        prefix: str | None = None,
        *,
        offset: str | None = None,
        chunk_size: int = 50,
        return_arrow: bool,
    ) -> ListStream[RecordBatch] | ListStream[Sequence[ObjectMeta]]:
        """Every object under ``prefix``, lazily (``for`` or ``async for``)."""
    @overload
    def list_async(
        self,
        prefix: str | None = None,
        *,
        offset: str | None = None,
        chunk_size: int = 50,
        return_arrow: Literal[False] = False,
    ) -> ListStream[Sequence[ObjectMeta]]: ...
    @overload
    def list_async(
        self,
        prefix: str | None = None,
        *,
        offset: str | None = None,
        chunk_size: int = 50,
        return_arrow: Literal[True],
    ) -> ListStream[RecordBatch]: ...
    @overload
    def list_async(
        self,
        prefix: str | None = None,
        *,
        offset: str | None = None,
        chunk_size: int = 50,
        return_arrow: bool,
    ) -> ListStream[RecordBatch] | ListStream[Sequence[ObjectMeta]]:
        """:meth:`list` under obspec's ListAsync name (iterate with ``async for``)."""
    @overload
    def list_with_delimiter(
        self, prefix: str | None = None, *, return_arrow: Literal[False] = False
    ) -> ListResult[Sequence[ObjectMeta]]: ...
    @overload
    def list_with_delimiter(self, prefix: str | None = None, *, return_arrow: Literal[True]) -> ListResult[Table]: ...
    @overload
    def list_with_delimiter(
        self, prefix: str | None = None, *, return_arrow: bool
    ) -> ListResult[Table] | ListResult[Sequence[ObjectMeta]]:
        """One level under ``prefix``."""
    @overload
    async def list_with_delimiter_async(
        self, prefix: str | None = None, *, return_arrow: Literal[False] = False
    ) -> ListResult[Sequence[ObjectMeta]]: ...
    @overload
    async def list_with_delimiter_async(
        self, prefix: str | None = None, *, return_arrow: Literal[True]
    ) -> ListResult[Table]: ...
    @overload
    async def list_with_delimiter_async(
        self, prefix: str | None = None, *, return_arrow: bool
    ) -> ListResult[Table] | ListResult[Sequence[ObjectMeta]]:
        """Async twin of :meth:`list_with_delimiter`."""
    def delete(self, paths: str | Sequence[str]) -> None:
        """Delete one path or many."""
    async def delete_async(self, paths: str | Sequence[str]) -> None:
        """Async twin of :meth:`delete`."""
    def copy(self, from_: str, to: str, *, overwrite: bool = True) -> None:
        """Copy within the store."""
    async def copy_async(self, from_: str, to: str, *, overwrite: bool = True) -> None:
        """Async twin of :meth:`copy`."""
    def rename(self, from_: str, to: str, *, overwrite: bool = True) -> None:
        """Move within the store."""
    async def rename_async(self, from_: str, to: str, *, overwrite: bool = True) -> None:
        """Async twin of :meth:`rename`."""
    @overload
    def sign(self, method: HTTP_METHOD, paths: str, expires_in: timedelta) -> str: ...
    @overload
    def sign(self, method: HTTP_METHOD, paths: Sequence[str], expires_in: timedelta) -> Sequence[str]:
        """Presigned URL(s): one for a path, a list for a list."""
    @overload
    async def sign_async(self, method: HTTP_METHOD, paths: str, expires_in: timedelta) -> str: ...
    @overload
    async def sign_async(self, method: HTTP_METHOD, paths: Sequence[str], expires_in: timedelta) -> Sequence[str]:
        """Async twin of :meth:`sign`."""
    def cleanup_uploads(
        self, prefix: str | None = None, *, older_than: timedelta, dry_run: bool = False
    ) -> builtins.list[PendingUpload]:
        """Abort (or with ``dry_run`` list) unfinished multipart uploads."""
    async def cleanup_uploads_async(
        self, prefix: str | None = None, *, older_than: timedelta, dry_run: bool = False
    ) -> builtins.list[PendingUpload]:
        """Async twin of :meth:`cleanup_uploads`."""
    def open_reader(self, path: str, *, buffer_size: int = 1048576, size: int | None = None) -> ReadableFile:
        """A readable file over an object."""
    async def open_reader_async(
        self, path: str, *, buffer_size: int = 1048576, size: int | None = None
    ) -> AsyncReadableFile:
        """Async twin of :meth:`open_reader`."""
    def open_writer(
        self,
        path: str,
        *,
        attributes: Attributes | None = None,
        buffer_size: int = 10485760,
        tags: dict[str, str] | None = None,
        max_concurrency: int = 12,
    ) -> WritableFile:
        """A writable file; the object appears on close."""
    def open_writer_async(
        self,
        path: str,
        *,
        attributes: Attributes | None = None,
        buffer_size: int = 10485760,
        tags: dict[str, str] | None = None,
        max_concurrency: int = 12,
    ) -> AsyncWritableFile:
        """Async twin of :meth:`open_writer`."""


class ObjectStore(ObjectStoreMethods):
    """Base class of every store: a config document, and a native store
    opened on first use. Equal documents compare equal and share one client."""

    @property
    def prefix(self) -> str | None:
        """The prefix every path is relative to, if any."""
    @property
    def config(self) -> dict[str, Any]:
        """The config keys (canonical names), with the bucket."""
    @property
    def client_options(self) -> ClientConfig | None:
        """The HTTP client options given, or None."""
    @property
    def retry_config(self) -> RetryConfig | None:
        """The retry policy, defaults filled in, or None when none was given."""
    @property
    def credential_provider(self) -> Any:
        """The credential provider, if any."""
    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        config: Mapping[str, Any] | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: Any = None,
        **kwargs: Any,
    ) -> Self:
        """A store of this class from a URL (see :func:`from_url`)."""
    def config_document(self) -> str:
        """The canonical config document (JSON): rebuilds an equal store
        with :func:`from_config`, in Python or in C."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __getnewargs_ex__(self) -> tuple[tuple[()], dict[str, Any]]: ...
    def _handle(self) -> Any: ...
    def __dask_tokenize__(self) -> object: ...


class S3Store(ObjectStore):
    """An Amazon S3 (or S3-compatible) bucket; see :class:`S3Config`."""

    # bucket is positional-only here so that bucket= is S3Config's key (the same thing)
    def __init__(
        self,
        bucket: str | None = None,
        /,
        *,
        prefix: str | None = None,
        config: S3Config | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: S3CredentialProvider | None = None,
        **kwargs: Unpack[S3Config],
    ) -> None:
        """A store on ``bucket``; settings in ``config`` or as keyword
        arguments, the rest from ``AWS_*`` environment variables."""
    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        config: S3Config | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: S3CredentialProvider | None = None,
        **kwargs: Unpack[S3Config],
    ) -> Self:
        """A store from ``s3://bucket/prefix`` (or an S3 / R2 https URL)."""
    @property
    def config(self) -> S3Config:  # type: ignore[override]
        """The config keys given, with ``bucket``."""
    @property
    def credential_provider(self) -> S3CredentialProvider | None:
        """The credential provider, if any."""


class GCSStore(ObjectStore):
    """A Google Cloud Storage bucket; see :class:`GCSConfig`."""

    # bucket is positional-only here so that bucket= is GCSConfig's key (the same thing)
    def __init__(
        self,
        bucket: str | None = None,
        /,
        *,
        prefix: str | None = None,
        config: GCSConfig | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: GCSCredentialProvider | None = None,
        **kwargs: Unpack[GCSConfig],
    ) -> None:
        """A store on ``bucket``; the rest from ``GOOGLE_*`` environment variables."""
    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        config: GCSConfig | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: GCSCredentialProvider | None = None,
        **kwargs: Unpack[GCSConfig],
    ) -> Self:
        """A store from ``gs://bucket/prefix``."""
    @property
    def config(self) -> GCSConfig:  # type: ignore[override]
        """The config keys given, with ``bucket``."""
    @property
    def credential_provider(self) -> GCSCredentialProvider | None:
        """The credential provider, if any."""


class AzureStore(ObjectStore):
    """An Azure Blob Storage container; see :class:`AzureConfig`."""

    # container_name is positional-only here so that container_name= is AzureConfig's key
    def __init__(
        self,
        container_name: str | None = None,
        /,
        *,
        prefix: str | None = None,
        config: AzureConfig | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: AzureCredentialProvider | None = None,
        **kwargs: Unpack[AzureConfig],
    ) -> None:
        """A store on ``container_name``; the rest from ``AZURE_*`` environment variables."""
    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        config: AzureConfig | None = None,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        credential_provider: AzureCredentialProvider | None = None,
        **kwargs: Unpack[AzureConfig],
    ) -> Self:
        """A store from ``az://``, ``abfs://``, ``azure://`` or an Azure https URL."""
    @property
    def container_name(self) -> str | None:
        """The container."""
    @property
    def config(self) -> AzureConfig:  # type: ignore[override]
        """The config keys given, with ``container_name``."""
    @property
    def credential_provider(self) -> AzureCredentialProvider | None:
        """The credential provider, if any."""


class HTTPStore(ObjectStore):
    """A plain HTTP(S) or WebDAV server under a base URL."""

    def __init__(
        self,
        url: str,
        *,
        client_options: ClientConfig | None = None,
        retry_config: RetryConfig | None = None,
        prefix: str | None = None,
    ) -> None:
        """A store under ``url``."""
    @classmethod
    def from_url(
        cls, url: str, *, client_options: ClientConfig | None = None, retry_config: RetryConfig | None = None
    ) -> Self:
        """The same as the constructor."""
    @property
    def url(self) -> str:
        """The base URL, as given."""


class LocalStore(ObjectStore):
    """The local filesystem under one root directory."""

    def __init__(
        self, prefix: str | Path | None = None, *, mkdir: bool = False, automatic_cleanup: bool = False
    ) -> None:
        """A store rooted at ``prefix`` (the filesystem's root by default);
        ``mkdir`` creates it now, ``automatic_cleanup`` removes directories
        that deletes leave empty."""
    @classmethod
    def from_url(cls, url: str, *, automatic_cleanup: bool = False, mkdir: bool = False) -> Self:
        """A store from a ``file://`` URL."""
    @property
    def prefix(self) -> Path | None:  # type: ignore[override]
        """The root directory, or None for the filesystem's root."""


class MemoryStore(ObjectStore):
    """A store in this process's memory (not picklable)."""

    def __init__(self) -> None:
        """A new, empty store."""


# ---- Wrapping stores: built over another store ("inner") --------------------


class CachingStore(ObjectStore):
    """A read-through cache of ``inner``'s objects, whole and in ranges, in
    memory and optionally in a directory that processes share."""

    def __init__(
        self,
        inner: ObjectStore,
        *,
        memory_bytes: int | str | None = None,
        disk_dir: str | Path | None = None,
        disk_bytes: int | str | None = None,
        ttl: timedelta | float | str | None = None,
        block_bytes: int | str | None = None,
    ) -> None:
        """Sizes as ints or strings such as ``"64MiB"`` (memory 256 MiB, disk
        10 GiB, blocks 4 MiB by default); ``ttl``, how long what a request
        told of an object is trusted before it is checked again (1 minute)."""
    @property
    def inner(self) -> ObjectStore:
        """The store this one caches."""


class LimitStore(ObjectStore):
    """``inner`` with every operation held within limits."""

    def __init__(
        self,
        inner: ObjectStore,
        *,
        max_in_flight: int | None = None,
        requests_per_second: float | None = None,
        bytes_per_second: int | str | None = None,
    ) -> None:
        """Operations in flight at most, operations a second, bytes a second
        (an int or a string such as ``"20MiB"``); at least one."""
    @property
    def inner(self) -> ObjectStore:
        """The store this one limits."""


class PrefixStore(ObjectStore):
    """``inner`` seen under a prefix (whole path segments)."""

    def __init__(self, inner: ObjectStore, prefix: str) -> None:
        """Paths given are joined to ``prefix``; paths returned are relative to it."""
    @property
    def inner(self) -> ObjectStore:
        """The store under the prefix."""


@overload
def from_url(
    url: str,
    *,
    config: S3Config | None = None,
    client_options: ClientConfig | None = None,
    retry_config: RetryConfig | None = None,
    credential_provider: S3CredentialProvider | None = None,
    **kwargs: Unpack[S3Config],
) -> ObjectStore: ...
@overload
def from_url(
    url: str,
    *,
    config: GCSConfig | None = None,
    client_options: ClientConfig | None = None,
    retry_config: RetryConfig | None = None,
    credential_provider: GCSCredentialProvider | None = None,
    **kwargs: Unpack[GCSConfig],
) -> ObjectStore: ...
@overload
def from_url(
    url: str,
    *,
    config: AzureConfig | None = None,
    client_options: ClientConfig | None = None,
    retry_config: RetryConfig | None = None,
    credential_provider: AzureCredentialProvider | None = None,
    **kwargs: Unpack[AzureConfig],
) -> ObjectStore: ...
@overload
def from_url(
    url: str,
    *,
    config: None = None,
    client_options: None = None,
    retry_config: None = None,
    automatic_cleanup: bool = False,
    mkdir: bool = False,
) -> ObjectStore:
    """The store a URL names (``s3://``, ``gs://``, ``az://``, ``http(s)://``,
    ``file://``, ``memory://``); options given win over what the URL says."""

def from_config(document: str | bytes | Mapping[str, Any]) -> ObjectStore:
    """Rebuild a store from its config document (JSON text or dict)."""

def parse_scheme(url: str) -> Literal["s3", "gcs", "azure", "http", "local", "memory"]:
    """Which kind of store a URL names."""
