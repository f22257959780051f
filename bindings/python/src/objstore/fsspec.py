"""An fsspec filesystem over any objstore store.

One :class:`ObjectStoreFileSystem` is bound to one objstore store (one bucket,
container, directory or in-memory store); its paths are object paths inside
that store::

    import fsspec
    from objstore.store import S3Store
    from objstore.fsspec import ObjectStoreFileSystem

    fs = ObjectStoreFileSystem(S3Store("bucket", region="eu-west-1"))
    fs.pipe_file("a/b.txt", b"hello")
    fs.cat_file("a/b.txt", start=-3)            # b'llo'

    # or by URL, with store options as keyword arguments:
    fs = fsspec.filesystem("objstore", url="s3://bucket/prefix", region="eu-west-1")
    with fs.open("a/b.txt") as f: ...

Protocol: ``"objstore"`` (registered with fsspec when this module is imported,
and through the ``fsspec.specs`` entry point of the installed package). It
does not claim ``s3``, ``gs``, ``az`` or ``file``: those stay with s3fs,
gcsfs, adlfs and fsspec's local filesystem. URLs ``objstore://a/b`` name the
path ``a/b`` of the filesystem's store.

:class:`FsspecStore` and :func:`register` are obstore's fsspec integration:
one filesystem per protocol (``s3``, ``gs``, ``az``/``abfs``, ``http(s)``,
``file``, ``memory``) whose paths start with the bucket, a store per bucket
built on first use and cached, and :class:`BufferedFile` for ``open``.
``register()`` makes them fsspec's implementation of those protocols, so
that ``pandas.read_parquet("s3://bucket/key", storage_options={...})`` and
pyarrow's datasets read through objstore::

    import objstore.fsspec
    objstore.fsspec.register("s3")
    fs = fsspec.filesystem("s3", region="eu-west-1")
    fs.cat_file("bucket/key")

Object stores have no directories: a "directory" exists while some object
lies under it; ``mkdir`` / ``makedirs`` do nothing. Files open for reading
fetch byte ranges on demand; files open for writing upload on close (as one
object, through a parallel multipart upload when large), and mode ``"xb"``
(like ``pipe_file(..., mode="create")``) is an atomic create-only put.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from datetime import datetime
from glob import has_magic
from io import UnsupportedOperation
from typing import Any, Literal, cast

from fsspec.asyn import AsyncFileSystem
from fsspec.implementations.local import make_path_posix
from fsspec.registry import register_implementation
from fsspec.spec import AbstractBufferedFile

import objstore

from . import _adapter_io as _io
from . import _copy, _files, _get, _put
from . import exceptions as _exc
from ._defaults import READ_BUFFER_SIZE, WRITE_BUFFER_SIZE
from .store import ObjectStore as _ObjstoreStore
from .store import from_url

__all__ = ["BufferedFile", "FsspecStore", "ObjectStoreFile", "ObjectStoreFileSystem", "register"]

PROTOCOL = "objstore"


def _file_info(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": meta["path"],
        "size": meta["size"],
        "type": "file",
        "e_tag": meta.get("e_tag"),
        "version": meta.get("version"),
        "last_modified": meta.get("last_modified"),
    }


def _dir_info(path: str) -> dict[str, Any]:
    return {"name": path, "size": 0, "type": "directory"}


class ObjectStoreFileSystem(AsyncFileSystem):
    """fsspec's AsyncFileSystem over one objstore store.

    Parameters
    ----------
    store:
        An objstore store. Give either this or ``url``.
    url:
        A URL :func:`objstore.store.from_url` accepts (``s3://bucket/prefix``,
        ``file:///dir``, ...); further keyword arguments are its store options
        (``region=...``, ``config={...}``, ``client_options={...}``).
    asynchronous, loop, batch_size:
        As for every fsspec AsyncFileSystem.
    """

    protocol = (PROTOCOL,)
    root_marker = ""
    # Instances are cheap (stores share their native client per process);
    # fsspec's instance cache keys on repr(), under which distinct
    # MemoryStores look alike, so it is not used.
    cachable = False

    def __init__(
        self,
        store: _ObjstoreStore | None = None,
        *,
        url: str | None = None,
        asynchronous: bool = False,
        loop: Any = None,
        batch_size: int | None = None,
        **store_options: Any,
    ) -> None:
        if (store is None) == (url is None):
            raise ValueError("ObjectStoreFileSystem needs exactly one of store= or url=")
        if url is not None:
            store = from_url(url, **store_options)
        elif store_options:
            raise TypeError(f"unexpected keyword arguments {sorted(store_options)} (store options go with url=)")
        if not isinstance(store, _ObjstoreStore):
            raise TypeError(f"store must be an objstore store, not {type(store).__name__}")
        super().__init__(asynchronous=asynchronous, loop=loop, batch_size=batch_size)
        self.store = store

    # -- identity and paths --------------------------------------------------------------

    def __repr__(self) -> str:
        return f"ObjectStoreFileSystem({self.store!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectStoreFileSystem) and self.store == other.store

    def __hash__(self) -> int:
        return hash((ObjectStoreFileSystem, self.store))

    def __reduce__(self):
        return _rebuild, (self.store,)

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = os.fspath(path) if not isinstance(path, str) else path
        if path.startswith(PROTOCOL + "://"):
            path = path[len(PROTOCOL) + 3 :]
        return path.strip("/")

    def unstrip_protocol(self, name: str) -> str:
        return f"{PROTOCOL}://{name}"

    # -- metadata ---------------------------------------------------------------------------

    async def _info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        if path == "":
            return _dir_info("")
        try:
            return _file_info(await _io.head(self.store, path))
        except FileNotFoundError:
            pass
        listing = await _io.list_with_delimiter(self.store, path)
        if listing["objects"] or listing["common_prefixes"]:
            return _dir_info(path)
        raise FileNotFoundError(path)

    async def _ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        listing = await _io.list_with_delimiter(self.store, path or None)
        entries = [_dir_info(p.rstrip("/")) for p in listing["common_prefixes"]]
        entries += [_file_info(m) for m in listing["objects"]]
        if not entries and path:
            # ls of a file lists the file; of nothing, is an error.
            entries = [await self._info(path)]
        entries.sort(key=lambda e: e["name"])
        return entries if detail else [e["name"] for e in entries]

    async def _find(
        self, path: str, maxdepth: int | None = None, withdirs: bool = False, **kwargs: Any
    ) -> Any:
        # One flat listing instead of fsspec's walk (one request per level).
        if maxdepth is not None:
            return await super()._find(path, maxdepth=maxdepth, withdirs=withdirs, **kwargs)
        path = self._strip_protocol(path)
        detail = kwargs.pop("detail", False)
        found: dict[str, dict[str, Any]] = {}
        for meta in await _io.list_all(self.store, path or None):
            info = _file_info(meta)
            found[info["name"]] = info
            if withdirs:
                parts = info["name"].split("/")
                base = len(path.split("/")) if path else 0
                for depth in range(base + 1, len(parts)):
                    name = "/".join(parts[:depth])
                    found.setdefault(name, _dir_info(name))
        if found and withdirs and path:
            found.setdefault(path, _dir_info(path))
        if not found and path:
            try:
                only: dict[str, Any] | None = await self._info(path)
            except FileNotFoundError:
                only = None
            if only is not None and only["type"] == "file":
                found[path] = only
        names = sorted(found)
        return {n: found[n] for n in names} if detail else names

    async def _mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing to do: object stores have no directories."""

    async def _makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Nothing to do: object stores have no directories."""

    async def _rmdir(self, path: str) -> None:
        """Nothing to do: object stores have no directories."""

    # -- reads ----------------------------------------------------------------------------

    async def _size(self, path: str) -> int:
        return (await _io.head(self.store, path))["size"]

    async def _cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        """The object's bytes [start, end); negative values count from the end."""
        path = self._strip_protocol(path)
        if end is None:
            if not start:
                data = await _io.read(self.store, path)
            elif start < 0:
                data = await _io.read(self.store, path, ("suffix", -start))
            else:
                try:
                    data = await _io.read(self.store, path, ("offset", start))
                except _exc.InvalidArgumentError:
                    await self._size(path)  # a missing object is FileNotFoundError
                    return b""  # start at or past the end
            return bytes(data)
        start = start or 0
        if start < 0 or end < 0:
            size = await self._size(path)
            start = max(0, size + start) if start < 0 else start
            end = max(0, size + end) if end < 0 else end
        if end <= start:
            await self._size(path)
            return b""
        try:
            data = await _io.read(self.store, path, (start, end))
        except _exc.InvalidArgumentError:
            await self._size(path)
            return b""
        return bytes(data)

    async def _cat_ranges(
        self,
        paths: list[str],
        starts: list[int | None] | int | None,
        ends: list[int | None] | int | None,
        max_gap: int | None = None,
        batch_size: int | None = None,
        on_error: str = "return",
        **kwargs: Any,
    ) -> list[Any]:
        """Many ranges; the plain (non-negative, bounded) ones of each object
        go in one coalescing ``get_ranges`` call per object."""
        n = len(paths)
        starts, ends = _range_lists(n, starts, ends)
        results: list[Any] = [None] * n
        grouped: dict[str, list[int]] = defaultdict(list)
        others: list[int] = []
        for i, (p, s, e) in enumerate(zip(paths, starts, ends)):
            if s is not None and e is not None and 0 <= s < e:
                grouped[self._strip_protocol(p)].append(i)
            else:
                others.append(i)

        async def fetch_group(path: str, idx: list[int]) -> None:
            try:
                parts = await _io.run(
                    _get.get_ranges, self.store, path, starts=[starts[i] for i in idx], ends=[ends[i] for i in idx]
                )
                for i, part in zip(idx, parts):
                    results[i] = bytes(part)
            except Exception:
                # e.g. a range past the end: retry one by one for exact per-range results
                for i in idx:
                    await fetch_one(i)

        async def fetch_one(i: int) -> None:
            try:
                results[i] = await self._cat_file(paths[i], starts[i], ends[i])
            except Exception as e:
                results[i] = e

        await asyncio.gather(*(fetch_group(p, idx) for p, idx in grouped.items()), *(fetch_one(i) for i in others))
        if on_error == "raise":
            for r in results:
                if isinstance(r, BaseException):
                    raise r
        return results

    async def _get_file(self, rpath: str, lpath: str, callback: Any = None, **kwargs: Any) -> None:
        if os.path.isdir(lpath):
            return
        rpath = self._strip_protocol(rpath)
        await _io.run(self._download, rpath, lpath, callback)

    def _download(self, rpath: str, lpath: str, callback: Any) -> None:
        result = _get.get(self.store, rpath)
        if callback is not None:
            callback.set_size(result.meta["size"])
        with open(lpath, "wb") as f:
            for chunk in result.stream():
                f.write(chunk)
                if callback is not None:
                    callback.relative_update(len(chunk))

    # -- writes -----------------------------------------------------------------------

    async def _pipe_file(self, path: str, value: Any, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write `value` to `path`; ``mode="create"`` fails with
        FileExistsError if the object exists (atomically)."""
        put_mode = _put_mode(mode)
        await _io.put(self.store, self._strip_protocol(path), value, mode=put_mode)

    async def _put_file(self, lpath: str, rpath: str, mode: str = "overwrite", **kwargs: Any) -> None:
        callback = kwargs.get("callback")
        if os.path.isdir(lpath):
            return  # directories exist through the files under them
        rpath = self._strip_protocol(rpath)
        size = os.path.getsize(lpath)
        if callback is not None:
            callback.set_size(size)
        await _io.put(self.store, rpath, lpath, mode=_put_mode(mode))
        if callback is not None:
            callback.relative_update(size)

    async def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        await _io.copy(self.store, self._strip_protocol(path1), self._strip_protocol(path2))

    async def _mv_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        await _io.run(_copy.rename, self.store, self._strip_protocol(path1), self._strip_protocol(path2))

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        await _io.delete(self.store, self._strip_protocol(path))

    async def _rm(
        self, path: Any, recursive: bool = False, batch_size: int | None = None, maxdepth: int | None = None, **kwargs: Any
    ) -> None:
        """Delete paths (with ``recursive=True`` everything under them) in
        batched deletes. "Directories" are not objects and need no deleting."""
        paths = path if isinstance(path, list) else [path]
        objects: set[str] = set()
        if recursive and maxdepth is None and not any(has_magic(p) for p in paths):
            # One listing per path instead of fsspec's walk.
            for p in map(self._strip_protocol, paths):
                objects.update(m["path"] for m in await _io.list_all(self.store, p or None))
                if p and await self._is_object(p):
                    objects.add(p)
            if not objects:
                raise FileNotFoundError(path)
        else:
            expanded = await self._expand_path(path, recursive=recursive, maxdepth=maxdepth)
            flags = await asyncio.gather(*(self._is_object(p) for p in expanded))
            objects = {p for p, is_object in zip(expanded, flags) if is_object}
        if objects:
            await _io.delete(self.store, sorted(objects))

    async def _is_object(self, path: str) -> bool:
        try:
            await _io.head(self.store, path)
        except FileNotFoundError:
            return False
        return True

    # -- files ------------------------------------------------------------------------------

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ObjectStoreFile:
        path = self._strip_protocol(path)
        if mode == "xb" and self.exists(path):
            raise FileExistsError(path)
        return ObjectStoreFile(
            self, path, mode, block_size=block_size, autocommit=autocommit, cache_options=cache_options, **kwargs
        )


def _range_lists(n: int, starts: Any, ends: Any) -> tuple[list[Any], list[Any]]:
    """cat_ranges' starts and ends as lists of n (one value stands for all)."""
    starts = starts if isinstance(starts, list) else [starts] * n
    ends = ends if isinstance(ends, list) else [ends] * n
    if len(starts) != n or len(ends) != n:
        raise ValueError("paths, starts and ends must have the same length")
    return starts, ends


def _put_mode(mode: str) -> str | None:
    if mode == "overwrite":
        return None
    if mode == "create":
        return "create"
    raise ValueError(f"mode must be 'overwrite' or 'create', not {mode!r}")


def _rebuild(store: _ObjstoreStore) -> ObjectStoreFileSystem:
    return ObjectStoreFileSystem(store)


class ObjectStoreFile(AbstractBufferedFile):
    """A file of an :class:`ObjectStoreFileSystem`.

    Reading fetches ranges of ``block_size`` (default 5 MiB) as needed.
    Writing (``"wb"``) streams the blocks into an upload that becomes the
    object on close (multipart when large); ``"xb"`` and files in a
    transaction (``autocommit=False``) keep the blocks and put them on
    commit, ``"xb"`` create-only.
    Append (``"ab"``) is not supported: objects are immutable.
    """

    def __init__(self, fs: ObjectStoreFileSystem, path: str, mode: str = "rb", **kwargs: Any) -> None:
        if mode == "ab":
            raise NotImplementedError("append ('ab') is not supported: objects are immutable")
        self._parts: list[bytes] = []
        self._writer: Any = None
        super().__init__(fs, path, mode, **kwargs)

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs.cat_file(self.path, start=start, end=end)

    def _initiate_upload(self) -> None:
        self._parts = []
        self._writer = None
        open_writer = getattr(objstore, "open_writer", None)
        if open_writer is not None and self.mode == "wb" and self.autocommit:
            # Stream the blocks into a (multipart) upload: memory stays bounded.
            self._writer = open_writer(self.fs.store, self.path)

    def _upload_chunk(self, final: bool = False) -> bool:
        data = self.buffer.getvalue()
        if self._writer is not None:
            if data:
                self._writer.write(data)
            if final:
                self._writer.close()
            return True
        self._parts.append(data)
        if final and self.autocommit:
            self.commit()
        return True

    def commit(self) -> None:
        parts, self._parts = self._parts, []
        mode: Literal["create"] | None = "create" if self.mode == "xb" else None
        data: Any = parts[0] if len(parts) == 1 else parts
        _put.put(self.fs.store, self.path, data, mode=mode)

    def discard(self) -> None:
        self._parts = []


register_implementation(PROTOCOL, ObjectStoreFileSystem, clobber=True)


# ---- obstore's integration: FsspecStore, BufferedFile, register ------------------------------

SUPPORTED_PROTOCOLS: set[str] = {
    "abfs", "abfss", "adl", "az", "azure", "file", "gcs", "gs", "http", "https", "memory", "s3", "s3a",
}
"""The protocols :class:`FsspecStore` serves."""

SUPPORTED_PROTOCOLS_T = Literal[
    "abfs", "abfss", "adl", "az", "azure", "file", "gcs", "gs", "http", "https", "memory", "s3", "s3a",
]
"""The protocols :class:`FsspecStore` serves, as a type."""

# Protocols whose paths do not start with a bucket.
_NO_BUCKET = {"file", "memory"}
# The default stores kept per filesystem (one per bucket), as obstore's.
_MAX_CACHED_STORES = 10


class FsspecStore(AsyncFileSystem):
    """fsspec's AsyncFileSystem for one protocol, over objstore stores.

    A path names the bucket (container, or host for http) first:
    ``"bucket/key"`` or ``"s3://bucket/key"``; ``file`` paths are local
    paths, ``memory`` paths are keys of one in-memory store. The store of
    each bucket is built on first use (:func:`objstore.store.from_url` with
    this filesystem's options) and kept, up to ``max_cache_size`` buckets.

    The file operations are :class:`ObjectStoreFileSystem`'s, run on the
    bucket's store; ``open`` gives a :class:`BufferedFile`.

    Parameters
    ----------
    protocol:
        ``"s3"``, ``"gs"``, ``"az"``, ``"https"``, ... (see
        :data:`SUPPORTED_PROTOCOLS`); a class made by :func:`register`
        knows its own.
    config, client_options, retry_config, credential_provider, **kwargs:
        The stores' options, as for :func:`objstore.store.from_url`.
    asynchronous, loop, batch_size:
        As for every fsspec AsyncFileSystem.
    max_cache_size:
        How many buckets' stores are kept.
    """

    cachable = True
    # A subclass made by register(asynchronous=True) is asynchronous by default.
    _asynchronous_default = False

    def __init__(
        self,
        protocol: SUPPORTED_PROTOCOLS_T | str | None = None,
        *args: Any,
        config: Any = None,
        client_options: Any = None,
        retry_config: Any = None,
        credential_provider: Any = None,
        asynchronous: bool = False,
        max_cache_size: int = _MAX_CACHED_STORES,
        loop: Any = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        if protocol is not None:
            self.protocol = protocol
        scheme = self._scheme
        if scheme not in SUPPORTED_PROTOCOLS:
            warnings.warn(f"FsspecStore: unknown protocol {scheme!r}; its URLs may not open", stacklevel=2)
        self._store_options: dict[str, Any] = dict(
            config=config, client_options=client_options, retry_config=retry_config, **kwargs
        )
        if credential_provider is not None:
            self._store_options["credential_provider"] = credential_provider
        self._max_stores = max(1, int(max_cache_size))
        self._buckets: OrderedDict[str, ObjectStoreFileSystem] = OrderedDict()
        super().__init__(
            *args, asynchronous=asynchronous or self._asynchronous_default, loop=loop, batch_size=batch_size
        )

    @property
    def _scheme(self) -> str:
        """The protocol this filesystem's URLs use."""
        protocol = self.protocol
        return protocol if isinstance(protocol, str) else protocol[0]

    def __reduce__(self):
        # The classes register() makes have no importable name: rebuild by protocol.
        return _rebuild_fsspec_store, (self._scheme, self.asynchronous, self.storage_args, self.storage_options)

    # -- buckets and their stores --------------------------------------------------------

    def _split_path(self, path: str) -> tuple[str, str]:
        """(bucket, key) of a path with or without this protocol's scheme."""
        path = os.fspath(path)
        scheme, sep, rest = path.partition("://")
        if sep:
            protocols = (self.protocol,) if isinstance(self.protocol, str) else tuple(self.protocol)
            if scheme not in protocols:
                raise ValueError(f"{path!r} is not a {self._scheme}:// path")
        else:
            rest = path
        if self._scheme == "file":
            return "", make_path_posix(rest).lstrip("/")
        if self._scheme == "memory":
            return "", rest.strip("/")
        bucket, _, key = rest.lstrip("/").partition("/")
        return bucket, key.strip("/")

    def _name(self, bucket: str, key: str) -> str:
        """The fsspec name of key in bucket (what _split_path reads back)."""
        if self._scheme == "file":
            return "/" + key
        if self._scheme == "memory" or not key:
            return key or bucket
        return f"{bucket}/{key}"

    def _bucket_fs(self, bucket: str) -> ObjectStoreFileSystem:
        """The filesystem over the bucket's store, built on first use."""
        fs = self._buckets.get(bucket)
        if fs is not None:
            self._buckets.move_to_end(bucket)
            return fs
        if not bucket and self._scheme not in _NO_BUCKET:
            raise ValueError(f"a {self._scheme} path names a bucket first: 'bucket/key'")
        url = f"{self._scheme}://{bucket}" if bucket or self._scheme == "memory" else f"{self._scheme}:///"
        options = {k: v for k, v in self._store_options.items() if v is not None}
        fs = ObjectStoreFileSystem(from_url(url, **options), asynchronous=True)
        self._buckets[bucket] = fs
        if len(self._buckets) > self._max_stores:
            self._buckets.popitem(last=False)
        return fs

    def _construct_store(self, bucket: str) -> _ObjstoreStore:
        """The store of a bucket (obstore's name), built on first use."""
        return self._bucket_fs(bucket).store

    def _locate(self, path: str) -> tuple[str, ObjectStoreFileSystem, str]:
        bucket, key = self._split_path(path)
        return bucket, self._bucket_fs(bucket), key

    def _named(self, bucket: str, info: dict[str, Any]) -> dict[str, Any]:
        return {**info, "name": self._name(bucket, info["name"])}

    # -- the operations, on the bucket's store ------------------------------------------------

    async def _info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        bucket, fs, key = self._locate(path)
        return self._named(bucket, await fs._info(key))

    async def _ls(self, path: str, detail: bool = False, **kwargs: Any) -> list[Any]:
        bucket, fs, key = self._locate(path)
        entries = [self._named(bucket, e) for e in await fs._ls(key, detail=True)]
        if not entries:
            raise FileNotFoundError(path)
        return entries if detail else [e["name"] for e in entries]

    async def _find(self, path: str, maxdepth: int | None = None, withdirs: bool = False, **kwargs: Any) -> Any:
        detail = kwargs.pop("detail", False)
        bucket, fs, key = self._locate(path)
        found = await fs._find(key, maxdepth=maxdepth, withdirs=withdirs, detail=True, **kwargs)
        named = {self._name(bucket, name): self._named(bucket, info) for name, info in found.items()}
        return named if detail else sorted(named)

    async def _cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        _, fs, key = self._locate(path)
        return await fs._cat_file(key, start=start, end=end)

    async def _cat_ranges(
        self,
        paths: list[str],
        starts: list[int | None] | int | None,
        ends: list[int | None] | int | None,
        max_gap: int | None = None,
        batch_size: int | None = None,
        on_error: str = "return",
        **kwargs: Any,
    ) -> list[Any]:
        """Ranges of many objects: one coalescing read per object."""
        n = len(paths)
        starts, ends = _range_lists(n, starts, ends)
        by_bucket: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(paths):
            by_bucket[self._split_path(p)[0]].append(i)
        results: list[Any] = [None] * n

        async def bucket_ranges(bucket: str, idx: list[int]) -> None:
            fs = self._bucket_fs(bucket)
            got = await fs._cat_ranges(
                [self._split_path(paths[i])[1] for i in idx], [starts[i] for i in idx], [ends[i] for i in idx],
                on_error=on_error,
            )
            for i, r in zip(idx, got):
                results[i] = r

        await asyncio.gather(*(bucket_ranges(b, idx) for b, idx in by_bucket.items()))
        return results

    async def _pipe_file(self, path: str, value: Any, mode: str = "overwrite", **kwargs: Any) -> None:
        _, fs, key = self._locate(path)
        await fs._pipe_file(key, value, mode=mode)

    async def _put_file(self, lpath: str, rpath: str, mode: str = "overwrite", **kwargs: Any) -> None:
        if not os.path.exists(lpath):
            raise FileNotFoundError(lpath)
        _, fs, key = self._locate(rpath)
        await fs._put_file(lpath, key, mode=mode, **kwargs)

    async def _get_file(self, rpath: str, lpath: str, callback: Any = None, **kwargs: Any) -> None:
        _, fs, key = self._locate(rpath)
        await fs._get_file(key, lpath, callback=callback)

    def _same_bucket(self, path1: str, path2: str) -> tuple[ObjectStoreFileSystem, str, str]:
        (b1, k1), (b2, k2) = self._split_path(path1), self._split_path(path2)
        if b1 != b2:
            raise ValueError(f"copy and move stay in one bucket: {b1!r} and {b2!r} differ")
        return self._bucket_fs(b1), k1, k2

    async def _cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        fs, k1, k2 = self._same_bucket(path1, path2)
        await fs._cp_file(k1, k2)

    async def _mv_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        fs, k1, k2 = self._same_bucket(path1, path2)
        await fs._mv_file(k1, k2)

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        _, fs, key = self._locate(path)
        await fs._rm_file(key)

    async def _rm(self, path: Any, recursive: bool = False, batch_size: int | None = None, **kwargs: Any) -> None:
        paths = path if isinstance(path, list) else [path]
        by_bucket: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            bucket, key = self._split_path(p)
            by_bucket[bucket].append(key)
        for bucket, keys in by_bucket.items():
            await self._bucket_fs(bucket)._rm(keys, recursive=recursive, **kwargs)

    async def _mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Nothing to do: object stores have no directories."""

    async def _makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Nothing to do: object stores have no directories."""

    async def _rmdir(self, path: str) -> None:
        """Nothing to do: object stores have no directories."""

    def modified(self, path: str) -> datetime:
        """When the object was last written."""
        return self.info(path)["last_modified"]

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: Any = None,
        autocommit: Any = True,
        cache_options: Any = None,
        **kwargs: Any,
    ) -> BufferedFile:
        if mode not in ("rb", "wb"):
            raise ValueError(f"FsspecStore opens files in 'rb' or 'wb' mode, not {mode!r}")
        return BufferedFile(self, path, cast(Literal["rb", "wb"], mode), **kwargs)


def _rebuild_fsspec_store(protocol: str, asynchronous: bool, args: tuple, options: dict) -> FsspecStore:
    options = {k: v for k, v in options.items() if k not in ("protocol", "asynchronous")}
    return FsspecStore(protocol, *args, asynchronous=asynchronous, **options)


class BufferedFile(AbstractBufferedFile):
    """A file of a :class:`FsspecStore`: reads through
    :func:`objstore.open_reader` (ranged reads of at least ``buffer_size``),
    writes through :func:`objstore.open_writer` (the object appears on
    close; larger than ``buffer_size``, a multipart upload). Reading a file
    open for writing, or the other way round, is
    :class:`io.UnsupportedOperation`. Leaving a ``with`` block by an
    exception discards what was written."""

    def __init__(
        self,
        fs: FsspecStore,
        path: str,
        mode: Literal["rb", "wb"] = "rb",
        *,
        buffer_size: int | None = None,
        attributes: Any = None,
        tags: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if mode not in ("rb", "wb"):
            raise ValueError(f"BufferedFile mode must be 'rb' or 'wb', not {mode!r}")
        self._reader: _files.ReadableFile | None = None
        self._writer: _files.WritableFile | None = None
        self._written = 0
        super().__init__(fs, path, mode, **kwargs)
        bucket, key = fs._split_path(path)
        store = fs._construct_store(bucket)
        if mode == "rb":
            self._reader = _files.open_reader(store, key, buffer_size=buffer_size or READ_BUFFER_SIZE, size=self.size)
        else:
            self._writer = _files.open_writer(
                store, key, attributes=attributes, buffer_size=buffer_size or WRITE_BUFFER_SIZE, tags=tags
            )

    def _open_reader(self) -> _files.ReadableFile:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if self._reader is None:
            raise UnsupportedOperation("not readable: the file is open for writing ('wb')")
        return self._reader

    def _open_writer(self) -> _files.WritableFile:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if self._writer is None:
            raise UnsupportedOperation("not writable: the file is open for reading ('rb')")
        return self._writer

    def read(self, length: int = -1) -> bytes:
        """Up to `length` bytes (all that remain when negative)."""
        return self._open_reader().read(None if length is None or length < 0 else length).to_bytes()

    def readline(self) -> bytes:
        """One line, with its newline."""
        return self._open_reader().readline().to_bytes()

    def readlines(self) -> list[bytes]:
        """Every remaining line."""
        return [line.to_bytes() for line in self._open_reader().readlines()]

    def readinto(self, b: Any) -> int:
        """Read into a writable buffer; returns the number of bytes read."""
        view = memoryview(b).cast("B")
        data = memoryview(self._open_reader().read(len(view)))
        # (through a memoryview: assigning the Bytes itself crashes CPython 3.11)
        view[: len(data)] = data
        return len(data)

    def seek(self, loc: int, whence: int = 0) -> int:
        """Move the read position (files open for writing cannot seek)."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if self._reader is None:
            raise UnsupportedOperation("seek: the file is open for writing ('wb')")
        return self._reader.seek(loc, whence)

    def tell(self) -> int:
        """The position: read so far, or written so far."""
        if self._reader is not None:
            return self._reader.tell()
        return self._written

    def seekable(self) -> bool:
        """Files open for reading can seek."""
        return self.mode == "rb"

    def write(self, data: Any) -> int:
        """Buffer data for the object (uploaded as parts fill, completed on close)."""
        n = self._open_writer().write(data)
        self._written += n
        return n

    def flush(self, force: bool = False) -> None:
        """Nothing to send early (parts are uploaded as they fill)."""
        if self.closed:
            raise ValueError("flush of a closed file")

    def close(self) -> None:
        """Close the file; a file open for writing completes its object now."""
        if getattr(self, "closed", True):
            return
        self.closed = True
        if self._reader is not None:
            self._reader.close()
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        """Abort a write: the object is not created or changed."""
        if self._writer is not None and not self.closed:
            self.closed = True
            self._writer.__exit__(RuntimeError, None, None)  # aborts the upload

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self._writer is not None:
            self.discard()
        else:
            self.close()

    @property
    def loc(self) -> int:
        """The position (fsspec's name for tell())."""
        return self.tell() if (self._reader or self._writer) is not None else 0

    @loc.setter
    def loc(self, value: int) -> None:
        if value != 0:  # fsspec sets 0 at construction; moving is seek()'s
            raise ValueError("set the position with seek()")


def register(
    protocol: SUPPORTED_PROTOCOLS_T | str | Iterable[SUPPORTED_PROTOCOLS_T] | Iterable[str] | None = None,
    *,
    asynchronous: bool = False,
) -> None:
    """Make :class:`FsspecStore` fsspec's implementation of `protocol` (a
    name or several; by default every supported protocol but ``file`` and
    ``memory``), replacing s3fs, gcsfs, adlfs... for them. With
    ``asynchronous=True`` the filesystems are made for ``await`` use."""
    if protocol is None:
        protocols: Iterable[str] = sorted(SUPPORTED_PROTOCOLS - _NO_BUCKET)
    elif isinstance(protocol, str):
        protocols = [protocol]
    else:
        protocols = list(protocol)
    for name in protocols:
        if not isinstance(name, str):
            raise TypeError(f"protocol must be str, not {type(name).__name__}")
        cls = type(
            f"FsspecStore_{name}",
            (FsspecStore,),
            {"protocol": name, "_asynchronous_default": asynchronous, "__module__": __name__},
        )
        register_implementation(name, cls, clobber=True)
