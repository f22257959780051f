"""The library's completion queue, wired into asyncio.

Every ``*_async`` operation submits a request with an id
(``objstore_submit_*``) and awaits a future. Finished requests are posted
by the library to one completion queue per process whose file descriptor
is readable exactly while completions wait. Each event loop with requests
in flight watches that fd with ``loop.add_reader`` (or, where the loop has
none, e.g. the Windows proactor loop, a small waiter thread that only wakes
the loop); on readiness the loop thread drains the queue in batches with
``objstore_cq_poll`` and resolves the futures. So no Python code ever runs
on a library (Go) thread, and one wakeup serves many completions.

Cancelling the awaiting task cancels the library request
(``objstore_cancel``); its late completion is converted and dropped, which
frees whatever it carried.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import select
import threading
from typing import Any, Callable

from . import _ffi
from ._ffi import POINTER, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint64, c_void_p

_byref = ctypes.byref


class Completion(ctypes.Structure):
    """objstore_completion (objstore.h)."""

    _fields_ = [
        ("request_id", c_uint64),
        ("op", c_int),
        ("code", c_int),
        ("error", POINTER(_ffi.Error)),
        ("buffer", c_void_p),
        ("data", c_void_p),
        ("len", c_size_t),
        ("info", POINTER(_ffi.GetInfo)),
        ("reader", c_void_p),
        ("meta_list", c_void_p),
        ("items", POINTER(_ffi.ObjectMeta)),
        ("n_items", c_size_t),
        ("common_prefixes", POINTER(c_char_p)),
        ("n_prefixes", c_size_t),
        ("e_tag", c_void_p),
        ("version", c_void_p),
        ("url", c_void_p),
        ("upload", c_void_p),
        ("pending_uploads", c_void_p),  # objstore_pending_upload *, read by _uploads
        ("reserved", c_void_p * 3),
    ]


STATS_VERSION = 3


class Stats(ctypes.Structure):
    """objstore_stats (objstore.h)."""

    _fields_ = [("version", c_uint)] + [
        (name, c_uint64)
        for name in (
            "goroutines",
            "stores",
            "readers",
            "buffers",
            "meta_lists",
            "lists",
            "uploads",
            "writers",
            "errors",
            "buffer_bytes",
            "requests_in_flight",
            "requests_running",
            "completions_queued",
            "shared_stores",
            "arrow_arrays",
            "arrow_bytes",
        )
    ]


SUBMIT_INFO = 1
GET_MANY_STRICT = 1
E_NOT_FOUND = 2

_P = c_void_p
_ERRPP = POINTER(POINTER(_ffi.Error))
_ID = c_uint64

_SIGNATURES = {
    "objstore_cq_fd": (c_int, [POINTER(c_int), _ERRPP]),
    "objstore_cq_poll": (c_int, [POINTER(Completion), c_size_t, POINTER(c_size_t)]),
    "objstore_cancel": (c_int, [c_uint64]),
    "objstore_set_async_limit": (c_int, [c_size_t, POINTER(c_size_t)]),
    "objstore_set_max_procs": (c_int, [c_int, POINTER(c_int)]),
    "objstore_set_memory_limit": (c_int, [c_int64, POINTER(c_int64)]),
    "objstore_debug_stats": (c_int, [POINTER(Stats)]),
    "objstore_get_many": (
        c_int,
        [_P, POINTER(c_char_p), POINTER(_ffi.Range), c_size_t, c_size_t, c_uint,
         POINTER(c_void_p), POINTER(c_void_p), POINTER(c_size_t), POINTER(c_int),
         POINTER(POINTER(_ffi.Error)), _ERRPP],
    ),
    "objstore_submit_get": (c_int, [_P, c_char_p, POINTER(_ffi.GetOptions), c_uint, _ID, _ERRPP]),
    "objstore_submit_get_reader": (c_int, [_P, c_char_p, POINTER(_ffi.GetOptions), c_size_t, _ID, _ERRPP]),
    "objstore_submit_reader_read_all": (c_int, [_P, _ID, _ERRPP]),
    "objstore_submit_reader_read_chunk": (c_int, [_P, c_size_t, _ID, _ERRPP]),
    "objstore_submit_get_ranges": (
        c_int,
        [_P, c_char_p, POINTER(c_uint64), POINTER(c_uint64), c_size_t, POINTER(c_void_p), POINTER(c_size_t), _ID, _ERRPP],
    ),
    "objstore_submit_get_ranges_coalesce": (
        c_int,
        [_P, c_char_p, POINTER(c_uint64), POINTER(c_uint64), c_size_t, c_uint64, POINTER(c_void_p), POINTER(c_size_t),
         _ID, _ERRPP],
    ),
    "objstore_submit_get_many": (
        c_int,
        [_P, POINTER(c_char_p), POINTER(_ffi.Range), c_size_t, c_size_t, c_uint,
         POINTER(c_void_p), POINTER(c_void_p), POINTER(c_size_t), POINTER(c_int),
         POINTER(POINTER(_ffi.Error)), _ID, _ERRPP],
    ),
    "objstore_submit_head": (c_int, [_P, c_char_p, _ID, _ERRPP]),
    "objstore_submit_put": (c_int, [_P, c_char_p, c_void_p, c_size_t, POINTER(_ffi.PutOptions), _ID, _ERRPP]),
    "objstore_submit_delete": (c_int, [_P, c_char_p, _ID, _ERRPP]),
    "objstore_submit_delete_many": (c_int, [_P, POINTER(c_char_p), c_size_t, POINTER(c_int), _ID, _ERRPP]),
    "objstore_submit_copy": (c_int, [_P, c_char_p, c_char_p, c_uint, _ID, _ERRPP]),
    "objstore_submit_rename": (c_int, [_P, c_char_p, c_char_p, c_uint, _ID, _ERRPP]),
    "objstore_submit_sign": (c_int, [_P, c_char_p, c_char_p, c_uint64, _ID, _ERRPP]),
    "objstore_submit_list_next": (c_int, [_P, c_size_t, _ID, _ERRPP]),
    "objstore_submit_list_with_delimiter": (c_int, [_P, c_char_p, _ID, _ERRPP]),
    "objstore_submit_writer_write": (c_int, [_P, c_void_p, c_size_t, _ID, _ERRPP]),
    "objstore_submit_writer_close": (c_int, [_P, _ID, _ERRPP]),
    "objstore_submit_upload_new": (c_int, [_P, c_char_p, POINTER(_ffi.PutOptions), _ID, _ERRPP]),
    "objstore_submit_upload_put_part": (c_int, [_P, c_size_t, c_void_p, c_size_t, _ID, _ERRPP]),
    "objstore_submit_upload_complete": (c_int, [_P, _ID, _ERRPP]),
    "objstore_submit_upload_abort": (c_int, [_P, _ID, _ERRPP]),
}

_lib_lock = threading.Lock()
_lib_ready: ctypes.CDLL | None = None


def lib() -> ctypes.CDLL:
    """The library, with the async functions' signatures declared."""
    global _lib_ready
    L = _ffi.lib()
    if L is _lib_ready:
        return L
    with _lib_lock:
        if _lib_ready is not L:
            for name, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(L, name)
                fn.restype = restype
                fn.argtypes = argtypes
            _lib_ready = L
    return L


