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
from ._bytes import Bytes
from ._ops import (
    BytesStream,
    GetResult,
    ListStream,
    copy,
    delete,
    get,
    get_range,
    get_ranges,
    head,
    list,
    list_with_delimiter,
    put,
    rename,
    sign,
)

__version__ = "0.1.0"

__all__ = [
    "Bytes",
    "BytesStream",
    "GetResult",
    "ListStream",
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
