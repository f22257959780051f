"""The ``objstore`` command line: ls, cat, cp, rm, stat, sign and
cleanup-uploads on any URL :func:`objstore.store.from_url` accepts.

::

    objstore ls s3://bucket/data/
    objstore cat gs://bucket/notes.txt
    objstore cp -r ./results s3://bucket/runs/42/ -j 16
    objstore cp s3://bucket/a.bin file:///tmp/a.bin
    objstore rm -r az://container/tmp/
    objstore stat s3://bucket/a.bin
    objstore sign --expires 600 s3://bucket/a.bin
    objstore cleanup-uploads --older-than 1d s3://bucket/runs/
    python -m objstore ...          # the same

A location is a store URL (``s3://bucket/key``, ``gs://``, ``az://``,
``file:///abs/path``, ``http(s)://host/path``, ``memory:///`` — useful only
within one process) or, for ``cp``, a local path. Store settings come from the
environment (``AWS_*``, ``GOOGLE_*``, ``AZURE_*``) and from repeated
``-o key=value`` options (``-o endpoint=http://127.0.0.1:9000 -o region=us-east-1``);
``--client-option key=value`` sets HTTP client options (``allow_http=true``);
both apply to the remote stores of a command, not to ``file://`` or ``memory://``.
Secrets are never printed: not in listings, errors nor progress output.

``cp`` shows a progress bar on stderr when stderr is a terminal, and only a
final summary line otherwise. ``cleanup-uploads`` aborts the unfinished
multipart uploads under a prefix that began at least ``--older-than`` ago
(``90s``, ``30m``, ``12h``, ``7d``; ``--dry-run`` only lists them) and prints
one line per upload: when it began, its path and the service's upload id. Exit status: 0 on success, 1 on an error, 2 on
a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from . import _copy, _delete, _get, _head, _list, _put, _sign, _uploads
from . import exceptions as _exc
from .store import ObjectStore, from_url

__all__ = ["main"]

_STREAM_CHUNK = 8 * 1024 * 1024


class UsageError(Exception):
    """A bad command line (exit status 2)."""


# ---- locations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A store plus an object path (or prefix) in it, or a local path."""

    store: ObjectStore | None
    key: str  # object path in `store`; for a local location, the file system path
    text: str  # what the user wrote
    base: str = ""  # the store's URL without the key (to tell stores apart)

    @property
    def is_local(self) -> bool:
        return self.store is None

    @property
    def is_dir_like(self) -> bool:
        """Names a directory/prefix rather than an object (trailing "/" or empty key)."""
        return self.key == "" or self.text.endswith("/")

    def join(self, relative: str) -> Location:
        if self.is_local:
            return Location(None, os.path.join(self.key, *relative.split("/")), self.text)
        key = f"{self.key.rstrip('/')}/{relative}" if self.key.strip("/") else relative
        return Location(self.store, key, self.text, self.base)

    def __str__(self) -> str:
        if self.is_local:
            return self.key
        return f"{self.base}/{self.key}"


class Opener:
    """Turns URLs into locations, with one store per base URL."""

    def __init__(self, config: dict[str, str], client_options: dict[str, str]) -> None:
        self._config = config
        self._client_options = client_options
        self._stores: dict[str, ObjectStore] = {}

    def store(self, base: str) -> ObjectStore:
        store = self._stores.get(base)
        if store is None:
            if base in ("file:///", "memory:///"):
                # -o and --client-option configure remote stores (cp s3://... file:///...)
                store = from_url(base)
            else:
                store = from_url(base, config=self._config or None, client_options=self._client_options or None)
            self._stores[base] = store
        return store

    def location(self, text: str, *, local_ok: bool = False) -> Location:
        if "://" not in text:
            if not local_ok:
                raise UsageError(f"{text!r} is not a URL (expected e.g. s3://bucket/key or file:///path)")
            return Location(None, text, text)
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme == "file":
            base, key = "file:///", parts.path.lstrip("/")
            base_text = "file://"
        elif scheme == "memory":
            base, key = "memory:///", parts.path.lstrip("/")
            base_text = "memory://"
        else:
            base = f"{parts.scheme}://{parts.netloc}"
            key = parts.path.lstrip("/")
            base_text = base
        return Location(self.store(base), key.rstrip("/") if key.endswith("/") else key, text, base_text)


