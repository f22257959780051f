"""Request events: a callback per store (``store.on_event``) or for every
store (``objstore.on_event``), called with one dict per finished operation.

The library posts each event to its ask queue (``OBJSTORE_ASK_EVENT``) only
for stores that asked for them: a store without a callback builds none.
The answering thread (``_asks``) takes each event and hands it to a bounded
queue; one daemon thread of this module, ``objstore-events``, calls the
callbacks. So a callback never runs on a library (Go) thread, a slow one
never holds up a request (events that do not fit in the queue are dropped
and counted in ``objstore.metrics()["events_dropped"]``), and one that
raises is logged (logger ``objstore``) and called again for the next event.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from . import _asks, _ffi

MAX_QUEUED = 10_000

_log = logging.getLogger("objstore")
_lock = threading.Lock()
_callbacks: dict[int, Callable[[dict[str, Any]], Any]] = {}  # target -> callback
_ids = itertools.count(1)
_queue: queue.Queue[tuple[Callable[[dict[str, Any]], Any], dict[str, Any]]] = queue.Queue(MAX_QUEUED)
_thread: threading.Thread | None = None
dropped = 0  # events the program did not keep up with (this side's queue)


def _take(ask_id: int, target: int) -> None:
    """On the answering thread: take the event and queue it for its callback."""
    global dropped
    out = ctypes.c_void_p()
    if _asks.lib().objstore_event_take(ask_id, ctypes.byref(out), None):
        return
    text = _ffi.take_string(out)
    callback = _callbacks.get(target)
    if callback is None or text is None:  # unregistered meanwhile
        return
    try:
        _queue.put_nowait((callback, json.loads(text)))
    except queue.Full:
        with _lock:
            dropped += 1


def _deliver() -> None:
    while True:
        callback, event = _queue.get()
        try:
            callback(event)
        except Exception:
            _log.exception("objstore event callback %r raised (the event is dropped; later ones are delivered)", callback)


def _ensure_started() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_deliver, name="objstore-events", daemon=True)
            _thread.start()
    _asks.handlers[_asks.ASK_EVENT] = _take
    _asks._Thread.ensure_started()


def _check(callback: Any) -> None:
    if callback is not None and not callable(callback):
        raise TypeError(f"the event callback must be callable or None, not {type(callback).__name__}")


def set_target(handle: _ffi.StoreHandle | None, callback: Callable[[dict[str, Any]], Any] | None, old: int) -> int:
    """Send the events of the store behind handle (None: every store) to
    callback, replacing the target old (0: none); returns the new target
    (0 when callback is None)."""
    _check(callback)
    target = 0
    if callback is not None:
        _ensure_started()
        target = next(_ids)
        _callbacks[target] = callback
    err = _ffi.new_err()
    rc = _asks.lib().objstore_set_event_target(handle.ref if handle is not None else None, target, ctypes.byref(err))
    if rc:
        _callbacks.pop(target, None)
        _ffi.raise_error(rc, err)
    _callbacks.pop(old, None)
    return target


_process_target = 0


def on_event(callback: Callable[[dict[str, Any]], Any] | None) -> None:
    """Call ``callback(event)`` for every finished operation of every store
    in this process (None stops it). ``event`` is a dict: ``operation``,
    ``store_kind``, ``bucket``, ``path_length``, ``status`` ("ok" or an
    error kind), ``error`` (when it failed), ``bytes``, ``attempts``,
    ``retries``, ``ttfb_seconds``, ``duration_seconds``. The callback runs
    on the binding's ``objstore-events`` thread, never the caller's."""
    global _process_target
    _process_target = set_target(None, callback, _process_target)