# ---- requests in flight -----------------------------------------------------------

BATCH = 256
MAX_BATCHES_PER_WAKEUP = 16

# Set to True to use the waiter thread even where the loop has add_reader
# (tests use it to exercise the fallback).
FORCE_WAITER_THREAD = False


class _Request:
    __slots__ = ("fut", "loop", "finish", "keep", "after")

    def __init__(self, fut, loop, finish, keep, after):
        self.fut = fut
        self.loop = loop
        self.finish = finish
        self.keep = keep  # caller memory the request reads or writes
        self.after = after


_pending: dict[int, _Request] = {}
_ids = itertools.count(1)
_fd: int | None = None


def queue_fd() -> int:
    global _fd
    fd = _fd
    if fd is None:
        L = lib()
        out = c_int()
        t = _ffi.scratch()
        rc = L.objstore_cq_fd(_byref(out), t.r_err)
        if rc:
            _ffi.fail(rc, t)
        t.taken = False
        fd = _fd = out.value
    return fd


class _Watch:
    """How one event loop watches the queue's fd."""

    __slots__ = ("count", "reading", "thread", "drained", "stop")

    def __init__(self):
        self.count = 0  # requests of this loop in flight
        self.reading = False  # the fd is registered with loop.add_reader
        self.thread: threading.Thread | None = None
        self.drained = threading.Event()
        self.stop = False


_watches: dict[Any, _Watch] = {}
_watches_lock = threading.Lock()


def _new_watch(loop) -> _Watch:
    """The watch of a loop seen for the first time; forgets closed loops
    (a loop's reader outlives its requests, see _unwatch)."""
    with _watches_lock:
        for old in [lp for lp in _watches if lp is not loop and lp.is_closed()]:
            del _watches[old]
        return _watches.setdefault(loop, _Watch())


