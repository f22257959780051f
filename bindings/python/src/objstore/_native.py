"""Native store handles, and the library calls on config documents
(normalize, from_url, which environment variables a kind reads).

Each store object opens its own handle on first I/O. Sharing is the
library's: it gives handles of equal documents opened with equal values of
the variables their kind reads one client and connection pool per process
(``objstore_store_new``), so Python keeps no cache of its own.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import threading
import weakref
from typing import Any

from . import _config, _ffi

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p

# Every handle opened here, freed at exit while the interpreter is whole.
_all: weakref.WeakSet[_ffi.StoreHandle] = weakref.WeakSet()
# Serializes first opens, so a store object racing threads use is opened once.
open_lock = threading.Lock()
# kind -> the environment variables its stores read (a fact of the loaded library).
_env_names: dict[str, tuple[str, ...]] = {}


def _call_json_out(fn_name: str, *args) -> Any:
    out = _c_void_p()
    err = _ffi.new_err()
    rc = getattr(_ffi.lib(), fn_name)(*args, _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    return json.loads(_ffi.take_string(out))


def normalize(document: str | bytes) -> dict[str, Any]:
    """Validate a document (JSON text) in the library; return its canonical form."""
    text = document.encode() if isinstance(document, str) else bytes(document)
    return _call_json_out("objstore_config_normalize", text)


def from_url(url: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Parse a URL into a canonical document (overrides win over the URL)."""
    over = _config.canonical_json(overrides).encode() if overrides else None
    return _call_json_out("objstore_config_from_url", url.encode(), over)


def env_names(kind: str) -> tuple[str, ...]:
    """The environment variables a store of this kind reads when opened,
    as its backend declares them (``objstore_store_env_names``)."""
    names = _env_names.get(kind)
    if names is None:
        names = _env_names[kind] = tuple(_call_json_out("objstore_store_env_names", kind.encode()))
    return names


def environment_json(kind: str) -> str:
    """Those of this process's environment variables a store of this kind
    reads, as a JSON object (the library sees only the environment of
    process start, so they are handed over at each open)."""
    environ = os.environ
    env = {name: environ[name] for name in env_names(kind) if name in environ}
    return json.dumps(env, sort_keys=True, separators=(",", ":"))


def open_store(kind: str, canonical: str, credential_provider: Any = None) -> _ffi.StoreHandle:
    """A new handle on the store the canonical document describes, with its
    credentials from credential_provider when one is given (see _asks)."""
    env = environment_json(kind)
    if credential_provider is not None:
        from . import _asks

        h = _asks.open_store(canonical, env, kind, credential_provider)
        _all.add(h)
        return h
    out = _c_void_p()
    err = _ffi.new_err()
    rc = _ffi.lib().objstore_store_new(canonical.encode(), env.encode(), _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    h = _ffi.StoreHandle(out.value)
    _all.add(h)
    return h


def wrap_store(canonical: str, inner: _ffi.StoreHandle) -> _ffi.StoreHandle:
    """A new handle on the wrapping store (cache, limit, prefix) the
    canonical document describes, built over an open inner handle: the
    inner store object's own, so that a wrapper over a MemoryStore reads
    that store (``objstore_store_wrap``). A wrapper reads no environment
    variable; its inner store was opened with its own."""
    out = _c_void_p()
    err = _ffi.new_err()
    rc = _ffi.lib().objstore_store_wrap(canonical.encode(), inner.ref, _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    h = _ffi.StoreHandle(out.value)
    _all.add(h)
    return h


@atexit.register
def _close_all_at_exit() -> None:
    # Free native stores while the interpreter is still whole; after this,
    # garbage-collected handles no longer call into the library.
    try:
        for h in list(_all):
            h.close()
    finally:
        _ffi.set_exiting()
