"""Store classes, compatible with ``obstore.store``.

A store object is a config document: ``{"kind": ..., "bucket": ...,
"prefix": ..., "url": ..., "config": {...}, "client_options": {...},
"retry_config": {...}}``. Constructors build the document and validate it
eagerly in the library (``objstore_config_normalize``, which loads the
library). The native store (client, connection pool) is opened lazily on the
first I/O; the library shares one per process between store objects with
equal documents.

Pickling sends the keyword arguments that rebuild the document; unpickling
neither loads the library nor opens anything. ``CachingStore``,
``LimitStore`` and ``PrefixStore`` are built over another store (``inner``),
whose document theirs nests. :meth:`ObjectStore.config_document`
and :func:`from_config` are the language-neutral alternative (JSON).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from . import _config, _config_types, _ffi, _native
from . import exceptions as _exc
from ._config_types import *  # noqa: F403  (obstore.store's config types, re-exported)
from ._methods import ObjectStoreMethods

__all__ = [
    *_config_types.__all__,
    "ObjectStore",
    "ObjectStoreMethods",
    "MemoryStore",
    "LocalStore",
    "S3Store",
    "GCSStore",
    "AzureStore",
    "HTTPStore",
    "CachingStore",
    "LimitStore",
    "PrefixStore",
    "from_url",
    "from_config",
    "parse_scheme",
]


class ObjectStore(ObjectStoreMethods):
    """Base class of every store: a config document plus a lazily opened
    native handle. Not instantiated directly."""

    __slots__ = ("_doc", "_canonical", "_native", "_provider", "__weakref__")
    _kind: ClassVar[str] = ""
    # Which document field the first positional argument fills.
    _positional_field: ClassVar[str | None] = "bucket"
    # Whether the class takes a credential_provider (S3, GCS, Azure).
    _takes_provider: ClassVar[bool] = False

    # -- construction ---------------------------------------------------------------

    def __new__(cls, *args, **kwargs):
        # Cheap and library-free: this is all unpickling runs.
        if cls._kind == "":
            raise TypeError("ObjectStore is abstract: use MemoryStore, LocalStore, S3Store, ...")
        positional = cls._positional_arg
        if not args and positional in kwargs and cls._positional_field is not None:
            args = (kwargs.pop(positional),)
        provider = kwargs.pop("credential_provider", None) if cls._takes_provider else None
        if provider is not None and not callable(provider):
            raise TypeError(f"credential_provider must be callable, not {type(provider).__name__}")
        self = object.__new__(cls)
        self._provider = provider
        self._set_document(cls._document_from_args(*args, **kwargs))
        return self

    def __init__(self, *args, **kwargs):
        # Eager validation (pickle skips __init__): unknown keys, aliases given
        # twice and bad values fail here, with the library's canonical form kept.
        doc = _native.normalize(self._canonical)
        if self._provider is not None:
            doc = _with_provider_config(doc, self._provider)
        self._set_document(doc)
        self._built()

    def _built(self) -> None:
        """What a store does once it is built by its user (never when
        unpickled): nothing, but for a LocalStore that creates its root."""

    @classmethod
    def _document_from_args(
        cls,
        positional=None,
        *,
        prefix=None,
        config=None,
        client_options=None,
        retry_config=None,
        **kwargs,
    ) -> dict[str, Any]:
        if positional is not None and not isinstance(positional, str):
            raise TypeError(f"{cls._positional_name()} must be str, not {type(positional).__name__}")
        if prefix is not None and not isinstance(prefix, (str, os.PathLike)):
            raise TypeError(f"prefix must be str, not {type(prefix).__name__}")
        fields: dict[str, Any] = {}
        if positional is not None:
            fields[cls._positional_field] = positional
        return _config.make_document(
            cls._kind,
            prefix=os.fspath(prefix) if prefix is not None else None,
            config=_config.options_section("config", config, kwargs),
            client_options=_config.options_section("client_options", client_options),
            retry_config=_config.retry_section(retry_config),
            **fields,
        )

    @classmethod
    def _positional_name(cls) -> str:
        return cls._positional_field or "argument"

    @classmethod
    def _kwargs_from_document(cls, doc: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        field = cls._positional_field
        if field and doc.get(field):
            kwargs[cls._positional_arg] = doc[field]
        for name in ("prefix", "config", "client_options", "retry_config"):
            if doc.get(name):
                kwargs[name] = doc[name]
        return kwargs

    _positional_arg: ClassVar[str] = "bucket"

    @classmethod
    def _from_document(cls, doc: dict[str, Any], credential_provider: Any = None) -> ObjectStore:
        """An instance for an already validated document. Rebuilt through the
        keyword arguments so that it equals its own unpickled copy."""
        kwargs = cls._kwargs_from_document(doc)
        if credential_provider is not None:
            kwargs["credential_provider"] = credential_provider
        store = cls.__new__(cls, **kwargs)
        if credential_provider is not None:
            store._set_document(_with_provider_config(store._doc, credential_provider))
        store._built()
        return store

    def _set_document(self, doc: dict[str, Any]) -> None:
        self._doc = doc
        self._canonical = _config.canonical_json(doc)
        self._native = None

    # -- the native handle ------------------------------------------------------------

    def _handle(self) -> _ffi.StoreHandle:
        """The native store handle, opened on first use. The library shares
        one client between the handles of equal documents."""
        h = self._native
        if h is not None and h.handle:
            return h  # (in a forked child the next library call refuses)
        opener = self._opener()
        with _native.open_lock:  # threads racing on first use open it once
            h = self._native
            if h is None or not h.handle:
                h = self._native = opener()
        return h

    def _opener(self):
        """What opens the native store (resolving first, outside the open
        lock, what it needs: a wrapping store's inner handle)."""
        return lambda: _native.open_store(self._kind, self._canonical, self._provider)

    # -- pickling, equality, repr -------------------------------------------------------

    def __getnewargs_ex__(self):
        kwargs = self._kwargs_from_document(self._doc)
        if self._provider is not None:
            _check_picklable(self._provider)
            kwargs["credential_provider"] = self._provider
        return ((), kwargs)

    def __getstate__(self):
        return None  # everything is in the __new__ arguments

    def __eq__(self, other):
        if not isinstance(other, ObjectStore):
            return NotImplemented
        return (type(self) is type(other) and self._canonical == other._canonical
                and _same_provider(self._provider, other._provider))

    def __hash__(self):
        return hash((type(self).__name__, self._canonical))

    def __dask_tokenize__(self):
        if self._provider is None:
            return self._canonical
        return (self._canonical, type(self._provider).__qualname__, id(self._provider))

    # What a repr shows besides the bucket and prefix, as obstore's do: never
    # a secret, never the config or client options.
    _repr_config_keys: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        doc = self._doc
        parts = []
        if doc.get("bucket"):
            parts.append(f"{self._positional_arg}={_quoted(doc['bucket'])}")
        config = doc.get("config") or {}
        parts += [f"{key}={_quoted(config[key])}" for key in self._repr_config_keys if key in config]
        if doc.get("prefix"):
            parts.append(f"prefix={_quoted(doc['prefix'])}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- public accessors -----------------------------------------------------------------

    def config_document(self) -> str:
        """The store's canonical config document as a JSON string.

        It holds only what was given explicitly (never values read from the
        environment) and rebuilds an equal store with :func:`from_config`, in
        Python or in C (``objstore_store_new``). Unlike a pickle, reading it
        runs no code. It may contain credentials given in ``config``: treat
        it as a secret when it does.
        """
        return self._canonical

    @property
    def prefix(self) -> str | None:
        """The prefix applied to all paths of this store, if any."""
        return self._doc.get("prefix") or None

    @property
    def config(self) -> dict[str, Any]:
        """The store's config keys (canonical names, values as strings),
        with the bucket (``bucket``; ``container_name`` for Azure)."""
        config = dict(self._doc.get("config") or {})
        if self._doc.get("bucket"):
            config[self._positional_arg] = self._doc["bucket"]
        return config

    @property
    def client_options(self) -> dict[str, Any] | None:
        """The HTTP client options given (values as strings;
        ``default_headers`` as a dict), or None."""
        return _config.client_options_out(self._doc.get("client_options"))

    @property
    def retry_config(self) -> dict[str, Any] | None:
        """The retry policy, every field shown (defaults included, durations
        as :class:`~datetime.timedelta`), or None when none was given."""
        return _config.retry_config_out(self._doc.get("retry_config"))

    @property
    def credential_provider(self) -> Any:
        """The credential provider given to the store, or None."""
        return self._provider

    @classmethod
    def from_url(cls, url: str, *, config=None, client_options=None, retry_config=None, credential_provider=None, **kwargs):
        """Build a store of this class from a URL (see :func:`objstore.store.from_url`)."""
        store = from_url(
            url, config=config, client_options=client_options, retry_config=retry_config,
            credential_provider=credential_provider, **kwargs,
        )
        if type(store) is not cls:
            raise _exc.InvalidArgumentError(f"{url!r} is a {type(store).__name__} URL, not a {cls.__name__} URL")
        return store


class MemoryStore(ObjectStore):
    """A store in this process's memory. Every MemoryStore() is a new, empty
    store; it cannot be pickled (its objects would not travel)."""

    __slots__ = ()
    _kind = "memory"
    _positional_field = None

    def __new__(cls):
        return super().__new__(cls)

    def __init__(self):
        super().__init__()

    @classmethod
    def _document_from_args(cls) -> dict[str, Any]:
        return {"kind": "memory"}

    def __getnewargs_ex__(self):
        raise TypeError(
            "MemoryStore cannot be pickled: its objects live in this process only. "
            "Use a LocalStore or an object store shared by the processes instead."
        )

    def __reduce_ex__(self, protocol):
        self.__getnewargs_ex__()

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __dask_tokenize__(self):
        return ("objstore.MemoryStore", id(self))

    def __repr__(self) -> str:
        return "MemoryStore()"


class LocalStore(ObjectStore):
    """The local filesystem under one root directory (``prefix``).

    ``LocalStore()`` without a prefix is rooted at ``/``, so paths are
    absolute file paths without their leading slash.
    """

    __slots__ = ()
    _kind = "local"
    _positional_field = "prefix"
    _positional_arg = "prefix"

    def __new__(cls, prefix=None, *, mkdir=False, automatic_cleanup=False):
        return super().__new__(cls, prefix, mkdir=mkdir, automatic_cleanup=automatic_cleanup)

    def __init__(self, prefix=None, *, mkdir=False, automatic_cleanup=False):
        super().__init__()

    @classmethod
    def _document_from_args(cls, prefix=None, *, mkdir=False, automatic_cleanup=False) -> dict[str, Any]:
        if prefix is None:
            prefix = "/"
        if not isinstance(prefix, (str, os.PathLike)):
            raise TypeError(f"prefix must be str or pathlib.Path, not {type(prefix).__name__}")
        for name, value in (("mkdir", mkdir), ("automatic_cleanup", automatic_cleanup)):
            if not isinstance(value, (bool, str)):
                raise TypeError(f"{name} must be bool, not {type(value).__name__}")
        config = {}
        # Only non-default flags enter the document, so equal stores compare equal.
        if mkdir not in (False, "false"):
            config["mkdir"] = _config.option_value("config", "mkdir", mkdir)
        if automatic_cleanup not in (False, "false"):
            config["automatic_cleanup"] = _config.option_value("config", "automatic_cleanup", automatic_cleanup)
        return _config.make_document("local", prefix=os.fspath(prefix), config=config)

    @classmethod
    def _kwargs_from_document(cls, doc: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"prefix": doc.get("prefix")}
        for key, value in (doc.get("config") or {}).items():
            kwargs[key] = value.lower() in ("true", "1", "yes", "on") if isinstance(value, str) else bool(value)
        return kwargs

    @classmethod
    def from_url(cls, url: str, *, automatic_cleanup: bool = False, mkdir: bool = False) -> LocalStore:
        """A store from a ``file://`` URL."""
        flags = {"automatic_cleanup": automatic_cleanup, "mkdir": mkdir}
        return super().from_url(url, **{name: True for name, on in flags.items() if on})

    def _built(self) -> None:
        if "mkdir" in (self._doc.get("config") or {}):
            self._handle()  # opening the store creates its root directory

    @property
    def prefix(self) -> Path | None:
        """The root directory (None for the filesystem's root, the default)."""
        p = self._doc.get("prefix")
        return Path(p) if p and p != "/" else None

    def __repr__(self) -> str:
        p = self._doc.get("prefix")
        return f"LocalStore({_quoted(p)})" if p and p != "/" else "LocalStore()"


class _BucketStore(ObjectStore):
    """The constructor S3 and GCS stores share (obstore's signature)."""

    __slots__ = ()
    _takes_provider = True

    def __init__(
        self,
        bucket=None,
        *,
        prefix=None,
        config=None,
        client_options=None,
        retry_config=None,
        credential_provider=None,
        **kwargs,
    ):
        super().__init__()


class S3Store(_BucketStore):
    """An Amazon S3 (or S3-compatible) bucket. Keys as obstore's S3Config;
    credentials and defaults also come from ``AWS_*`` environment variables."""

    __slots__ = ()
    _kind = "s3"


class GCSStore(_BucketStore):
    """A Google Cloud Storage bucket. Keys as obstore's GCSConfig;
    credentials also come from ``GOOGLE_*`` environment variables."""

    __slots__ = ()
    _kind = "gcs"


class AzureStore(ObjectStore):
    """An Azure Blob Storage container. Keys as obstore's AzureConfig;
    credentials also come from ``AZURE_*`` environment variables."""

    __slots__ = ()
    _kind = "azure"
    _positional_arg = "container_name"
    _takes_provider = True

    def __new__(cls, container_name=None, **kwargs):
        return super().__new__(cls, container_name, **kwargs)

    def __init__(
        self,
        container_name=None,
        *,
        prefix=None,
        config=None,
        client_options=None,
        retry_config=None,
        credential_provider=None,
        **kwargs,
    ):
        super().__init__()

    _repr_config_keys = ("account_name",)

    @property
    def container_name(self) -> str | None:
        """The container."""
        return self._doc.get("bucket")


class HTTPStore(ObjectStore):
    """A plain HTTP(S) / WebDAV server under a base URL."""

    # The URL as the user wrote it (the document holds its canonical form,
    # under which "https://host/dir" and "https://host/dir/" are one store).
    __slots__ = ("_url_given",)
    _kind = "http"
    _positional_field = "url"
    _positional_arg = "url"

    def __new__(cls, url, *, client_options=None, retry_config=None, prefix=None):
        if not isinstance(url, str):
            raise TypeError(f"url must be str, not {type(url).__name__}")
        self = super().__new__(cls, url, client_options=client_options, retry_config=retry_config, prefix=prefix)
        self._url_given = url
        return self

    def __init__(self, url, *, client_options=None, retry_config=None, prefix=None):
        super().__init__()

    @property
    def url(self) -> str:
        """The base URL of this store, as given."""
        return getattr(self, "_url_given", None) or self._doc["url"]

    def __repr__(self) -> str:
        return f"HTTPStore({_quoted(_config.redact_url(self.url))})"

    @classmethod
    def from_url(cls, url: str, *, client_options=None, retry_config=None):
        return cls(url, client_options=client_options, retry_config=retry_config)


# ---- Wrapping stores: built over another store ("inner") ---------------------------------


class _WrappingStore(ObjectStore):
    """A store built over another store, ``inner``: its document nests the
    inner store's (``{"kind": "cache", "config": {...}, "inner": {...}}``).
    It pickles when the inner store does, and compares equal to a store
    with an equal document over an equal inner store. Its native store is
    built over the inner store object's own, so a wrapper over a
    MemoryStore reads and writes that store."""

    __slots__ = ("_inner",)
    _positional_field = None
    _positional_arg = "inner"
    # The config keys the constructor takes, in the order reprs show them.
    _config_keys: ClassVar[tuple[str, ...]] = ()

    def __new__(cls, inner, **config):
        if not isinstance(inner, ObjectStore):
            raise TypeError(f"inner must be a store (S3Store, LocalStore, ...), not {type(inner).__name__}")
        unknown = set(config) - set(cls._config_keys)
        if unknown:
            raise TypeError(f"{cls.__name__}() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        self = object.__new__(cls)
        self._provider = None  # the inner store holds any provider
        self._inner = inner
        options = _config.options_section("config", {k: v for k, v in config.items() if v is not None})
        self._set_document({"kind": cls._kind, "inner": inner._doc, **({"config": options} if options else {})})
        return self

    def __init__(self, inner, **config):
        super().__init__()

    def _opener(self):
        inner = self._inner._handle()
        return lambda: _native.wrap_store(self._canonical, inner)

    @classmethod
    def _from_document(cls, doc: dict[str, Any], credential_provider: Any = None) -> ObjectStore:
        inner = _store_from_document(doc["inner"], credential_provider)
        store = cls.__new__(cls, inner, **(doc.get("config") or {}))
        store._built()
        return store

    def __getnewargs_ex__(self):
        return ((), {"inner": self._inner, **(self._doc.get("config") or {})})

    def __eq__(self, other):
        if not isinstance(other, ObjectStore):
            return NotImplemented
        return type(self) is type(other) and self._canonical == other._canonical and self._inner == other._inner

    def __hash__(self):
        return hash((type(self).__name__, self._canonical))

    def __dask_tokenize__(self):
        return (self._canonical, self._inner.__dask_tokenize__())

    def __repr__(self) -> str:
        config = self._doc.get("config") or {}
        parts = [repr(self._inner)] + [f"{key}={_shown(config[key])}" for key in self._config_keys if key in config]
        return f"{type(self).__name__}({', '.join(parts)})"

    @property
    def inner(self) -> ObjectStore:
        """The store this one is built over."""
        return self._inner


class CachingStore(_WrappingStore):
    """A read-through cache of another store's objects, whole and in ranges:
    in memory (``memory_bytes``, 256 MiB by default) and, with ``disk_dir``,
    in a directory that processes share (``disk_bytes``, 10 GiB by
    default). What a request told of an object is trusted for ``ttl`` (one
    minute by default), then checked with a conditional request. Writes
    through the cache are seen at once. Sizes are ints or strings such as
    ``"64MiB"``; ``ttl`` a timedelta, a number of seconds or ``"90s"``."""

    __slots__ = ()
    _kind = "cache"
    _config_keys = ("memory_bytes", "disk_dir", "disk_bytes", "ttl", "block_bytes")

    def __new__(cls, inner, *, memory_bytes=None, disk_dir=None, disk_bytes=None, ttl=None, block_bytes=None):
        return super().__new__(cls, inner, memory_bytes=memory_bytes, disk_dir=disk_dir, disk_bytes=disk_bytes,
                               ttl=ttl, block_bytes=block_bytes)

    def __init__(self, inner, *, memory_bytes=None, disk_dir=None, disk_bytes=None, ttl=None, block_bytes=None):
        super().__init__(inner)


class LimitStore(_WrappingStore):
    """Another store with every operation held within limits: operations in
    flight (``max_in_flight``; a get holds its place until its body is
    read or closed, a list until it ends), operations a second
    (``requests_per_second``) and bytes a second (``bytes_per_second``,
    counted as they stream). As object_store's LimitStore, plus rates."""

    __slots__ = ()
    _kind = "limit"
    _config_keys = ("max_in_flight", "requests_per_second", "bytes_per_second")

    def __new__(cls, inner, *, max_in_flight=None, requests_per_second=None, bytes_per_second=None):
        return super().__new__(cls, inner, max_in_flight=max_in_flight, requests_per_second=requests_per_second,
                               bytes_per_second=bytes_per_second)

    def __init__(self, inner, *, max_in_flight=None, requests_per_second=None, bytes_per_second=None):
        super().__init__(inner)


class PrefixStore(_WrappingStore):
    """Another store seen under a prefix (whole path segments): paths given
    are joined to it, paths returned are relative to it. object_store's
    PrefixStore."""

    __slots__ = ()
    _kind = "prefix"
    _config_keys = ("prefix",)

    def __new__(cls, inner, prefix):
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be str, not {type(prefix).__name__}")
        return super().__new__(cls, inner, prefix=prefix)

    def __init__(self, inner, prefix):
        super().__init__(inner)

    @property
    def prefix(self) -> str | None:
        """The prefix every path is relative to."""
        return (self._doc.get("config") or {}).get("prefix") or None


_CLASSES: dict[str, type[ObjectStore]] = {
    cls._kind: cls
    for cls in (MemoryStore, LocalStore, S3Store, GCSStore, AzureStore, HTTPStore, CachingStore, LimitStore, PrefixStore)
}


def _store_from_document(doc: dict[str, Any], credential_provider: Any = None) -> ObjectStore:
    """The store an already validated document describes (a memory
    document: a new MemoryStore), authenticated by credential_provider
    when given (S3, GCS, Azure)."""
    cls = _class_for_kind(doc["kind"])
    if cls is MemoryStore:
        return MemoryStore()
    return cls._from_document(doc, credential_provider)


def _class_for_kind(kind: str) -> type[ObjectStore]:
    try:
        return _CLASSES[kind]
    except KeyError:
        raise _exc.InvalidArgumentError(f"unknown store kind {kind!r}") from None


def from_url(
    url: str, *, config=None, client_options=None, retry_config=None, credential_provider=None, **kwargs
) -> ObjectStore:
    """Build the right store for a URL.

    ``memory:///``, ``file:///path``, ``s3://bucket/prefix`` (and ``s3a://``,
    AWS and R2 https URLs), ``gs://bucket/prefix``,
    ``az://container/prefix`` (and the other Azure forms), ``http(s)://...``.
    The URL is parsed by the library, eagerly; values given in ``config``,
    ``client_options``, ``retry_config`` and keyword arguments win over what
    the URL says.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be str, not {type(url).__name__}")
    if credential_provider is not None and not callable(credential_provider):
        raise TypeError(f"credential_provider must be callable, not {type(credential_provider).__name__}")
    overrides = _config.make_document(
        "",
        config=_config.options_section("config", config, kwargs),
        client_options=_config.options_section("client_options", client_options),
        retry_config=_config.retry_section(retry_config),
    )
    del overrides["kind"]
    doc = _native.from_url(url, overrides or None)
    cls = _class_for_kind(doc["kind"])
    if credential_provider is not None and not cls._takes_provider:
        raise TypeError(f"credential_provider is for S3, GCS and Azure stores, not {cls.__name__} ({url!r})")
    store = _store_from_document(doc, credential_provider)
    if isinstance(store, HTTPStore):
        store._url_given = url
    return store


def parse_scheme(url: str) -> str:
    """Which kind of store a URL names: ``"s3"``, ``"gcs"``, ``"azure"``,
    ``"http"``, ``"local"`` or ``"memory"`` (the library's URL rules, as
    :func:`from_url` applies them)."""
    if not isinstance(url, str):
        raise TypeError(f"url must be str, not {type(url).__name__}")
    return _SCHEMES[_native.from_url(url, None)["kind"]]


# obstore's scheme names for the library's kinds.
_SCHEMES = {"s3": "s3", "gcs": "gcs", "azure": "azure", "http": "http", "local": "local", "memory": "memory"}


# ---- credential providers (the answering thread is in _asks) ---------------------------


def _with_provider_config(doc: dict[str, Any], provider: Any) -> dict[str, Any]:
    """doc with what the provider passes down, as obstore does: the keys of
    its ``config`` attribute the store was not given (the store's own win),
    and for Azure its ``prefix`` when the store has none."""
    extra = getattr(provider, "config", None)
    prefix = getattr(provider, "prefix", None) if doc["kind"] == "azure" else None
    if not extra and not prefix:
        return doc
    doc = dict(doc)
    config = dict(doc.get("config") or {})
    if extra:
        extra = {k: v for k, v in dict(extra).items() if v is not None}
        bucket = extra.pop("bucket", None) or extra.pop("container_name", None)
        if bucket and not doc.get("bucket"):
            doc["bucket"] = bucket
        partial = _native.normalize(_config.canonical_json(_config.make_document(
            doc["kind"], bucket=doc.get("bucket"), config=_config.options_section("config", extra, {}))))
        for key, value in (partial.get("config") or {}).items():
            config.setdefault(key, value)
        doc["config"] = config
    if prefix and not doc.get("prefix"):
        doc["prefix"] = prefix
    return _native.normalize(_config.canonical_json(doc))


def _check_picklable(provider: Any) -> None:
    """Pickling a store pickles its provider with it: say clearly when it
    cannot be."""
    import pickle

    try:
        pickle.dumps(provider)
    except Exception as e:
        raise TypeError(
            f"this store cannot be pickled: its credential_provider {type(provider).__qualname__} cannot be "
            f"({type(e).__name__}: {e}). Use a provider defined at module level with picklable state, "
            "or build the store in each process."
        ) from e


def _same_provider(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _quoted(value: str) -> str:
    """A value in a repr, double-quoted as obstore's reprs show them."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shown(value: str) -> str:
    """A config value in a repr: a number as a number, anything else quoted."""
    try:
        float(value)
    except ValueError:
        return _quoted(value)
    return value


def from_config(document) -> ObjectStore:
    """Rebuild a store from a config document (JSON str or dict), as returned
    by :meth:`ObjectStore.config_document` or written by hand. Validated
    eagerly by the library."""
    # Normalized first, so that a memory document is checked too.
    return _store_from_document(_native.normalize(_config.document_text(document)))
