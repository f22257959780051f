"""Native store handles: created lazily on first I/O, one per process, shared
between Python store objects whose config documents are equal.

Also the library calls that work on config documents (normalize, from_url).
"""

from __future__ import annotations

import atexit
import ctypes
import json
import threading
import weakref
from typing import Any

from . import _config, _ffi

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p

# canonical document + environment -> handle, while any store object uses it.
_shared: weakref.WeakValueDictionary[str, _ffi.StoreHandle] = weakref.WeakValueDictionary()
_all: weakref.WeakSet[_ffi.StoreHandle] = weakref.WeakSet()
_lock = threading.Lock()
unshared_open_lock = threading.Lock()


def _call_json_out(fn_name: str, *args) -> dict[str, Any]:
    L = _ffi.lib()
    out = _c_void_p()
    err = _ffi.new_err()
    rc = getattr(L, fn_name)(*args, _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    return json.loads(_ffi.take_string(out))


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate a document in the library; return its canonical form."""
    return _call_json_out("objstore_config_normalize", _config.canonical_json(doc).encode())


def from_url(url: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Parse a URL into a canonical document (overrides win over the URL)."""
    over = _config.canonical_json(overrides).encode() if overrides else None
    return _call_json_out("objstore_config_from_url", url.encode(), over)


def open_store(doc: dict[str, Any], canonical: str, shared: bool) -> _ffi.StoreHandle:
    """A handle for the store `doc` describes, reusing an open one if shared."""
    L = _ffi.lib()
    env = _config.environment_json()
    key = canonical + "\0" + env
    if shared:
        h = _shared.get(key)
        if h is not None and h.handle:
            return h
    out = _c_void_p()
    err = _ffi.new_err()
    rc = L.objstore_store_new(canonical.encode(), env.encode(), _byref(out), _byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    h = _ffi.StoreHandle(out.value)
    with _lock:
        if shared:
            existing = _shared.get(key)
            if existing is not None and existing.handle:
                h.close()  # another thread opened it first
                return existing
            _shared[key] = h
        _all.add(h)
    return h


def shared_handle_count() -> int:
    """How many distinct shared native stores this process holds (for tests)."""
    return sum(1 for h in list(_shared.values()) if h.handle)


@atexit.register
def _close_all_at_exit() -> None:
    # Free native stores while the interpreter is still whole; after this,
    # garbage-collected handles no longer call into the library.
    try:
        for h in list(_all):
            h.close()
    finally:
        _ffi.set_exiting()
