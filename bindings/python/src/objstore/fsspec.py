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

Object stores have no directories: a "directory" exists while some object
lies under it; ``mkdir`` / ``makedirs`` do nothing. Files open for reading
fetch byte ranges on demand; files open for writing upload on close (as one
object, through a parallel multipart upload when large), and mode ``"xb"``
(like ``pipe_file(..., mode="create")``) is an atomic create-only put.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from glob import has_magic
from typing import Any

from fsspec.asyn import AsyncFileSystem
from fsspec.registry import register_implementation
from fsspec.spec import AbstractBufferedFile

import objstore

from . import _adapter_io as _io
from . import _copy, _get, _put
from . import exceptions as _exc
from .store import ObjectStore as _ObjstoreStore
from .store import from_url

__all__ = ["ObjectStoreFileSystem", "ObjectStoreFile"]

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
                info = await self._info(path)
            except FileNotFoundError:
                info = None
            if info is not None and info["type"] == "file":
                found[path] = info
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
        starts = starts if isinstance(starts, list) else [starts] * n
        ends = ends if isinstance(ends, list) else [ends] * n
        if len(starts) != n or len(ends) != n:
            raise ValueError("paths, starts and ends must have the same length")
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

    async def _put_file(
        self, lpath: str, rpath: str, callback: Any = None, mode: str = "overwrite", **kwargs: Any
    ) -> None:
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
        mode = "create" if self.mode == "xb" else None
        data: Any = parts[0] if len(parts) == 1 else parts
        _put.put(self.fs.store, self.path, data, mode=mode)

    def discard(self) -> None:
        self._parts = []


register_implementation(PROTOCOL, ObjectStoreFileSystem, clobber=True)
