"""The binding's answering thread: where Python credential providers run.

No Python code ever runs on a library (Go) thread. When a store opened
with a ``credential_provider`` needs a credential, the library posts an ask
to its ask queue (``objstore_ask_*`` in objstore.h), whose fd is readable
while asks wait. One daemon thread of this module, ``objstore-asks``, runs a
private event loop that watches that fd (blocked in the selector with the
GIL released, like any C call) and answers each ask:

- an async provider (``async def __call__``, or a call that returns an
  awaitable) is awaited on this private loop, whatever loop (or none) the
  request came from;
- a sync provider runs on a short-lived daemon thread of its own, so a slow
  one holds up neither the loop nor the other stores' providers.

Whatever the provider returns is checked here and handed to the library
(``objstore_ask_answer_credential``); an exception, or an answer the store
cannot use, fails the ask with a message naming the provider
(``objstore_ask_fail``). The library bounds every wait by the client
options' timeout, so a provider that hangs fails its requests with a
timeout and its late answer is dropped.

The thread starts with the first store that has a provider and is a daemon:
interpreter exit never waits for it (nor for a hung provider). It does not
survive ``fork()``; in a forked child every library call raises
``ForkedError`` anyway. Stores unpickled in another process (Dask workers)
start it there on first use.

The queue is the library's one channel to Python: later kinds of ask
(request events, issue 18) are dispatched by ``kind`` in :func:`_dispatch`.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import itertools
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from . import _ffi
from ._ffi import POINTER, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint64, c_void_p

_byref = ctypes.byref


class Credential(ctypes.Structure):
    """objstore_credential (objstore.h)."""

    _fields_ = [
        ("version", c_uint),
        ("access_key_id", c_char_p),
        ("secret_access_key", c_char_p),
        ("session_token", c_char_p),
        ("token", c_char_p),
        ("account_key", c_char_p),
        ("sas", c_char_p),
        ("expires_unix_ms", c_int64),
    ]


class StoreOptions(ctypes.Structure):
    """objstore_store_options (objstore.h)."""

    _fields_ = [
        ("version", c_uint),
        ("credential_fn", c_void_p),
        ("credential_data", c_void_p),
        ("credential_data_free", c_void_p),
        ("credential_ask_target", c_uint64),
        ("credential_name", c_char_p),
        ("refresh_threshold_ms", c_int64),
    ]


class Ask(ctypes.Structure):
    """objstore_ask (objstore.h)."""

    _fields_ = [
        ("ask_id", c_uint64),
        ("kind", c_int),
        ("target", c_uint64),
        ("deadline_unix_ms", c_int64),
        ("reserved", c_void_p * 4),
    ]


ASK_CREDENTIAL = 1
NEVER = -(2**63)
E_UNAUTHENTICATED = 9
E_INVALID_ARGUMENT = 11

_ERRPP = POINTER(POINTER(_ffi.Error))
_SIGNATURES = {
    "objstore_store_open": (c_int, [c_char_p, c_char_p, POINTER(StoreOptions), POINTER(c_void_p), _ERRPP]),
    "objstore_ask_fd": (c_int, [POINTER(c_int), _ERRPP]),
    "objstore_ask_poll": (c_int, [POINTER(Ask), c_size_t, POINTER(c_size_t)]),
    "objstore_ask_answer_credential": (c_int, [c_uint64, POINTER(Credential), _ERRPP]),
    "objstore_ask_fail": (c_int, [c_uint64, c_int, c_char_p, _ERRPP]),
}

_lock = threading.Lock()
_lib_ready = None


def lib() -> ctypes.CDLL:
    """The library, with this module's functions declared."""
    global _lib_ready
    L = _ffi.lib()
    if L is not _lib_ready:
        with _lock:
            if _lib_ready is not L:
                for name, (restype, argtypes) in _SIGNATURES.items():
                    fn = getattr(L, name)
                    fn.restype = restype
                    fn.argtypes = argtypes
                _lib_ready = L
    return L


# ---- providers ------------------------------------------------------------------------

# target id -> (provider, store kind, name). A store handle registers its
# provider when it opens and unregisters it when it is freed.
_targets: dict[int, tuple[Any, str, str]] = {}
_ids = itertools.count(1)


