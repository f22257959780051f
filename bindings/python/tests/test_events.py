"""Request events: one dict per finished operation, delivered on the
binding's own thread (never the caller's, never a library thread), nothing
built for a store without a callback, a slow callback never slowing the
requests, and a callback that raises logged without breaking anything."""

from __future__ import annotations

import logging
import threading
import time

import objstore as obs
from objstore.store import MemoryStore

from _servers import minio_store


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for events")
        time.sleep(0.01)


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        with self.lock:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)


def test_events_of_n_gets_on_the_binding_thread():
    store = minio_store()
    obs.put(store, "dir/object", b"0123456789")
    seen = Recorder()
    store.on_event(seen)
    n = 12
    for _ in range(n):
        assert obs.get(store, "dir/object").bytes() == b"0123456789"
    _wait_for(lambda: len(seen.events) >= n)
    time.sleep(0.1)
    assert len(seen.events) == n
    e = seen.events[0]
    assert e["operation"] == "get" and e["store_kind"] == "s3" and e["status"] == "ok"
    assert e["bytes"] == 10 and e["attempts"] == 1 and e["retries"] == 0
    assert e["path_length"] == len("dir/object")  # the path as given (the store applies its prefix below)
    assert "dir/object" not in repr(e)  # the path's length, never the path
    assert 0 < e["ttfb_seconds"] <= e["duration_seconds"]
    assert seen.threads == {"objstore-events"}
    assert threading.current_thread().name not in seen.threads

    store.on_event(None)
    obs.get(store, "dir/object").bytes()
    time.sleep(0.2)
    assert len(seen.events) == n


def test_failed_operation_event_and_process_wide_callback():
    store = MemoryStore()
    seen = Recorder()
    obs.on_event(seen)
    try:
        try:
            obs.head(store, "missing")
        except FileNotFoundError:
            pass
        _wait_for(lambda: any(e["operation"] == "head" for e in seen.events))
    finally:
        obs.on_event(None)
    e = next(e for e in seen.events if e["operation"] == "head")
    assert e["status"] == "not_found" and "missing" in e["error"] and e["store_kind"] == "memory"


def test_slow_callback_does_not_slow_requests():
    store = MemoryStore()
    obs.put(store, "k", b"x")
    release = threading.Event()
    calls = []

    def slow(event: dict) -> None:
        calls.append(event)
        release.wait(30)

    store.on_event(slow)
    try:
        started = time.monotonic()
        for _ in range(2000):
            obs.get(store, "k").bytes()
        elapsed = time.monotonic() - started
        assert elapsed < 20  # does not hang behind the callback (it is blocked throughout)
        assert len(calls) <= 1
    finally:
        release.set()
        store.on_event(None)


def test_events_beyond_the_queue_are_dropped_and_counted():
    store = MemoryStore()
    obs.put(store, "k", b"x")
    release = threading.Event()
    store.on_event(lambda event: release.wait(30))
    before = obs.metrics()["events_dropped"]
    try:
        for _ in range(25_000):  # more than both queues hold
            obs.head(store, "k")
        _wait_for(lambda: obs.metrics()["events_dropped"] > before)
    finally:
        release.set()
        _drain(store)
        store.on_event(None)


def _drain(store) -> None:
    """Wait until the events queued before now have gone through, so the
    next test does not find both queues still full (and its events dropped):
    both queues are first in, first out, so once an event posted now is
    delivered, everything ahead of it has been."""
    seen = Recorder()
    store.on_event(seen)
    deadline = time.monotonic() + 60
    while not seen.events:  # a probe posted while the library's queue is still full is dropped: post another
        assert time.monotonic() < deadline, "the event queues did not drain"
        obs.head(store, "k")
        time.sleep(0.05)


def test_callback_exception_is_logged_and_delivery_goes_on(caplog):
    store = MemoryStore()
    obs.put(store, "k", b"x")
    seen = Recorder()
    calls = 0

    def flaky(event: dict) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("callback broke")
        seen(event)

    store.on_event(flaky)
    with caplog.at_level(logging.ERROR, logger="objstore"):
        obs.get(store, "k").bytes()
        obs.get(store, "k").bytes()
        _wait_for(lambda: len(seen.events) == 1)
    store.on_event(None)
    assert obs.get(store, "k").bytes() == b"x"
    assert any("callback broke" in (r.exc_text or "") or "raised" in r.getMessage() for r in caplog.records)


def test_no_event_is_built_without_a_callback():
    store = MemoryStore()
    obs.put(store, "k", b"x")
    seen = Recorder()
    other = MemoryStore()
    other.on_event(seen)
    for _ in range(50):
        obs.get(store, "k").bytes()
    time.sleep(0.2)
    assert seen.events == []
    other.on_event(None)


def test_on_event_refuses_what_is_not_callable():
    import pytest

    with pytest.raises(TypeError):
        MemoryStore().on_event(42)  # type: ignore[arg-type]
