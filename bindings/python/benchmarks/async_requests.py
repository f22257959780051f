"""Per-request cost of the async API and of get_many.

    PYTHONPATH=bindings/python/src python3 bindings/python/benchmarks/async_requests.py
    buildscripts/with-servers.sh minio -- env PYTHONPATH=bindings/python/src \\
        python3 bindings/python/benchmarks/async_requests.py --s3

1. get_async / get_range_async on a MemoryStore with 10,000 requests in
   flight at once: wall time and process CPU time (Python and the library's
   Go threads together) per request; the sync get_range loop for reference.
2. With --s3 (the MinIO test server): 1,000 objects of 16 KiB read with one
   get_many call vs a loop of get(...).bytes(), and vs 1,000 concurrent
   get_async.

Best of --repeat runs each. Timings are informational, never assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

import objstore
from objstore.store import MemoryStore, S3Store


def measure(fn, repeat: int) -> tuple[float, float]:
    """Best (wall, cpu) seconds of fn() over `repeat` runs."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if w < best[0]:
            best = (w, c)
    return best


def report(name: str, n: int, wall: float, cpu: float) -> None:
    print(f"  {name:<44} {wall / n * 1e6:8.1f} us wall/req {cpu / n * 1e6:8.1f} us CPU/req   ({n} requests, {wall:.3f} s)")


def memory_bench(n: int, repeat: int) -> None:
    store = MemoryStore()
    for i in range(n):
        objstore.put(store, f"o/{i:05d}", b"%016d" % i)
    paths = [f"o/{i:05d}" for i in range(n)]
    print(f"MemoryStore, 16-byte objects, {n} concurrent requests (GOMAXPROCS={objstore.set_runtime()['max_procs']}):")

    async def gets():
        rs = await asyncio.gather(*(objstore.get_async(store, p) for p in paths))
        assert rs[-1].bytes() == b"%016d" % (n - 1)

    async def ranges():
        rs = await asyncio.gather(*(objstore.get_range_async(store, p, start=0, end=16) for p in paths))
        assert rs[-1] == b"%016d" % (n - 1)

    report("get_async + .bytes() (prefetched body)", n, *measure(lambda: asyncio.run(gets()), repeat))
    report("get_range_async", n, *measure(lambda: asyncio.run(ranges()), repeat))

    def sync_loop():
        for p in paths:
            objstore.get_range(store, p, start=0, end=16)

    report("sync get_range loop (reference)", n, *measure(sync_loop, repeat))
    report("get_many (one call)", n, *measure(lambda: objstore.get_many(store, paths), repeat))


def s3_store() -> S3Store:
    env = {k: os.environ.get("OBJSTORE_TEST_MINIO_" + k) for k in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET")}
    if not all(env.values()):
        sys.exit("--s3 needs the MinIO test server: run via buildscripts/with-servers.sh minio -- ...")
    return S3Store(
        env["BUCKET"],
        prefix="bench-" + uuid.uuid4().hex,
        endpoint=env["ENDPOINT"],
        access_key_id=env["ACCESS_KEY"],
        secret_access_key=env["SECRET_KEY"],
        region="us-east-1",
        client_options={"allow_http": True},
    )


def s3_bench(n: int, size: int, repeat: int) -> None:
    store = s3_store()
    body = os.urandom(size)

    async def fill():
        sem = asyncio.Semaphore(128)

        async def one(i):
            async with sem:
                await objstore.put_async(store, f"b/{i:05d}", body)

        await asyncio.gather(*(one(i) for i in range(n)))

    asyncio.run(fill())
    paths = [f"b/{i:05d}" for i in range(n)]
    print(f"S3 (MinIO test server), {n} objects of {size // 1024} KiB:")

    def loop():
        for p in paths:
            assert len(objstore.get(store, p).bytes()) == size

    def many():
        rs = objstore.get_many(store, paths)
        assert all(len(r) == size for r in rs)

    async def gathered():
        rs = await asyncio.gather(*(objstore.get_async(store, p) for p in paths))
        assert all(len(r.bytes()) == size for r in rs)

    lw, lc = measure(loop, repeat)
    mw, mc = measure(many, repeat)
    aw, ac = measure(lambda: asyncio.run(gathered()), repeat)
    report("loop of get(...).bytes()", n, lw, lc)
    report("get_many (one call, 64 concurrent)", n, mw, mc)
    report("1,000 concurrent get_async", n, aw, ac)
    print(f"  get_many is {lw / mw:.1f}x faster than the loop (wall)")
    objstore.delete(store, paths)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--s3", action="store_true", help="also run the get_many vs loop benchmark on MinIO")
    args = ap.parse_args()
    memory_bench(args.n, args.repeat)
    if args.s3:
        s3_bench(1000, 16 * 1024, args.repeat)


if __name__ == "__main__":
    main()
