"""Per-call cost of small synchronous calls, and how they scale over threads.

    PYTHONPATH=bindings/python/src python3 bindings/python/benchmarks/small_calls.py

Single thread (best mean of interleaved batches, robust on a busy machine):
``get(store, k).bytes()`` and ``get_range`` of a 16-byte object on a
MemoryStore, the Bytes view alone (the class cache's hot path),
``memoryview(b)`` (a buffer export) and one ``get_async`` in a running loop.

Threads (``--threads N``, default 1 2 4 8): N threads each doing the same
``get().bytes()`` loop on one shared MemoryStore for ``--seconds``; the
aggregate rate shows whether shared state serializes the threads (on a
free-threaded build it should grow with the cores; with the GIL it cannot).

Point PYTHONPATH at another checkout's src (with OBJSTORE_LIBRARY set to a
built library) to compare before/after. Timings are informational, never
assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import sys
import threading
import time

import objstore
from objstore import _bytes
from objstore.store import MemoryStore

from ffi_overhead import BATCH, measure  # this folder: run as a script

ROUNDS = 60


def single_thread(store) -> dict:
    get, get_range = objstore.get, objstore.get_range
    body = get(store, "k").bytes()
    address = ctypes.addressof(body)

    async def get_async_batch():
        for _ in range(BATCH):
            await objstore.get_async(store, "k")

    loop = asyncio.new_event_loop()
    try:
        results = measure(
            {
                "get(store, k).bytes()": lambda: get(store, "k").bytes(),
                "get_range(store, k, 0..8)": lambda: get_range(store, "k", start=0, end=8),
                "Bytes view (class cache hit)": lambda: _bytes._view(address, 16, body),
                "memoryview(Bytes)": lambda: memoryview(body),
            }
        )
        best = float("inf")
        for _ in range(ROUNDS // 4):
            t = time.perf_counter()
            loop.run_until_complete(get_async_batch())
            best = min(best, (time.perf_counter() - t) / BATCH * 1e9)
        results["get_async(store, k) (awaited one by one)"] = best
    finally:
        loop.close()
    return results


def threaded_rate(store, n: int, seconds: float) -> float:
    """Aggregate get().bytes() calls per second of n threads."""
    counts = [0] * n
    stop = threading.Event()
    start = threading.Barrier(n + 1)

    def work(i: int) -> None:
        get = objstore.get
        start.wait()
        c = 0
        while not stop.is_set():
            for _ in range(100):
                get(store, "k").bytes()
            c += 100
        counts[i] = c

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2, 4, 8])
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"Python {sys.version.split()[0]} ({'GIL' if gil else 'free-threaded'}), objstore from {objstore.__file__}")
    store = MemoryStore()
    objstore.put(store, "k", b"x" * 16)
    for name, ns in single_thread(store).items():
        print(f"  {name:45s} {ns:8.0f} ns")
    for n in args.threads:
        rate = threaded_rate(store, n, args.seconds)
        print(f"  {n} thread(s): get().bytes() {rate / 1e3:8.0f} k calls/s")
    if getattr(sys, "_is_gil_enabled", lambda: True)() != gil:
        print("  note: the GIL state changed during the run")


if __name__ == "__main__":
    main()
