"""Many threads on the same stores at once (without the GIL on 3.14t).

The stress: 8 threads x 5,000 mixed sync calls (put, get, get_range, head,
list, get_many) spread over one MemoryStore, one LocalStore and one MinIO
store, while 2 more threads each run their own asyncio event loop with the
async twins. Every byte read is checked: each thread owns keys whose
content only it writes (so it knows exactly what every read must return),
and all threads overwrite shared keys with self-describing payloads (a
header naming key, writer and sequence number, then bytes derived from
it), so any read of a shared key verifies on its own. A deadlock fails
the test at a generous bound instead of hanging it.

Also: on a free-threaded build the GIL stays disabled through import, the
first I/O and the async machinery (checked in a fresh interpreter, since
pytest's own imports could have re-enabled it).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pickle
import json
import random
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time

import objstore
from objstore.store import LocalStore, MemoryStore

from _servers import minio_store
from conftest import SRC_DIR

SYNC_THREADS = 8
CALLS_PER_THREAD = 5_000
ASYNC_THREADS = 2
ASYNC_TASKS_PER_LOOP = 4
ASYNC_CALLS_PER_TASK = 150
OWN_KEYS = 6
SHARED_KEYS = 8
SHARED_SIZE = 3_000  # every version of a shared key has this size: head can check it
DEADLOCK_BOUND_S = 900  # far above the slowest run seen; only proves "does not hang"

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def payload(key: str, writer: str, seq: int, size: int) -> bytes:
    """Self-describing content: a header, then bytes derived from it."""
    header = f"{key}|{writer}|{seq}|{size}|".encode()
    assert len(header) < size
    block = hashlib.sha256(header).digest()
    body = block * ((size - len(header)) // len(block) + 1)
    return header + body[: size - len(header)]


def verify(key: str, data) -> None:
    """A shared key's content, whoever wrote it, must describe itself."""
    data = bytes(data)
    parts = data.split(b"|", 4)
    assert len(parts) == 5, f"{key}: no header in {data[:60]!r}"
    name, writer, seq, size = parts[0].decode(), parts[1].decode(), int(parts[2]), int(parts[3])
    assert name == key and size == len(data) == SHARED_SIZE, f"{key}: header {data[:60]!r}, {len(data)} bytes"
    assert data == payload(key, writer, seq, size), f"{key}: content does not match its header {data[:60]!r}"


class Worker:
    """One thread's keys and what it expects of them, per store."""

    def __init__(self, name: str, stores: list, seed: int):
        self.name = name
        self.stores = stores
        self.rng = random.Random(seed)
        self.seq = 0
        # store index -> own key -> content last written there
        self.own: list[dict[str, bytes]] = [{} for _ in stores]
        self.calls = 0

    def own_key(self) -> str:
        return f"{self.name}/k{self.rng.randrange(OWN_KEYS)}"

    def shared_key(self) -> str:
        return f"shared/s{self.rng.randrange(SHARED_KEYS)}"

    def new_own(self, key: str) -> bytes:
        self.seq += 1
        size = self.rng.choice((40, 200, 1_000, 4_096, 10_000)) if self.rng.random() < 0.97 else 300_000
        return payload(key, self.name, self.seq, size)

    def new_shared(self, key: str) -> bytes:
        self.seq += 1
        return payload(key, self.name, self.seq, SHARED_SIZE)

    def check_get(self, si: int, key: str, data) -> None:
        if key.startswith("shared/"):
            verify(key, data)
        else:
            assert data == self.own[si][key], f"{self.name}: {key} on store {si} differs"

    def pick_written(self, si: int) -> str | None:
        keys = self.own[si]
        return self.rng.choice(sorted(keys)) if keys else None


