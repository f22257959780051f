"""One benchmark workload for one library, in this process; prints one JSON line.

    python workloads.py setup
    python workloads.py WORKLOAD VARIANT

Run by compare.py (``make bench``), once per workload, variant and round, each
in a fresh process so that peak RSS and CPU time belong to that run alone.
The timed region excludes imports, store construction and a warm-up; its CPU
time is getrusage(RUSAGE_SELF) user+sys of this (client) process, Go and
Rust threads included. The S3 server is another process, so its CPU is not
counted. Nothing here asserts a timing.

Environment: BENCH_S3_ENDPOINT and BENCH_S3_BUCKET (an S3 server that
accepts any credentials), BENCH_DATA_DIR (a directory for LocalStore files),
and the BENCH_* sizes read below.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import random
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SMALL_COUNT = env_int("BENCH_SMALL_COUNT", 10_000)
SMALL_SIZE = env_int("BENCH_SMALL_SIZE", 16 * 1024)
IN_FLIGHT = env_int("BENCH_IN_FLIGHT", 64)
BIG_SIZE = env_int("BENCH_BIG_SIZE", 1 << 30)
PART_SIZE = env_int("BENCH_PART_SIZE", 8 << 20)
PART_CONCURRENCY = env_int("BENCH_PART_CONCURRENCY", 12)
LIST_COUNT = env_int("BENCH_LIST_COUNT", 100_000)
MEMORY_CALLS = env_int("BENCH_MEMORY_CALLS", 20_000)
LOCAL_SIZE = env_int("BENCH_LOCAL_SIZE", 256 << 20)
LOCAL_READS = env_int("BENCH_LOCAL_READS", 4)
PICKLE_CALLS = env_int("BENCH_PICKLE_CALLS", 5_000)
RANGES_OBJECT = env_int("BENCH_RANGES_OBJECT", 128 << 20)
RANGES_COUNT = env_int("BENCH_RANGES_COUNT", 100)
RANGES_LENGTH = env_int("BENCH_RANGES_LENGTH", 32 * 1024)
RANGES_CALLS = env_int("BENCH_RANGES_CALLS", 10)

ACCESS_KEY, SECRET_KEY, REGION = "bench", "benchsecret", "us-east-1"

SMALL_KEYS = [f"small/{i:05d}" for i in range(SMALL_COUNT)]
BIG_KEY = "big/object"
PUT_KEY = "big/put-target"
LIST_PREFIX = "list"
RANGES_KEY = "ranges/object"
LOCAL_FILE = "local-object"


def endpoint() -> tuple[str, str]:
    return os.environ["BENCH_S3_ENDPOINT"], os.environ["BENCH_S3_BUCKET"]


def ranges() -> tuple[list[int], list[int]]:
    rnd = random.Random(7)
    starts = sorted(rnd.randrange(0, RANGES_OBJECT - RANGES_LENGTH) for _ in range(RANGES_COUNT))
    return starts, [s + RANGES_LENGTH for s in starts]


# ---- stores of each library, on the same server with the same settings ------


def ours_s3():
    from objstore.store import S3Store

    url, bucket = endpoint()
    return S3Store(
        bucket,
        endpoint=url,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        client_options={"allow_http": "true"},
    )


def obstore_s3():
    from obstore.store import S3Store

    url, bucket = endpoint()
    return S3Store(
        bucket,
        endpoint=url,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        client_options={"allow_http": True},
    )


def s3fs_fs(asynchronous: bool):
    import s3fs

    url, _ = endpoint()
    return s3fs.S3FileSystem(
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        endpoint_url=url,
        client_kwargs={"region_name": REGION},
        config_kwargs={"max_pool_connections": IN_FLIGHT},
        asynchronous=asynchronous,
        skip_instance_cache=True,
    )


# ---- setup: objects every workload reads, written once per server start ------


def setup() -> dict:
    """Writes the shared objects with this library's fastest concurrent put."""
    import objstore
    from objstore.store import S3Store  # noqa: F401  (fail early if missing)

    store = ours_s3()
    t = time.perf_counter()
    small = os.urandom(SMALL_SIZE)
    list_keys = [f"{LIST_PREFIX}/{i // 1000:03d}/{i:06d}" for i in range(LIST_COUNT)]

    def put_all(keys, data):
        if hasattr(objstore, "put_async"):
            asyncio.run(bounded(lambda k: objstore.put_async(store, k, data), keys, IN_FLIGHT))
            return
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            for _ in pool.map(lambda k: objstore.put(store, k, data), keys, chunksize=64):
                pass

    put_all(SMALL_KEYS, small)
    put_all(list_keys, b"x")
    big = bytearray(os.urandom(1 << 20)) * (BIG_SIZE >> 20)
    objstore.put(store, BIG_KEY, big, chunk_size=PART_SIZE)
    objstore.put(store, RANGES_KEY, memoryview(big)[:RANGES_OBJECT], chunk_size=PART_SIZE)
    del big
    data_dir = os.environ["BENCH_DATA_DIR"]
    with open(os.path.join(data_dir, LOCAL_FILE), "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(LOCAL_SIZE >> 20):
            f.write(block)
    return {"seconds": time.perf_counter() - t, "put": "put_async" if hasattr(objstore, "put_async") else "threads"}


# ---- workloads: each returns (operations, bytes) after timing itself ------------


class Timer:
    """Wall and CPU time of the block; peak RSS is read by the parent."""

    def __enter__(self):
        self.r0 = resource.getrusage(resource.RUSAGE_SELF)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = (r1.ru_utime - self.r0.ru_utime) + (r1.ru_stime - self.r0.ru_stime)


async def bounded(coros_factory, keys, limit):
    sem = asyncio.Semaphore(limit)

    async def one(k):
        async with sem:
            return await coros_factory(k)

    return await asyncio.gather(*(one(k) for k in keys))


def small_gets(variant: str):
    keys = SMALL_KEYS[: env_int("BENCH_SMALL_COUNT_USED", SMALL_COUNT)]
    warm = keys[: IN_FLIGHT * 2]
    if variant == "ours-get_many":
        import objstore

        store = ours_s3()
        objstore.get_many(store, warm)
        with Timer() as t:
            out = objstore.get_many(store, keys)
            n = sum(len(b) for b in out)
    elif variant == "ours-async":
        import objstore

        store = ours_s3()

        async def one(k):
            r = await objstore.get_async(store, k)
            return await r.bytes_async()

        async def run(ks):
            return await bounded(one, ks, IN_FLIGHT)

        asyncio.run(run(warm))
        with Timer() as t:
            out = asyncio.run(run(keys))
            n = sum(len(b) for b in out)
    elif variant == "ours-threads":
        import objstore

        store = ours_s3()

        def one(k):
            return objstore.get(store, k).bytes()

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(one, warm))
            with Timer() as t:
                out = list(pool.map(one, keys, chunksize=16))
                n = sum(len(b) for b in out)
    elif variant == "obstore-async":
        import obstore

        store = obstore_s3()

        async def one(k):
            r = await obstore.get_async(store, k)
            return await r.bytes_async()

        async def run(ks):
            return await bounded(one, ks, IN_FLIGHT)

        asyncio.run(run(warm))
        with Timer() as t:
            out = asyncio.run(run(keys))
            n = sum(len(b) for b in out)
    elif variant == "s3fs-async":
        _, bucket = endpoint()

        async def run(ks):
            fs = s3fs_fs(asynchronous=True)
            session = await fs.set_session()
            await bounded(lambda k: fs._cat_file(f"{bucket}/{k}"), warm, IN_FLIGHT)
            with Timer() as t:
                out = await bounded(lambda k: fs._cat_file(f"{bucket}/{k}"), ks, IN_FLIGHT)
            await session.close()
            return t, out

        t, out = asyncio.run(run(keys))
        n = sum(len(b) for b in out)
    else:
        raise SystemExit(f"unknown variant {variant}")
    if n != len(keys) * SMALL_SIZE:
        raise SystemExit(f"{variant}: read {n} bytes, expected {len(keys) * SMALL_SIZE}")
    return t, len(keys), n