def provider_name(provider: Any) -> str:
    """The provider in messages: its repr, shortened (never its secrets:
    a repr is what the provider chose to show)."""
    try:
        text = repr(provider)
    except Exception:
        text = f"<{type(provider).__qualname__}>"
    return text if len(text) <= 200 else text[:197] + "..."


def register(provider: Any, kind: str) -> tuple[int, str]:
    """A target id for provider (answered for a store of kind), and its name;
    starts the answering thread."""
    name = provider_name(provider)
    with _lock:
        target = next(_ids)
        _targets[target] = (provider, kind, name)
    _Thread.ensure_started()
    return target, name


def unregister(target: int) -> None:
    with _lock:
        _targets.pop(target, None)


def refresh_threshold_ms(provider: Any) -> int:
    """obstore's ``refresh_threshold`` attribute (a timedelta), or -1."""
    t = getattr(provider, "refresh_threshold", None)
    seconds = getattr(t, "total_seconds", None)
    return int(seconds() * 1000) if callable(seconds) and seconds() >= 0 else -1


def open_store(canonical: str, env: str, kind: str, provider: Any) -> ProvidedStoreHandle:
    """A store handle whose credentials come from provider."""
    L = lib()
    target, name = register(provider, kind)
    opts = StoreOptions(version=1, credential_ask_target=target, credential_name=name.encode("utf-8", "replace"),
                        refresh_threshold_ms=refresh_threshold_ms(provider))
    out = c_void_p()
    err = _ffi.new_err()
    rc = L.objstore_store_open(canonical.encode(), env.encode(), _byref(opts), _byref(out), _byref(err))
    if rc:
        unregister(target)
        _ffi.raise_error(rc, err)
    return ProvidedStoreHandle(out.value, target)


class ProvidedStoreHandle(_ffi.StoreHandle):
    """A store handle with a provider: unregisters it when freed."""

    __slots__ = ("target",)

    def __init__(self, handle: int, target: int):
        super().__init__(handle)
        self.target = target

    def close(self) -> None:
        super().close()
        unregister(self.target)


# ---- answers ----------------------------------------------------------------------------


class _Refused(Exception):
    """An answer the store cannot use (reported with the provider's name)."""


def _text(d: Any, key: str, *, required: bool = True) -> bytes | None:
    try:
        v = d[key]
    except KeyError:
        if required:
            raise _Refused(f"its answer has no {key!r}") from None
        return None
    except TypeError:
        raise _Refused(f"returned {type(d).__name__}, not a dict") from None
    if v is None and not required:
        return None
    if not isinstance(v, str) or (required and not v):
        raise _Refused(f"{key!r} must be a non-empty str, not {type(v).__name__}")
    return v.encode()


def _expires_ms(d: Any) -> int:
    try:
        v = d["expires_at"]
    except KeyError:
        raise _Refused("its answer has no 'expires_at' (None for a credential that never expires)") from None
    if v is None:
        return NEVER
    if not isinstance(v, datetime):
        raise _Refused(f"'expires_at' must be a datetime or None, not {type(v).__name__}")
    if v.tzinfo is None or v.utcoffset() is None:
        raise _Refused("'expires_at' must be timezone-aware (e.g. datetime.now(timezone.utc) + ...)")
    return int(v.astimezone(timezone.utc).timestamp() * 1000)


def _sas_text(v: Any) -> bytes:
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in v):
        from urllib.parse import quote

        return "&".join(f"{quote(str(k), safe='')}={quote(str(x), safe='')}" for k, x in v).encode()
    raise _Refused("'sas_token' must be a str or a list of (key, value) pairs")


def credential_struct(kind: str, d: Any) -> tuple[Credential, tuple]:
    """The C credential for a provider's answer (obstore's shapes), and the
    bytes it points to (kept alive by the caller until answered)."""
    if not isinstance(d, Mapping):
        raise _Refused(f"returned {type(d).__name__}, not a dict")
    c = Credential(version=1, expires_unix_ms=_expires_ms(d))
    if kind == "s3":
        fields = {
            "access_key_id": _text(d, "access_key_id"),
            "secret_access_key": _text(d, "secret_access_key"),
            "session_token": _text(d, "token", required=False),
        }
    elif kind == "gcs":
        fields = {"token": _text(d, "token")}
    else:  # azure: AzureAccessKey | AzureSASToken | AzureBearerToken
        if "access_key" in d:
            fields = {"account_key": _text(d, "access_key")}
        elif "sas_token" in d:
            fields = {"sas": _sas_text(d["sas_token"])}
        elif "token" in d:
            fields = {"token": _text(d, "token")}
        else:
            raise _Refused("an Azure credential has 'access_key', 'sas_token' or 'token'")
    for name, value in fields.items():
        setattr(c, name, value)
    return c, tuple(fields.values())