def sync_step(w: Worker, si: int, store) -> None:
    op = w.rng.random()
    own = w.pick_written(si)
    if own is None or op < 0.25:
        key = w.own_key() if op < 0.15 or own is None else w.shared_key()
        data = w.new_shared(key) if key.startswith("shared/") else w.new_own(key)
        objstore.put(store, key, data)
        if not key.startswith("shared/"):
            w.own[si][key] = data
    elif op < 0.45:
        key = own if op < 0.38 else w.shared_key()
        try:
            body = objstore.get(store, key).bytes()
        except FileNotFoundError:
            assert key.startswith("shared/")  # no thread has written it here yet
            return
        w.check_get(si, key, body)
    elif op < 0.60:
        want = w.own[si][own]
        start = w.rng.randrange(len(want))
        end = w.rng.randrange(start + 1, len(want) + 1)  # an empty range is refused
        assert objstore.get_range(store, own, start=start, end=end) == want[start:end]
    elif op < 0.72:
        assert objstore.head(store, own)["size"] == len(w.own[si][own])
        try:
            shared = objstore.head(store, w.shared_key())
        except FileNotFoundError:
            return
        assert shared["size"] == SHARED_SIZE
    elif op < 0.84:
        listed = {m["path"]: m["size"] for m in objstore.list(store, w.name, chunk_size=4).collect()}
        assert listed == {k: len(v) for k, v in w.own[si].items()}, f"{w.name}: list on store {si}"
    else:
        keys = sorted(w.own[si])
        key = keys[w.rng.randrange(len(keys))]
        want = w.own[si][key]
        requests = [*keys, (key, (1, len(want))), w.shared_key()]
        results = objstore.get_many(store, requests)
        for k, got in zip(keys, results[: len(keys)]):
            assert got == w.own[si][k], f"{w.name}: get_many {k} on store {si}"
        assert results[len(keys)] == want[1:]
        last = results[-1]
        if isinstance(last, FileNotFoundError):
            return
        assert not isinstance(last, BaseException), repr(last)
        verify(requests[-1], last)


def run_sync(w: Worker, errors: list) -> None:
    try:
        for i in range(CALLS_PER_THREAD):
            si = i % len(w.stores)
            sync_step(w, si, w.stores[si])
            w.calls += 1
    except BaseException as e:  # noqa: BLE001 - reported by the test
        errors.append(f"{w.name} after {w.calls} calls: {type(e).__name__}: {e}")


async def async_task(w: Worker) -> None:
    for i in range(ASYNC_CALLS_PER_TASK):
        w.calls += 1
        si = i % len(w.stores)
        store = w.stores[si]
        op = w.rng.random()
        own = w.pick_written(si)
        if own is None or op < 0.3:
            key = w.own_key() if op < 0.2 or own is None else w.shared_key()
            data = w.new_shared(key) if key.startswith("shared/") else w.new_own(key)
            await objstore.put_async(store, key, data)
            if not key.startswith("shared/"):
                w.own[si][key] = data
        elif op < 0.5:
            key = own if op < 0.42 else w.shared_key()
            try:
                result = await objstore.get_async(store, key)
            except FileNotFoundError:
                assert key.startswith("shared/")
                continue
            w.check_get(si, key, await result.bytes_async())
        elif op < 0.65:
            want = w.own[si][own]
            start = w.rng.randrange(len(want))
            assert await objstore.get_range_async(store, own, start=start, end=len(want)) == want[start:]
        elif op < 0.75:
            assert (await objstore.head_async(store, own))["size"] == len(w.own[si][own])
        elif op < 0.85:
            listed = {m["path"]: m["size"] for m in await objstore.list(store, w.name).collect_async()}
            assert listed == {k: len(v) for k, v in w.own[si].items()}
        else:
            keys = sorted(w.own[si])
            results = await objstore.get_many_async(store, keys)
            assert results == [w.own[si][k] for k in keys]


def run_loop(workers: list[Worker], errors: list) -> None:
    async def main() -> None:
        outcomes = await asyncio.gather(*(async_task(w) for w in workers), return_exceptions=True)
        for w, outcome in zip(workers, outcomes):
            if isinstance(outcome, BaseException):
                errors.append(f"{w.name} after {w.calls} calls: {type(outcome).__name__}: {outcome}")

    try:
        asyncio.run(main())
    except BaseException as e:  # noqa: BLE001
        errors.append(f"event loop of {workers[0].name}: {type(e).__name__}: {e}")