def _options(pairs: Sequence[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} expects key=value, got {pair!r}")
        out[key.strip()] = value
    return out


# ---- progress ---------------------------------------------------------------------------------


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class Progress:
    """Files and bytes done; a redrawn bar on a terminal, one summary line otherwise."""

    def __init__(self, stream: TextIO, total_files: int, total_bytes: int | None, quiet: bool) -> None:
        self._stream = stream
        self._tty = stream.isatty() and not quiet
        self._quiet = quiet
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.files = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._start = time.monotonic()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
            self._draw()

    def file_done(self) -> None:
        with self._lock:
            self.files += 1
            self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        if not self._tty:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        width = 30
        if self.total_bytes:
            fraction = min(1.0, self.bytes / self.total_bytes)
        else:
            fraction = self.files / self.total_files if self.total_files else 1.0
        filled = int(fraction * width)
        columns = shutil.get_terminal_size((80, 20)).columns
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:3.0f}% "
            f"{self.files}/{self.total_files} files {_human(self.bytes)}"
        )
        self._stream.write("\r" + line[: columns - 1])
        self._stream.flush()

    def finish(self) -> None:
        if self._quiet:
            return
        elapsed = time.monotonic() - self._start
        if self._tty:
            self._stream.write("\n")
        self._stream.write(f"copied {self.files} file(s), {_human(self.bytes)} in {elapsed:.1f}s\n")
        self._stream.flush()


# ---- commands ------------------------------------------------------------------------------


def _meta_json(meta: dict[str, Any]) -> dict[str, Any]:
    out = dict(meta)
    if out.get("last_modified") is not None:
        out["last_modified"] = out["last_modified"].isoformat()
    return out


def cmd_ls(args: argparse.Namespace, opener: Opener, out: TextIO) -> int:
    loc = opener.location(args.url)
    prefix = loc.key.strip("/") or None
    if args.recursive:
        entries = [("obj", m) for chunk in _list.list(loc.store, prefix, chunk_size=1000) for m in chunk]
    else:
        listing = _list.list_with_delimiter(loc.store, prefix)
        entries = [("dir", p) for p in listing["common_prefixes"]] + [("obj", m) for m in listing["objects"]]
        if not entries and prefix:
            try:  # ls of an object shows the object
                entries = [("obj", _head.head(loc.store, prefix))]
            except FileNotFoundError:
                pass
    for kind, entry in entries:
        if kind == "dir":
            line = f"{'DIR':>12}  {'':25}  {entry}/" if args.long else f"{entry}/"
        elif args.long:
            modified = entry["last_modified"].strftime("%Y-%m-%dT%H:%M:%SZ") if entry["last_modified"] else "-"
            line = f"{entry['size']:>12}  {modified:25}  {entry['path']}"
        else:
            line = entry["path"]
        out.write(line + "\n")
    return 0


def cmd_cat(args: argparse.Namespace, opener: Opener, out: TextIO) -> int:
    sink = out.buffer if hasattr(out, "buffer") else out
    for url in args.urls:
        loc = opener.location(url)
        for chunk in _get.get(loc.store, loc.key).stream(_STREAM_CHUNK):
            sink.write(chunk)
    sink.flush()
    return 0


def cmd_stat(args: argparse.Namespace, opener: Opener, out: TextIO) -> int:
    loc = opener.location(args.url)
    out.write(json.dumps(_meta_json(_head.head(loc.store, loc.key)), indent=2) + "\n")
    return 0


def cmd_sign(args: argparse.Namespace, opener: Opener, out: TextIO) -> int:
    loc = opener.location(args.url)
    out.write(_sign.sign(loc.store, args.method, loc.key, timedelta(seconds=args.expires)) + "\n")
    return 0