def _watch(loop) -> None:
    """Count one more request of `loop` (on its thread); watch the fd while
    it has any."""
    w = _watches.get(loop)
    if w is None:
        w = _new_watch(loop)
    w.count += 1
    if w.count != 1 or w.reading:
        return
    fd = queue_fd()
    if not FORCE_WAITER_THREAD:
        try:
            loop.add_reader(fd, _drain)
            w.reading = True
            return
        except NotImplementedError:
            pass
    _start_waiter(loop, w, fd)


def _unwatch(loop) -> None:
    """Count one request of `loop` less. A reader stays registered when the
    count drops to zero: requests usually come in waves (zarr's batches,
    gather after gather), and adding and removing it for every wave cost
    two epoll_ctl calls and a selector key each time. An idle loop whose
    reader fires anyway (completions of another loop) removes it then
    (_drain)."""
    w = _watches.get(loop)
    if w is None:
        return
    w.count -= 1
    if w.count > 0 or w.reading:
        return
    if w.thread is not None:
        w.stop = True
        w.drained.set()
        w.thread = None
    with _watches_lock:
        if w.count == 0 and _watches.get(loop) is w:
            del _watches[loop]


def _stop_reading_if_idle() -> None:
    """In a reader callback: remove the reader of the running loop if it has
    no request in flight (it woke for another loop's completions)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    w = _watches.get(loop)
    if w is None or w.count or not w.reading:
        return
    w.reading = False
    loop.remove_reader(queue_fd())
    with _watches_lock:
        if w.count == 0 and _watches.get(loop) is w:
            del _watches[loop]


def _start_waiter(loop, w: _Watch, fd: int) -> None:
    """The fallback: a thread that waits for the fd and asks the loop to
    drain; it runs no callbacks itself."""
    w.stop = False

    def wait() -> None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while not w.stop and not loop.is_closed():
            if not poller.poll(200):
                continue
            w.drained.clear()
            try:
                loop.call_soon_threadsafe(_drain_and_ack, w)
            except RuntimeError:  # loop closed
                return
            w.drained.wait()

    t = threading.Thread(target=wait, name="objstore-cq-waiter", daemon=True)
    w.thread = t
    t.start()


def _drain_and_ack(w: _Watch) -> None:
    try:
        _drain()
    finally:
        w.drained.set()


_tls = threading.local()


def _completions():
    try:
        return _tls.completions
    except AttributeError:
        arr = _tls.completions = (Completion * BATCH)()
        _tls.n = c_size_t()
        _tls.r_n = _byref(_tls.n)
        return arr


def _drain() -> None:
    """Take every waiting completion and resolve its future (runs on an event
    loop's thread)."""
    _stop_reading_if_idle()
    arr = _completions()
    poll = lib().objstore_cq_poll
    r_n = _tls.r_n
    n_box = _tls.n
    for _ in range(MAX_BATCHES_PER_WAKEUP):
        rc = poll(arr, BATCH, r_n)
        if rc:
            _ffi.raise_error(rc, None)
        n = n_box.value
        for i in range(n):
            _dispatch(arr[i])
        if n < BATCH:
            return
    # More keep coming: let the loop run other callbacks first; the fd is
    # still readable, so the loop calls us again.


def _dispatch(c: Completion) -> None:
    req = _pending.pop(c.request_id, None)
    if req is None:
        release(c)  # not ours (or already given up on): free what it carries
        return
    fut = req.fut
    try:
        if c.code:
            outcome, ok = _ffi.make_error(c.code, c.error), False
        else:
            outcome, ok = req.finish(c), True
    except BaseException as e:  # a conversion failed
        outcome, ok = e, False
    if req.after is not None:
        try:
            req.after(c, fut)
        except Exception:
            pass
    loop = req.loop
    if loop.is_closed():  # nobody waits any more; the outcome is dropped
        with _watches_lock:
            _watches.pop(loop, None)
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _deliver(req, outcome, ok)
    else:
        try:
            loop.call_soon_threadsafe(_deliver, req, outcome, ok)
        except RuntimeError:  # that loop is closed: nobody waits any more
            pass


def _deliver(req: _Request, outcome, ok: bool) -> None:
    _unwatch(req.loop)
    fut = req.fut
    if fut.done():  # cancelled: the outcome's own finalizers free it
        return
    if ok:
        fut.set_result(outcome)
    else:
        fut.set_exception(outcome)


def release(c: Completion) -> None:
    """Free everything a completion carries (one nobody converted)."""
    L = _ffi.lib()
    if c.error:
        L.objstore_error_free(c.error)
    for field, free in (
        ("buffer", L.objstore_buffer_free),
        ("reader", L.objstore_reader_free),
        ("meta_list", L.objstore_meta_list_free),
        ("upload", L.objstore_upload_free),
    ):
        h = getattr(c, field)
        if h:
            free(h)
    for field in ("e_tag", "version", "url"):
        s = getattr(c, field)
        if s:
            L.objstore_string_free(s)


class Pending:
    """What submit returns: await it for the result. Cancelling the task
    that awaits it cancels the library request (no per-request done
    callback: that would cost an extra event-loop round per request)."""

    __slots__ = ("fut", "rid")

    def __init__(self, fut, rid: int):
        self.fut = fut
        self.rid = rid

    def __await__(self):
        try:
            return (yield from self.fut.__await__())
        except asyncio.CancelledError:
            if self.rid in _pending:
                lib().objstore_cancel(self.rid)  # NOT_FOUND: its completion is on the way
            raise


def submit(
    fn_name: str,
    args: tuple,
    finish: Callable[[Completion], Any],
    keep: Any = None,
    after: Callable[[Completion, asyncio.Future], None] | None = None,
) -> Pending:
    """Submit one request (``fn_name(*args, request_id, err)``) and return an
    awaitable of ``finish(completion)``. Argument errors raise here, before
    anything is queued.

    ``finish`` converts a successful completion into Python objects that own
    what it carries; it runs even when the future was cancelled meanwhile
    (the objects are then dropped, and their finalizers free the memory).
    ``keep`` stays referenced until the completion arrives: caller memory
    the request reads or writes, and the native store handle it runs on
    (freeing that would wait for the request). ``after(c, fut)`` runs after
    every completion (cleanup that must wait for the request to end, such as
    freeing a cursor handle whose waiting task was cancelled).
    """
    loop = asyncio.get_running_loop()
    L = lib()
    rid = next(_ids)
    fut = loop.create_future()
    _pending[rid] = _Request(fut, loop, finish, keep, after)
    _watch(loop)
    t = _ffi.scratch()
    try:
        rc = getattr(L, fn_name)(*args, rid, t.r_err)
    except BaseException:
        _pending.pop(rid, None)
        _unwatch(loop)
        raise
    if rc:
        _pending.pop(rid, None)
        _unwatch(loop)
        _ffi.fail(rc, t)
    t.taken = False
    return Pending(fut, rid)


def close_if_cancelled(handle: _ffi.NativeHandle) -> Callable[[Completion, asyncio.Future], None]:
    """An ``after`` for requests on a cursor (reader, lister, writer): a
    handle whose waiting task was cancelled is freed once its request has
    ended, never while it runs."""

    def after(c: Completion, fut: asyncio.Future) -> None:
        if fut.cancelled():
            handle.close()

    return after


def in_flight() -> int:
    """Requests submitted from Python whose completion has not been handled."""
    return len(_pending)


# ---- runtime settings and diagnostics ---------------------------------------------


def set_runtime(*, max_procs: int | None = None, memory_limit: int | None = None, async_limit: int | None = None) -> dict[str, int]:
    """Tune the library's Go runtime; returns the previous values.

    ``max_procs``: OS threads running Go code at once (GOMAXPROCS).
    ``memory_limit``: the Go runtime's soft memory limit, in bytes.
    ``async_limit``: how many async requests run at once (more wait).
    ``None`` leaves a setting as it is (its current value is still returned).
    """
    L = lib()
    procs = c_int()
    limit = c_int64()
    alimit = c_size_t()
    for name, value in (("max_procs", max_procs), ("memory_limit", memory_limit), ("async_limit", async_limit)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ValueError(f"{name} must be a positive int or None, got {value!r}")
    rc = L.objstore_set_max_procs(max_procs or 0, _byref(procs))
    if rc == 0:
        rc = L.objstore_set_memory_limit(memory_limit if memory_limit is not None else -1, _byref(limit))
    if rc == 0:
        rc = L.objstore_set_async_limit(async_limit or 0, _byref(alimit))
    if rc:
        _ffi.raise_error(rc, None)
    return {"max_procs": procs.value, "memory_limit": limit.value, "async_limit": alimit.value}


def debug_stats() -> dict[str, int]:
    """What is alive in the library (handles, buffers, goroutines, requests),
    for leak checks. ``shared_stores`` counts the clients open in this
    process: store handles of equal documents share one."""
    L = lib()
    _ffi.free_unfreed()  # small buffers waiting for their batch are garbage already
    st = Stats()
    st.version = STATS_VERSION
    rc = L.objstore_debug_stats(_byref(st))
    if rc:
        _ffi.raise_error(rc, None)
    return {name: getattr(st, name) for name, _ in Stats._fields_[1:]}