def test_threads_share_memory_local_and_minio_stores():
    with tempfile.TemporaryDirectory() as root:
        stores = [MemoryStore(), LocalStore(root), minio_store()]
        errors: list[str] = []
        sync_workers = [Worker(f"t{i}", stores, seed=i) for i in range(SYNC_THREADS)]
        loop_workers = [
            [Worker(f"a{j}x{k}", stores, seed=1000 + j * 100 + k) for k in range(ASYNC_TASKS_PER_LOOP)]
            for j in range(ASYNC_THREADS)
        ]
        threads = [threading.Thread(target=run_sync, args=(w, errors), daemon=True) for w in sync_workers]
        threads += [threading.Thread(target=run_loop, args=(ws, errors), daemon=True) for ws in loop_workers]
        gil_before = getattr(sys, "_is_gil_enabled", lambda: True)()
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, DEADLOCK_BOUND_S - (time.monotonic() - t0)))
        stuck = [t.name for t in threads if t.is_alive()]
        assert not stuck, f"threads still running after {DEADLOCK_BOUND_S} s (deadlock?): {stuck}"
        assert not errors, "\n".join(errors[:20])
        # Everyone did all its calls, and the shared keys hold a whole version each.
        assert [w.calls for w in sync_workers] == [CALLS_PER_THREAD] * SYNC_THREADS
        assert all(w.calls == ASYNC_CALLS_PER_TASK for ws in loop_workers for w in ws)
        for store in stores:
            for k in range(SHARED_KEYS):
                key = f"shared/s{k}"
                verify(key, objstore.get(store, key).bytes())
        if FREE_THREADED:
            assert not gil_before and not sys._is_gil_enabled()
        print(f"stress: {time.monotonic() - t0:.1f} s")


# Run without PYTHON_GIL (which would hide an extension that re-enables it)
# and with -W error::RuntimeWarning (what CPython warns when it does).
_GIL_STATES = r"""
import asyncio, json, sys, sysconfig, tempfile
free = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
gil = getattr(sys, "_is_gil_enabled", lambda: True)
states = {"start": gil()}
import objstore
from objstore.store import LocalStore, MemoryStore
states["import"] = gil()
store = MemoryStore()
objstore.put(store, "k", b"first I/O")
assert objstore.get(store, "k").bytes() == b"first I/O"
with tempfile.TemporaryDirectory() as d:
    objstore.put(LocalStore(d), "k", b"x")
states["library loaded, first I/O"] = gil()
async def main():
    await objstore.put_async(store, "a", b"async")
    return await (await objstore.get_async(store, "a")).bytes_async()
assert asyncio.run(main()) == b"async"
states["async machinery"] = gil()
import objstore.fsspec, objstore.store, objstore.auth
states["objstore.fsspec"] = gil()
print("FREE" if free else "GIL", json.dumps(states))
"""


def test_gil_stays_disabled_on_a_free_threaded_build():
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    env["PYTHONPATH"] = str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", _GIL_STATES],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    kind, _, states = result.stdout.strip().partition(" ")
    states = json.loads(states)
    assert kind == ("FREE" if FREE_THREADED else "GIL") and len(states) == 5, result.stdout
    if FREE_THREADED:
        assert not any(states.values()), f"the GIL was enabled: {states}"
    else:
        assert all(states.values()), states


# ---- first use and shared caches, raced ---------------------------------------------

# In a fresh interpreter (nothing loaded yet), 8 threads released together
# do every lazily initialized thing at once.
_FIRST_USE = r"""
import json, threading
import objstore
from objstore import _async, _bytes, _ffi, _uploads
from objstore.store import MemoryStore

N = 8
store = MemoryStore()
barrier = threading.Barrier(N)
seen = [None] * N
errors = []

def first_use(i):
    try:
        barrier.wait()
        L = _ffi.lib()
        handle = store._handle()
        seen[i] = (id(L), id(_async.lib()), id(_uploads._lib()), id(_ffi.fast()), id(handle),
                   id(_bytes._class_for(12345)), _async.queue_fd())
        objstore.put(store, f"k{i}", b"v%d" % i)
    except BaseException as e:
        errors.append(repr(e))

threads = [threading.Thread(target=first_use, args=(i,)) for i in range(N)]
for t in threads: t.start()
for t in threads: t.join(60)
assert not errors, errors
assert not any(t.is_alive() for t in threads)
print(json.dumps({"distinct": [len(set(column)) for column in zip(*seen)],
                  "stores": _async.debug_stats()["stores"],
                  "read": [bytes(objstore.get(store, f"k{i}").bytes()).decode() for i in range(N)]}))
"""


