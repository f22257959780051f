"""The async API over the completion queue: many concurrent requests,
cancellation that leaves nothing behind, the fallback waiter thread, several
event loops, and callbacks only ever on Python's own threads."""

from __future__ import annotations

import asyncio
import gc
import threading
from datetime import timedelta

import pytest

import objstore
from objstore import _async
from objstore.store import MemoryStore

from _async_helpers import SilentServer, leak_free, settle

N = 10_000


def _body(i: int) -> bytes:
    return b"object %d " % i + b"x" * (i % 97)


@pytest.fixture(scope="module")
def filled_store():
    store = MemoryStore()
    for i in range(N):
        objstore.put(store, f"obj/{i:05d}", _body(i))
    return store


def test_10k_concurrent_get_async_memory(filled_store):
    base = objstore.debug_stats()

    async def main():
        results = await asyncio.gather(*(objstore.get_async(filled_store, f"obj/{i:05d}") for i in range(N)))
        bad = [i for i, r in enumerate(results) if r.bytes() != _body(i)]
        assert bad == []
        assert results[5].meta["path"] == "obj/00005" and results[5].meta["size"] == len(_body(5))

    asyncio.run(main())
    assert _async.in_flight() == 0
    assert settle(leak_free(base)), objstore.debug_stats()


def test_every_async_operation(store):
    async def main():
        res = await objstore.put_async(store, "dir/a.txt", b"hello async")
        assert res["e_tag"]
        assert await objstore.get_range_async(store, "dir/a.txt", start=6, end=11) == b"async"
        assert await objstore.get_ranges_async(store, "dir/a.txt", starts=[0, 6], lengths=[5, 5]) == [b"hello", b"async"]
        meta = await objstore.head_async(store, "dir/a.txt")
        assert meta["size"] == 11
        r = await store.get_async("dir/a.txt")
        assert await r.bytes_async() == b"hello async"
        await store.copy_async("dir/a.txt", "dir/b.txt")
        with pytest.raises(objstore.exceptions.AlreadyExistsError):
            await objstore.copy_async(store, "dir/a.txt", "dir/b.txt", overwrite=False)
        await store.rename_async("dir/b.txt", "dir/sub/c.txt")
        level = await store.list_with_delimiter_async("dir")
        assert level["common_prefixes"] == ["dir/sub"]
        assert [m["path"] for m in level["objects"]] == ["dir/a.txt"]
        with pytest.raises(objstore.exceptions.NotSupportedError):
            await objstore.sign_async(store, "GET", "dir/a.txt", timedelta(minutes=1))
        await store.delete_async(["dir/a.txt", "dir/sub/c.txt"])
        with pytest.raises(FileNotFoundError):
            await objstore.get_async(store, "dir/a.txt")
        with pytest.raises(FileNotFoundError):
            await store.head_async("dir/sub/c.txt")

    asyncio.run(main())


def test_bad_arguments_fail_at_submit(memory_store):
    async def main():
        with pytest.raises(objstore.exceptions.InvalidPathError):
            await objstore.get_async(memory_store, "a//b")
        with pytest.raises(TypeError):
            await objstore.head_async(object(), "a")
        assert _async.in_flight() == 0

    asyncio.run(main())


def test_cancel_1000_in_flight_leaves_nothing_behind():
    server = SilentServer()
    store = server.store()
    try:
        base = None

        async def main():
            nonlocal base
            objstore.debug_stats()  # load the library before the baseline
            await asyncio.sleep(0)
            base = objstore.debug_stats()
            tasks = [asyncio.ensure_future(objstore.get_range_async(store, f"never/{i}", start=0, end=10)) for i in range(1000)]
            while objstore.debug_stats()["requests_in_flight"] < 1000:
                await asyncio.sleep(0.01)
            stats = objstore.debug_stats()
            running = stats["requests_running"]
            assert 0 < running <= objstore.set_runtime()["async_limit"]  # the rest wait in the library's queue
            for t in tasks:
                t.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            # Late completions (CANCELLED) arrive and are dropped.
            for _ in range(500):
                if _async.in_flight() == 0:
                    break
                await asyncio.sleep(0.01)
            assert _async.in_flight() == 0

        asyncio.run(main())
        # Connections the HTTP client finished dialing after the cancel sit in
        # its idle pool; closing the listener resets them.
        server.close()
        assert settle(leak_free(base)), (base, objstore.debug_stats())
    finally:
        server.close()


