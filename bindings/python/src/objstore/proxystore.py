"""A ProxyStore connector over any objstore store.

::

    from proxystore.store import Store
    from objstore.store import S3Store
    from objstore.proxystore import ObjectStoreConnector

    connector = ObjectStoreConnector(S3Store("bucket", region="eu-west-1"), prefix="proxies")
    with Store("s3-proxies", connector) as store:
        proxy = store.proxy(big_object)   # resolved lazily wherever it travels

:class:`ObjectStoreConnector` implements ProxyStore's ``Connector`` and
``DeferrableConnector`` protocols. Each object is one object-store object
under ``prefix``, written with one atomic put, so a reader sees either nothing
or the whole value. Reads return read-only memoryviews of the library's
buffers (no copy).

Secrets and :meth:`~ObjectStoreConnector.config`: ProxyStore embeds a
connector's config in every proxy it creates, so by default the config
carries the store's config document *without* the keys that hold credentials
(secret keys, tokens, passwords, SAS, and key ids). Credentials a store read
from the environment are never in its document anyway. The process that
rebuilds the connector (``from_config``) then takes credentials from its own
environment. Pass ``config_secrets=True`` to ship the document as it is.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, NamedTuple, TypeVar

from . import _adapter_io as _io
from . import _config, _delete, _get, _head, _list, _put
from .store import ObjectStore as _ObjstoreStore
from .store import from_config as _store_from_config
from .store import from_url

__all__ = ["ObjectStoreConnector", "ObjectStoreKey"]

T = TypeVar("T")
R = TypeVar("R")

_MAX_BATCH_THREADS = 16


class ObjectStoreKey(NamedTuple):
    """The key of one value: its object path in the connector's store."""

    path: str


def _map_concurrently(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """fn over items, in order, with several calls in flight (each objstore
    call releases the GIL)."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(_MAX_BATCH_THREADS, len(items))) as pool:
        return list(pool.map(fn, items))


def _without_secrets(document: dict[str, Any]) -> dict[str, Any]:
    doc = dict(document)
    for section in ("config", "client_options"):
        values = doc.get(section)
        if values:
            kept = {k: v for k, v in values.items() if not _config.is_secret_key(k)}
            if kept:
                doc[section] = kept
            else:
                del doc[section]
    return doc


class ObjectStoreConnector:
    """ProxyStore connector storing each value as an object.

    Parameters
    ----------
    store:
        Any objstore store, a URL :func:`objstore.store.from_url` accepts, or
        a store config document (a dict, as in :meth:`config`).
    prefix:
        Object path prefix of the values (e.g. ``"proxystore"``).
    clear:
        Delete every object under ``prefix`` on :meth:`close`.
    config_secrets:
        Include credentials given explicitly to the store in :meth:`config`
        (default: leave them out; see the module documentation).
    """

    def __init__(
        self,
        store: _ObjstoreStore | str | dict[str, Any],
        *,
        prefix: str = "proxystore",
        clear: bool = False,
        config_secrets: bool = False,
    ) -> None:
        if isinstance(store, str):
            store = from_url(store)
        elif isinstance(store, dict):
            store = _store_from_config(store)
        if not isinstance(store, _ObjstoreStore):
            raise TypeError(
                f"store must be an objstore store, a URL or a config document, not {type(store).__name__}"
            )
        prefix = prefix.strip("/")
        if not prefix:
            raise ValueError("prefix must not be empty: close(clear=True) deletes everything under it")
        self.store = store
        self.prefix = prefix
        self.clear = clear
        self.config_secrets = config_secrets

    def __repr__(self) -> str:
        return f"ObjectStoreConnector({self.store!r}, prefix={self.prefix!r})"

    def __enter__(self) -> ObjectStoreConnector:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- lifecycle and config ------------------------------------------------------------

    def close(self, clear: bool | None = None) -> None:
        """Release the connector; with ``clear`` (default: the constructor's),
        delete every value under the prefix. Safe to call more than once."""
        if self.clear if clear is None else clear:
            paths = [m["path"] for m in _list.list(self.store, self.prefix, chunk_size=1000).collect()]
            if paths:
                _delete.delete(self.store, paths)

    def config(self) -> dict[str, Any]:
        """The constructor's keyword arguments, JSON-serializable (ProxyStore
        rebuilds connectors as ``cls(**config)``); without credentials unless
        ``config_secrets=True``."""
        document = json.loads(self.store.config_document())
        if not self.config_secrets:
            document = _without_secrets(document)
        return {
            "store": document,
            "prefix": self.prefix,
            "clear": self.clear,
            "config_secrets": self.config_secrets,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ObjectStoreConnector:
        """The connector :meth:`config` describes."""
        return cls(**config)

    # -- single values ---------------------------------------------------------------------

    def new_key(self, obj: Any = None) -> ObjectStoreKey:
        """A fresh key, for a value given later with :meth:`set`."""
        return ObjectStoreKey(f"{self.prefix}/{uuid.uuid4().hex}")

    def set(self, key: ObjectStoreKey, obj: Any) -> None:
        """Store `obj` (bytes-like) under `key`, replacing any value."""
        _put.put(self.store, key.path, obj)

    def put(self, obj: Any) -> ObjectStoreKey:
        """Store `obj` (bytes-like) under a new key."""
        key = self.new_key()
        self.set(key, obj)
        return key

    def get(self, key: ObjectStoreKey) -> Any:
        """The value of `key` as a read-only memoryview of the library's
        buffer (no copy), or None."""
        try:
            data = _get.get(self.store, key.path).bytes()
        except FileNotFoundError:
            return None
        # ProxyStore accepts bytes, bytearray and memoryview as bytes-like.
        return memoryview(data).toreadonly()

    def exists(self, key: ObjectStoreKey) -> bool:
        try:
            _head.head(self.store, key.path)
        except FileNotFoundError:
            return False
        return True

    def evict(self, key: ObjectStoreKey) -> None:
        """Delete the value of `key`; a missing key is not an error."""
        with contextlib.suppress(FileNotFoundError):
            _delete.delete(self.store, key.path)

    # -- batches ---------------------------------------------------------------------------

    def put_batch(self, objs: Sequence[Any]) -> list[ObjectStoreKey]:
        """Store several values concurrently; their keys, in order."""
        keys = [self.new_key() for _ in objs]
        _map_concurrently(lambda pair: self.set(*pair), list(zip(keys, objs)))
        return keys

    def get_batch(self, keys: Sequence[ObjectStoreKey]) -> list[Any]:
        """Several values fetched concurrently, in order; None where missing."""
        results = _io.read_many_sync(self.store, [(key.path, None) for key in keys])
        out: list[Any] = []
        for result in results:
            if isinstance(result, FileNotFoundError):
                out.append(None)
            elif isinstance(result, BaseException):
                raise result
            else:
                out.append(memoryview(result).toreadonly())
        return out