def test_first_use_from_many_threads_at_once_loads_and_opens_once():
    for _ in range(3):  # a race lost rarely still shows up in one of a few fresh runs
        result = subprocess.run([sys.executable, "-c", _FIRST_USE], capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(SRC_DIR)})
        assert result.returncode == 0, result.stderr[-3000:]
        out = json.loads(result.stdout)
        # One library, one declaration of each module's functions, one store
        # handle, one class per length, one queue fd, whoever came first.
        assert out["distinct"] == [1] * 7, out
        assert out["stores"] == 1 and out["read"] == [f"v{i}" for i in range(8)], out


def _at_once(work, threads: int = 8, timeout: float = 120) -> None:
    """Run work(i) on `threads` threads released together; fail with what
    any of them raised, or if one is still running after `timeout`."""
    barrier = threading.Barrier(threads)
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(f"{i}: {e!r}")

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(timeout)
    assert not errors and not any(t.is_alive() for t in started), errors


def test_bytes_class_cache_under_threads():
    from objstore import _bytes

    def churn(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(3_000):
            n = rng.randrange(1, 3 * _bytes._MAX_CLASSES)  # more lengths than the cache keeps
            data = bytes([seed]) * n
            b = objstore.Bytes(data)
            assert b == data and len(memoryview(b)) == n and bytes(b[1:]) == data[1:]

    _at_once(churn)
    assert 0 < _bytes.cached_lengths() <= _bytes._MAX_CLASSES


def test_a_handle_closed_by_many_threads_at_once_is_freed_once():
    from objstore import _async

    before = _async.debug_stats()["stores"]
    handles = [MemoryStore()._handle() for _ in range(20)]
    assert _async.debug_stats()["stores"] == before + 20

    def close_all(_: int) -> None:
        for h in handles:
            h.close()

    _at_once(close_all, timeout=60)
    assert all(h.handle is None for h in handles)
    assert _async.debug_stats()["stores"] == before


def test_small_buffers_dropped_by_many_threads_are_each_freed_once(monkeypatch):
    from objstore import _ffi

    store = MemoryStore()
    objstore.put(store, "k", b"x" * 100)
    before = objstore.debug_stats()["buffers"]  # nothing waits for a batch from here on
    free_many = _ffi._lib.objstore_buffers_free
    codes: list[int] = []
    freed: list[int] = []

    def checked(bufs, n):
        rc = free_many(bufs, n)
        codes.append(rc)  # a buffer freed twice would be refused: rc != 0
        freed.append(n)
        return rc

    monkeypatch.setattr(_ffi._lib, "objstore_buffers_free", checked)

    def get_and_drop(_: int) -> None:
        for _ in range(2_000):
            assert bytes(objstore.get(store, "k").bytes()[:1]) == b"x"

    _at_once(get_and_drop)
    assert objstore.debug_stats()["buffers"] == before  # the waiting ones are freed first
    assert sum(freed) == 8 * 2_000 and set(codes) == {0}


_MADE: list = []


def _slow_session() -> object:
    time.sleep(0.05)  # widen the window a race would need
    _MADE.append(object())
    return _MADE[-1]


def test_a_provider_session_is_made_once_by_racing_asks():
    from objstore.auth._http import PicklableSession

    _MADE.clear()
    sessions = PicklableSession(None, _slow_session)
    got = []
    _at_once(lambda _: got.append(sessions.get()), timeout=30)
    assert len(_MADE) == 1 and len(got) == 8 and all(s is _MADE[0] for s in got)
    copy = pickle.loads(pickle.dumps(sessions))  # the lock is not pickled; the copy makes its own
    assert copy.get() is _MADE[1] and copy.reset() is _MADE[1] and copy.get() is _MADE[2]