_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([smhd]?)\s*")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> timedelta:
    """A duration such as 90s, 30m, 12h, 7d or a number of seconds."""
    m = _DURATION.fullmatch(text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 90s, 30m, 12h, 7d)")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def cmd_cleanup_uploads(args: argparse.Namespace, opener: Opener, out: TextIO, err: TextIO) -> int:
    loc = opener.location(args.url)
    prefix = loc.key.strip("/") or None
    ups = _uploads.cleanup_uploads(loc.store, prefix, older_than=args.older_than, dry_run=args.dry_run)
    for u in ups:
        began = u["initiated"].strftime("%Y-%m-%dT%H:%M:%SZ") if u["initiated"] else "-"
        out.write(f"{began:20}  {u['path']}  {u['upload_id'] or '-'}\n")
    verb = "would abort" if args.dry_run else "aborted"
    err.write(f"{verb} {len(ups)} unfinished upload(s) begun at least {args.older_than} ago\n")
    return 0


def cmd_rm(args: argparse.Namespace, opener: Opener, out: TextIO) -> int:
    for url in args.urls:
        loc = opener.location(url)
        if args.recursive:
            prefix = loc.key.strip("/") or None
            paths = [m["path"] for m in _list.list(loc.store, prefix, chunk_size=1000).collect()]
            if prefix is not None and _exists(loc.store, prefix):
                paths.append(prefix)
            if not paths:
                raise FileNotFoundError(f"nothing under {url}")
            _delete.delete(loc.store, paths)
        else:
            if not loc.key:
                raise UsageError(f"{url}: give an object path, or -r to remove everything under a prefix")
            _head.head(loc.store, loc.key)  # a missing object is an error, as with rm(1)
            _delete.delete(loc.store, loc.key)
    return 0


def _exists(store: ObjectStore, key: str) -> bool:
    try:
        _head.head(store, key)
    except FileNotFoundError:
        return False
    return True


# -- cp --


@dataclass
class Transfer:
    src: Location
    dst: Location
    size: int | None


def _plan(src: Location, dst: Location, recursive: bool) -> list[Transfer]:
    """Every (source file, destination) pair of a cp."""
    if src.is_local:
        path = Path(src.key)
        if path.is_dir():
            if not recursive:
                raise UsageError(f"{src.text} is a directory (use -r)")
            files = sorted(p for p in path.rglob("*") if p.is_file())
            return [Transfer(Location(None, str(p), str(p)), dst.join(p.relative_to(path).as_posix()), p.stat().st_size) for p in files]
        if not path.exists():
            raise FileNotFoundError(f"{src.text}: no such file")
        return [Transfer(src, _into(dst, path.name), path.stat().st_size)]
    if recursive:
        prefix = src.key.strip("/") or None
        metas = _list.list(src.store, prefix, chunk_size=1000).collect()
        if metas:
            cut = len(prefix) + 1 if prefix else 0
            return [
                Transfer(Location(src.store, m["path"], src.text, src.base), dst.join(m["path"][cut:]), m["size"])
                for m in metas
            ]
    meta = _head.head(src.store, src.key)
    return [Transfer(src, _into(dst, src.key.rsplit("/", 1)[-1]), meta["size"])]


def _into(dst: Location, name: str) -> Location:
    """The destination of one file: `dst` itself, or `dst/name` when `dst` is a directory."""
    if dst.is_local:
        if dst.text.endswith(("/", os.sep)) or Path(dst.key).is_dir():
            return Location(None, os.path.join(dst.key, name), dst.text)
        return dst
    return dst.join(name) if dst.is_dir_like else dst


def _copy_one(t: Transfer, progress: Progress) -> None:
    src, dst = t.src, t.dst
    if src.is_local and dst.is_local:
        raise UsageError("cp needs at least one store URL (use cp(1) between local paths)")
    if src.is_local:
        with open(src.key, "rb") as f:
            _put.put(dst.store, dst.key, _counted(_file_chunks(f), progress))
    elif dst.is_local:
        target = Path(dst.key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".objstore-partial")
        try:
            with open(partial, "wb") as f:
                for chunk in _get.get(src.store, src.key).stream(_STREAM_CHUNK):
                    f.write(chunk)
                    progress.add_bytes(len(chunk))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    elif src.base == dst.base and src.store == dst.store:
        _copy.copy(src.store, src.key, dst.key)  # server-side
        progress.add_bytes(t.size or 0)
    else:
        chunks = _get.get(src.store, src.key).stream(_STREAM_CHUNK)
        _put.put(dst.store, dst.key, _counted(chunks, progress))
    progress.file_done()


