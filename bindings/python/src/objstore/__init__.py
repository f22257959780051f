"""objstore: one fast, zero-copy API for S3, Google Cloud Storage, Azure Blob,
HTTP/WebDAV, the local filesystem and memory, over the libobjstore C library.

The API follows obstore::

    import objstore
    from objstore.store import LocalStore

    store = LocalStore("/tmp/data", mkdir=True)
    objstore.put(store, "a/b.txt", b"hello")
    objstore.get(store, "a/b.txt").bytes()      # Bytes(b'hello'), zero-copy

Importing objstore does not load the shared library; the first store
constructor or I/O does.
"""

from __future__ import annotations

from . import exceptions, store
from ._async import debug_stats, set_runtime
from ._bytes import Bytes
from ._copy import copy, copy_async, rename, rename_async
from ._delete import delete, delete_async
from ._files import (
    AsyncReadableFile,
    AsyncWritableFile,
    ReadableFile,
    WritableFile,
    open_reader,
    open_reader_async,
    open_writer,
    open_writer_async,
)
from ._get import get, get_async, get_range, get_range_async, get_ranges, get_ranges_async
from ._get_many import get_many, get_many_async
from ._head import head, head_async
from ._events import on_event
from ._metrics import metrics
from ._list import list, list_with_delimiter, list_with_delimiter_async
from ._native import flush_traces
from ._put import put, put_async
from ._results import BytesStream, GetResult, ListStream
from ._sign import sign, sign_async
from ._types import (
    HTTP_METHOD,
    Attribute,
    Attributes,
    GetOptions,
    ListChunkType,
    ListResult,
    ObjectMeta,
    OffsetRange,
    PutMode,
    PutResult,
    SuffixRange,
    UpdateVersion,
)
from .store import AzureStore as _AzureStore
from .store import GCSStore as _GCSStore
from .store import HTTPStore as _HTTPStore
from .store import S3Store as _S3Store
from .store import parse_scheme

# The stores that can presign URLs (obstore's name, for annotations).
SignCapableStore = _AzureStore | _GCSStore | _S3Store | _HTTPStore
from ._uploads import cleanup_uploads, cleanup_uploads_async

__version__ = "0.1.0"

__all__ = [
    "AsyncReadableFile",
    "AsyncWritableFile",
    "ReadableFile",
    "WritableFile",
    "cleanup_uploads_async",
    "copy_async",
    "debug_stats",
    "flush_traces",
    "metrics",
    "on_event",
    "parse_scheme",
    "SignCapableStore",
    "Attribute",
    "Attributes",
    "GetOptions",
    "HTTP_METHOD",
    "ListChunkType",
    "ListResult",
    "ObjectMeta",
    "OffsetRange",
    "PutMode",
    "PutResult",
    "SuffixRange",
    "UpdateVersion",
    "delete_async",
    "get_async",
    "get_many",
    "get_many_async",
    "get_range_async",
    "get_ranges_async",
    "head_async",
    "list_with_delimiter_async",
    "open_reader",
    "open_reader_async",
    "open_writer",
    "open_writer_async",
    "put_async",
    "rename_async",
    "set_runtime",
    "sign_async",
    "Bytes",
    "BytesStream",
    "GetResult",
    "ListStream",
    "cleanup_uploads",
    "copy",
    "delete",
    "exceptions",
    "get",
    "get_range",
    "get_ranges",
    "head",
    "list",
    "list_with_delimiter",
    "put",
    "rename",
    "sign",
    "store",
]