def _answer(ask_id: int, kind: str, name: str, result: Any = None, error: BaseException | None = None) -> None:
    L = lib()
    if error is None:
        try:
            c, keep = credential_struct(kind, result)
        except _Refused as e:
            error = e
        except Exception as e:  # a mapping that misbehaves
            error = e
        else:
            L.objstore_ask_answer_credential(ask_id, _byref(c), None)  # NOT_FOUND: withdrawn, nobody waits
            del keep
            return
    if isinstance(error, _Refused):
        message = f"returned a credential a {kind} store cannot use: {error}"
        code = E_UNAUTHENTICATED
    else:
        message = f"raised {type(error).__qualname__}: {error}"
        code = E_UNAUTHENTICATED
    L.objstore_ask_fail(ask_id, code, message.encode("utf-8", "replace"), None)


# ---- the thread ------------------------------------------------------------------------------


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _is_async(provider: Any) -> bool:
    return inspect.iscoroutinefunction(provider) or inspect.iscoroutinefunction(getattr(provider, "__call__", None))


class _Thread:
    """The answering thread and its private loop (one per process)."""

    _instance: _Thread | None = None
    _start_lock = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="objstore-asks", daemon=True)
        self.asks = (Ask * 64)()
        self.n = c_size_t()

    @classmethod
    def ensure_started(cls) -> None:
        t = cls._instance
        if t is not None and t.thread.is_alive():
            return
        with cls._start_lock:
            t = cls._instance
            if t is None or not t.thread.is_alive():
                t = cls._instance = _Thread()
                t.thread.start()
                t.ready.wait()

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        fd = c_int()
        err = _ffi.new_err()
        rc = lib().objstore_ask_fd(_byref(fd), _byref(err))
        if rc:  # no fd: nothing can be answered; requests time out and say so
            self.ready.set()
            return
        loop.add_reader(fd.value, self._drain)
        self.ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def _drain(self) -> None:
        poll = lib().objstore_ask_poll
        while True:
            if poll(self.asks, len(self.asks), _byref(self.n)):
                return
            n = self.n.value
            for i in range(n):
                a = self.asks[i]
                self._dispatch(a.ask_id, a.kind, a.target)
            if n < len(self.asks):
                return

    def _dispatch(self, ask_id: int, kind: int, target: int) -> None:
        if kind != ASK_CREDENTIAL:
            lib().objstore_ask_fail(ask_id, E_INVALID_ARGUMENT, b"this binding does not answer that kind of ask", None)
            return
        entry = _targets.get(target)
        if entry is None:  # the store was freed meanwhile
            lib().objstore_ask_fail(ask_id, E_UNAUTHENTICATED, b"the store's credential provider is gone", None)
            return
        provider, store_kind, name = entry
        if _is_async(provider):
            self.loop.create_task(self._call_async(ask_id, provider, store_kind, name))
        else:
            threading.Thread(target=self._call_sync, args=(ask_id, provider, store_kind, name),
                             name="objstore-credential-provider", daemon=True).start()

    async def _call_async(self, ask_id: int, provider: Any, kind: str, name: str) -> None:
        try:
            result = provider()
            if inspect.isawaitable(result):
                result = await result
        except BaseException as e:  # noqa: BLE001 - every failure is reported, none escapes
            _answer(ask_id, kind, name, error=e)
            return
        _answer(ask_id, kind, name, result)

    def _call_sync(self, ask_id: int, provider: Any, kind: str, name: str) -> None:
        try:
            result = provider()
            if inspect.isawaitable(result):  # a sync callable that returns a coroutine
                result = asyncio.run_coroutine_threadsafe(_awaited(result), self.loop).result()
        except BaseException as e:  # noqa: BLE001
            _answer(ask_id, kind, name, error=e)
            return
        _answer(ask_id, kind, name, result)


def thread_alive() -> bool:
    """Whether the answering thread runs (tests)."""
    t = _Thread._instance
    return t is not None and t.thread.is_alive()