def rss_now() -> int:
    """This process's resident set size now (bytes)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def big_get(variant: str):
    lib, store = library(variant)
    lib.get(store, SMALL_KEYS[0]).bytes()  # connect
    EXTRA["rss_before"] = rss_now()
    with Timer() as t:
        data = lib.get(store, BIG_KEY).bytes()
        n = len(data)
    if n != BIG_SIZE:
        raise SystemExit(f"{variant}: read {n} bytes, expected {BIG_SIZE}")
    return t, 1, n


def big_put(variant: str):
    lib, store = library(variant)
    lib.get(store, SMALL_KEYS[0]).bytes()  # connect
    data = bytearray(os.urandom(1 << 20)) * (BIG_SIZE >> 20)
    with Timer() as t:
        lib.put(store, PUT_KEY, memoryview(data), chunk_size=PART_SIZE, max_concurrency=PART_CONCURRENCY)
    size = lib.head(store, PUT_KEY)["size"]
    if size != BIG_SIZE:
        raise SystemExit(f"{variant}: stored {size} bytes, expected {BIG_SIZE}")
    return t, 1, BIG_SIZE


def list_keys(variant: str):
    lib, store = library(variant)
    lib.get(store, SMALL_KEYS[0]).bytes()  # connect
    with Timer() as t:
        items = lib.list(store, LIST_PREFIX, chunk_size=1000).collect()
    if len(items) != LIST_COUNT:
        raise SystemExit(f"{variant}: listed {len(items)} objects, expected {LIST_COUNT}")
    return t, len(items), 0


def get_ranges(variant: str):
    lib, store = library(variant)
    starts, ends = ranges()
    lib.get_ranges(store, RANGES_KEY, starts=starts[:2], ends=ends[:2])  # connect
    n = 0
    with Timer() as t:
        for _ in range(RANGES_CALLS):
            out = lib.get_ranges(store, RANGES_KEY, starts=starts, ends=ends)
            n += sum(len(b) for b in out)
            del out
    if n != RANGES_CALLS * RANGES_COUNT * RANGES_LENGTH:
        raise SystemExit(f"{variant}: read {n} bytes")
    return t, RANGES_CALLS, n


def memory_calls(variant: str, op: str):
    if variant.startswith("ours"):
        import objstore as lib
        from objstore.store import MemoryStore
    else:
        import obstore as lib
        from obstore.store import MemoryStore
    store = MemoryStore()
    data = os.urandom(1024)
    lib.put(store, "k", data)
    get, put = lib.get, lib.put
    for _ in range(1000):
        get(store, "k").bytes()
        put(store, "k", data)
    calls = range(MEMORY_CALLS)
    if op == "get":
        with Timer() as t:
            for _ in calls:
                get(store, "k").bytes()
    else:
        with Timer() as t:
            for _ in calls:
                put(store, "k", data)
    return t, MEMORY_CALLS, MEMORY_CALLS * 1024


def local_read(variant: str):
    data_dir = os.environ["BENCH_DATA_DIR"]
    path = os.path.join(data_dir, LOCAL_FILE)
    size = os.path.getsize(path)
    if variant == "readinto":
        buf = bytearray(size)  # preallocated (and touched) before timing
        with Timer() as t:
            for _ in range(LOCAL_READS):
                with open(path, "rb", buffering=0) as f:
                    n = f.readinto(buf)
                if n != size:
                    raise SystemExit("short read")
        return t, LOCAL_READS, size * LOCAL_READS
    if variant.startswith("ours"):
        import objstore as lib
        from objstore.store import LocalStore
    else:
        import obstore as lib
        from obstore.store import LocalStore
    store = LocalStore(data_dir)
    lib.head(store, LOCAL_FILE)
    with Timer() as t:
        for _ in range(LOCAL_READS):
            b = lib.get(store, LOCAL_FILE).bytes()
            if len(b) != size:
                raise SystemExit("short read")
            del b
    return t, LOCAL_READS, size * LOCAL_READS


def pickle_roundtrip(variant: str):
    store = ours_s3() if variant.startswith("ours") else obstore_s3()
    dumps, loads = pickle.dumps, pickle.loads
    for _ in range(100):
        loads(dumps(store))
    # Up to PICKLE_CALLS round trips, stopping after about 2 s (obstore's
    # take milliseconds each).
    calls = 0
    with Timer() as t:
        deadline = time.perf_counter() + 2.0
        while calls < PICKLE_CALLS:
            for _ in range(50):
                loads(dumps(store))
            calls += 50
            if time.perf_counter() > deadline:
                break
    return t, calls, 0


def library(variant: str):
    if variant.startswith("ours"):
        import objstore

        return objstore, ours_s3()
    import obstore

    return obstore, obstore_s3()


WORKLOADS = {
    "small_gets": small_gets,
    "big_get": big_get,
    "big_put": big_put,
    "list": list_keys,
    "memory_get": lambda v: memory_calls(v, "get"),
    "memory_put": lambda v: memory_calls(v, "put"),
    "local_read": local_read,
    "pickle": pickle_roundtrip,
    "get_ranges": get_ranges,
}


EXTRA: dict = {}  # more measurements a workload reports


def available(variant: str) -> str | None:
    """Why a variant cannot run here (None if it can)."""
    if variant == "ours-get_many":
        import objstore

        if not hasattr(objstore, "get_many"):
            return "objstore.get_many is not available in this build"
    if variant == "ours-async":
        import objstore

        if not hasattr(objstore, "get_async"):
            return "objstore.get_async is not available in this build"
    return None


def main(argv: list[str]) -> None:
    if argv[1:] == ["setup"]:
        print(json.dumps(setup()))
        return
    workload, variant = argv[1], argv[2]
    why = available(variant)
    if why:
        print(json.dumps({"unavailable": why}))
        return
    t, ops, nbytes = WORKLOADS[workload](variant)
    print(json.dumps({"wall": t.wall, "cpu": t.cpu, "ops": ops, "bytes": nbytes, **EXTRA}))


if __name__ == "__main__":
    main(sys.argv)