def _file_chunks(f):
    while True:
        chunk = f.read(_STREAM_CHUNK)
        if not chunk:
            return
        yield chunk


def _counted(chunks, progress: Progress):
    for chunk in chunks:
        yield chunk
        progress.add_bytes(len(chunk))


def cmd_cp(args: argparse.Namespace, opener: Opener, out: TextIO, err: TextIO) -> int:
    src = opener.location(args.src, local_ok=True)
    dst = opener.location(args.dst, local_ok=True)
    if src.is_local and dst.is_local:
        raise UsageError("cp needs at least one store URL (use cp(1) between local paths)")
    transfers = _plan(src, dst, args.recursive)
    sizes = [t.size for t in transfers]
    total = sum(sizes) if None not in sizes else None
    progress = Progress(err, len(transfers), total, args.quiet)
    if args.jobs <= 1 or len(transfers) <= 1:
        for t in transfers:
            _copy_one(t, progress)
    else:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for future in [pool.submit(_copy_one, t, progress) for t in transfers]:
                future.result()
    progress.finish()
    return 0


# ---- entry point ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="objstore",
        description="List, read, copy, delete and sign objects in S3, GCS, Azure, HTTP, local and memory stores.",
    )
    p.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                   help="store configuration option (repeatable), e.g. -o region=us-east-1")
    p.add_argument("--client-option", action="append", default=[], metavar="KEY=VALUE",
                   help="HTTP client option (repeatable), e.g. --client-option allow_http=true")
    sub = p.add_subparsers(dest="command", required=True)

    ls = sub.add_parser("ls", help="list objects and prefixes under a URL")
    ls.add_argument("url")
    ls.add_argument("-l", "--long", action="store_true", help="show size and modification time")
    ls.add_argument("-r", "--recursive", action="store_true", help="every object under the prefix")

    cat = sub.add_parser("cat", help="write objects to standard output")
    cat.add_argument("urls", nargs="+")

    cp = sub.add_parser("cp", help="copy between local files and stores, or between stores")
    cp.add_argument("src")
    cp.add_argument("dst")
    cp.add_argument("-r", "--recursive", action="store_true", help="copy everything under a directory/prefix")
    cp.add_argument("-j", "--jobs", type=int, default=8, help="files copied concurrently (default 8)")
    cp.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")

    rm = sub.add_parser("rm", help="delete objects")
    rm.add_argument("urls", nargs="+")
    rm.add_argument("-r", "--recursive", action="store_true", help="everything under the prefix")

    stat = sub.add_parser("stat", help="an object's metadata as JSON")
    stat.add_argument("url")

    sign = sub.add_parser("sign", help="a presigned URL for an object")
    sign.add_argument("url")
    sign.add_argument("--method", default="GET", help="HTTP method (default GET)")
    sign.add_argument("--expires", type=int, default=3600, help="validity in seconds (default 3600)")

    cleanup = sub.add_parser("cleanup-uploads", help="abort unfinished multipart uploads under a URL")
    cleanup.add_argument("url")
    cleanup.add_argument("--older-than", type=_duration, required=True, metavar="AGE",
                         help="only uploads begun at least this long ago (90s, 30m, 12h, 7d; 0 for all)")
    cleanup.add_argument("-n", "--dry-run", action="store_true", help="list them, abort nothing")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        opener = Opener(_options(args.option, "-o/--option"), _options(args.client_option, "--client-option"))
        if args.command == "cp":
            return cmd_cp(args, opener, out, err)
        if args.command == "cleanup-uploads":
            return cmd_cleanup_uploads(args, opener, out, err)
        return {"ls": cmd_ls, "cat": cmd_cat, "stat": cmd_stat, "sign": cmd_sign, "rm": cmd_rm}[args.command](
            args, opener, out
        )
    except UsageError as e:
        parser.print_usage(err)
        err.write(f"objstore: error: {e}\n")
        return 2
    except BrokenPipeError:  # e.g. `objstore cat ... | head`
        return 0
    except FileNotFoundError as e:
        err.write(f"objstore: not found: {e}\n")
        return 1
    except (_exc.BaseError, OSError, ValueError) as e:
        err.write(f"objstore: {type(e).__name__}: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130