def test_wait_for_timeout_cancels_the_request():
    server = SilentServer()
    try:
        store = server.store()
        base = objstore.debug_stats()

        async def main():
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(objstore.get_async(store, "slow"), 0.2)
            for _ in range(300):
                if _async.in_flight() == 0:
                    break
                await asyncio.sleep(0.01)

        asyncio.run(main())
        server.close()
        assert settle(leak_free(base)), (base, objstore.debug_stats())
    finally:
        server.close()


def test_waiter_thread_fallback(filled_store, monkeypatch):
    monkeypatch.setattr(_async, "FORCE_WAITER_THREAD", True)
    main_thread = threading.get_ident()
    seen_threads = set()
    real_deliver = _async._deliver

    def recording_deliver(req, outcome, ok):
        seen_threads.add(threading.get_ident())
        real_deliver(req, outcome, ok)

    monkeypatch.setattr(_async, "_deliver", recording_deliver)

    async def main():
        results = await asyncio.gather(*(objstore.get_range_async(filled_store, f"obj/{i:05d}", start=0, end=8) for i in range(500)))
        assert [bytes(r) for r in results] == [_body(i)[:8] for i in range(500)]

    asyncio.run(main())
    assert seen_threads == {main_thread}


def test_two_event_loops_in_two_threads(filled_store):
    errors = []

    def run(offset: int):
        me = threading.get_ident()

        async def main():
            futs = [asyncio.ensure_future(objstore.get_range_async(filled_store, f"obj/{i:05d}", start=0, end=10)) for i in range(offset, offset + 2000)]
            done_threads = set()
            for f in futs:
                f.add_done_callback(lambda _f: done_threads.add(threading.get_ident()))
            results = await asyncio.gather(*futs)
            assert [bytes(r) for r in results] == [_body(i)[:10] for i in range(offset, offset + 2000)]
            assert done_threads == {me}

        try:
            asyncio.run(main())
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k * 2000,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_callbacks_run_on_python_threads_only(memory_store, monkeypatch):
    """Progress callbacks, future done-callbacks and completion handling
    all run on the thread that called (sync) or on the loop's thread."""
    caller = threading.get_ident()
    sync_progress = []
    objstore.put(memory_store, "big", b"z" * 300_000, chunk_size=65536, use_multipart=True,
                 progress=lambda done, total: sync_progress.append((threading.get_ident(), done, total)))
    assert sync_progress and {t for t, _, _ in sync_progress} == {caller}
    assert sync_progress[-1][1:] == (300_000, 300_000)

    dispatch_threads = set()
    real_dispatch = _async._dispatch

    def recording_dispatch(c):
        dispatch_threads.add(threading.get_ident())
        real_dispatch(c)

    monkeypatch.setattr(_async, "_dispatch", recording_dispatch)

    def in_thread():
        loop_thread = threading.get_ident()
        events = []

        async def main():
            await objstore.put_async(memory_store, "big2", b"y" * 300_000, chunk_size=65536,
                                     progress=lambda d, t: events.append(("progress", threading.get_ident())))
            futs = [asyncio.ensure_future(objstore.head_async(memory_store, "big2")) for _ in range(50)]
            for f in futs:
                f.add_done_callback(lambda _f: events.append(("done", threading.get_ident())))
            await asyncio.gather(*futs)
            async for chunk in (await objstore.get_async(memory_store, "big2")).stream(100_000):
                events.append(("chunk", threading.get_ident()))

        asyncio.run(main())
        return loop_thread, events

    result = {}
    t = threading.Thread(target=lambda: result.update(zip(("thread", "events"), in_thread())))
    t.start()
    t.join(30)
    assert {kind for kind, _ in result["events"]} == {"progress", "done", "chunk"}
    assert {tid for _, tid in result["events"]} == {result["thread"]}
    assert dispatch_threads == {result["thread"]}


def test_set_runtime_round_trip():
    before = objstore.set_runtime()
    assert before["max_procs"] >= 1 and before["memory_limit"] > 0 and before["async_limit"] == 256
    prev = objstore.set_runtime(max_procs=1, memory_limit=1 << 40, async_limit=64)
    assert prev == before
    now = objstore.set_runtime(max_procs=before["max_procs"], memory_limit=before["memory_limit"], async_limit=before["async_limit"])
    assert now == {"max_procs": 1, "memory_limit": 1 << 40, "async_limit": 64}
    with pytest.raises(ValueError):
        objstore.set_runtime(max_procs=0)


def test_debug_stats_count_live_buffers(memory_store):
    objstore.put(memory_store, "a", b"12345")
    gc.collect()
    base = objstore.debug_stats()
    held = [objstore.get(memory_store, "a").bytes() for _ in range(10)]
    now = objstore.debug_stats()
    assert now["buffers"] == base["buffers"] + 10
    assert now["buffer_bytes"] >= base["buffer_bytes"] + 50
    del held
    assert settle(lambda: objstore.debug_stats()["buffers"] == base["buffers"])


def test_put_buffer_stays_borrowed_until_the_request_ends():
    """A cancelled put's buffer is still read by the library until its
    request ends: it stays exported (a bytearray cannot be resized) until the
    late completion arrives, and is released then."""
    server = SilentServer()
    try:
        store = server.store()
        data = bytearray(b"d" * 100_000)

        async def main():
            task = asyncio.ensure_future(objstore.put_async(store, "slow/put", data))
            while objstore.debug_stats()["requests_running"] == 0:
                await asyncio.sleep(0.01)
            with pytest.raises(BufferError):
                data.extend(b"x")  # the library reads it in place right now
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Cancelled in Python; the library may still be reading `data`.
            # Once the CANCELLED completion is handled, the buffer is free.
            for _ in range(500):
                if _async.in_flight() == 0:
                    break
                await asyncio.sleep(0.01)
            assert _async.in_flight() == 0
            data.extend(b"more")  # would raise BufferError while still borrowed

        asyncio.run(main())
        assert len(data) == 100_004
    finally:
        server.close()


def test_reader_stays_between_waves_and_leaves_when_idle(filled_store):
    """The fd's reader is added once for many waves of requests on a loop
    (not added and removed per wave), and removed when it fires on a loop
    with nothing in flight; a closed loop is forgotten."""
    calls = {"add": 0, "remove": 0}

    class CountingLoop(asyncio.SelectorEventLoop):
        def add_reader(self, fd, cb, *args):
            calls["add"] += 1
            return super().add_reader(fd, cb, *args)

        def remove_reader(self, fd):
            calls["remove"] += 1
            return super().remove_reader(fd)

    def registered(loop) -> bool:
        try:
            loop._selector.get_key(_async.queue_fd())
        except KeyError:
            return False
        return True

    async def main():
        loop = asyncio.get_running_loop()
        for wave in range(20):
            got = await objstore.get_range_async(filled_store, f"obj/{wave:05d}", start=0, end=8)
            assert bytes(got) == _body(wave)[:8]
        assert calls == {"add": 1, "remove": 0}
        assert registered(loop) and _async._watches[loop].count == 0
        _async._drain()  # what the reader runs when another loop's completions wake it
        assert calls == {"add": 1, "remove": 1}
        assert not registered(loop) and loop not in _async._watches
        assert bytes(await objstore.get_range_async(filled_store, "obj/00001", start=0, end=8)) == _body(1)[:8]
        assert calls == {"add": 2, "remove": 1}
        return loop

    loop = CountingLoop()
    try:
        first = loop.run_until_complete(main())
    finally:
        loop.close()
    assert first in _async._watches  # its reader outlived its requests

    async def another():
        return await objstore.get_range_async(filled_store, "obj/00002", start=0, end=8)

    assert bytes(asyncio.run(another())) == _body(2)[:8]
    assert first not in _async._watches
    assert _async.in_flight() == 0
