"""One benchmark workload for one library, in this process; prints one JSON line.

    python workloads.py setup [SERVICE [all|small]]
    python workloads.py WORKLOAD VARIANT

Run by compare.py (``make bench``), once per workload, variant and round, each
in a fresh process so that peak RSS and CPU time belong to that run alone.
The timed region excludes imports, store construction and a warm-up; its CPU
time is getrusage(RUSAGE_SELF) user+sys of this (client) process, Go and
Rust threads included. The servers are other processes, so their CPU is not
counted. Nothing here asserts a timing.

A workload is a function of its variant registered in WORKLOADS; a variant
names the library first ("ours...", "obstore...", "s3fs...", "readinto").
A workload that cannot run in this build prints {"unavailable": why}.

Environment (set by compare.py from buildscripts/bench/run.sh):
BENCH_S3_ENDPOINT and BENCH_S3_BUCKET (an S3 server that accepts any
credentials), BENCH_TLS_CA (the PEM of the test CA behind the S3 server's
HTTPS forward proxy, which is BENCH_S3_ENDPOINT itself), BENCH_GCS_ENDPOINT
and BENCH_AZURE_ENDPOINT (GCS and Azure Blob reads of the same bucket),
BENCH_DATA_DIR (a directory for LocalStore files), and the BENCH_* sizes
read below.
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
MEMORY_SIZE = 1024
LOCAL_SIZE = env_int("BENCH_LOCAL_SIZE", 256 << 20)
LOCAL_READS = env_int("BENCH_LOCAL_READS", 4)
PICKLE_CALLS = env_int("BENCH_PICKLE_CALLS", 5_000)
RANGES_OBJECT = env_int("BENCH_RANGES_OBJECT", 128 << 20)
RANGES_COUNT = env_int("BENCH_RANGES_COUNT", 100)
RANGES_LENGTH = env_int("BENCH_RANGES_LENGTH", 32 * 1024)
RANGES_CALLS = env_int("BENCH_RANGES_CALLS", 10)
# zarr: a square float32 array of ZARR_SIDE x ZARR_SIDE chunks of
# ZARR_CHUNK x ZARR_CHUNK elements (40 x 40 chunks of 16 KiB by default),
# uncompressed, so that the store and zarr's own per-chunk work are measured
# rather than a codec.
ZARR_SIDE = env_int("BENCH_ZARR_SIDE", 40)
ZARR_CHUNK = env_int("BENCH_ZARR_CHUNK", 64)

ACCESS_KEY, SECRET_KEY, REGION = "bench", "benchsecret", "us-east-1"
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

SMALL_KEYS = [f"small/{i:05d}" for i in range(SMALL_COUNT)]
BIG_KEY = "big/object"
PUT_KEY = "big/put-target"
LIST_PREFIX = "list"
RANGES_KEY = "ranges/object"
LOCAL_FILE = "local-object"
ZARR_READ = "zarr/read"


def bucket() -> str:
    return os.environ["BENCH_S3_BUCKET"]


def ranges() -> tuple[list[int], list[int]]:
    rnd = random.Random(7)
    starts = sorted(rnd.randrange(0, RANGES_OBJECT - RANGES_LENGTH) for _ in range(RANGES_COUNT))
    return starts, [s + RANGES_LENGTH for s in starts]


# ---- stores of each library, on the same server with the same settings ------
#
# A service is where the requests go and how the client is configured:
#   s3     path-style on a custom http endpoint (the S3-compatible setup)
#   aws    as an AWS user configures it: no endpoint, virtual-hosted
#          addressing (https://BUCKET.s3.REGION.amazonaws.com), a region,
#          default options; proxy_url and root_certificate route it to the
#          local server's HTTPS forward proxy and trust that proxy's test CA
#   s3tls  path-style on a custom https endpoint through the same proxy: the
#          TLS and proxy share of "aws", without its addressing
#   gcs    Google Cloud Storage on a custom endpoint
#   azure  Azure Blob on a custom endpoint


def aws_host() -> str:
    return f"https://s3.{REGION}.amazonaws.com"


def tls_options() -> dict:
    return {"proxy_url": os.environ["BENCH_S3_ENDPOINT"], "root_certificate": open(os.environ["BENCH_TLS_CA"]).read()}


def make_store(lib: str, service: str = "s3", prefix: str | None = None):
    """A store of library `lib` ("objstore" or "obstore") for `service`,
    both libraries given the same settings."""
    import importlib

    mod = importlib.import_module(f"{lib}.store")
    http = {"allow_http": True}
    s3 = {"prefix": prefix, "region": REGION, "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}
    if service == "s3":
        return mod.S3Store(bucket(), endpoint=os.environ["BENCH_S3_ENDPOINT"], client_options=http, **s3)
    if service == "aws":
        return mod.S3Store(bucket(), virtual_hosted_style_request=True, client_options=tls_options(), **s3)
    if service == "s3tls":
        return mod.S3Store(bucket(), endpoint=aws_host(), client_options=tls_options(), **s3)
    if service == "gcs" and lib == "objstore":
        return mod.GCSStore(bucket(), prefix=prefix, base_url=os.environ["BENCH_GCS_ENDPOINT"], client_options=http)
    if service == "gcs":
        # object_store's way to a GCS emulator: a service account document
        # naming the endpoint, with OAuth off.
        account = {"gcs_base_url": os.environ["BENCH_GCS_ENDPOINT"], "disable_oauth": True,
                   "client_email": "", "private_key": "", "private_key_id": ""}
        return mod.GCSStore(bucket(), prefix=prefix, service_account_key=json.dumps(account), client_options=http)
    if service == "azure":
        return mod.AzureStore(bucket(), prefix=prefix, account_name=AZURE_ACCOUNT, account_key=AZURE_KEY,
                              endpoint=os.environ["BENCH_AZURE_ENDPOINT"], client_options=http)
    raise SystemExit(f"unknown service {service}")


def ours_store(service: str = "s3", prefix: str | None = None):
    return make_store("objstore", service, prefix)


def obstore_store(service: str = "s3", prefix: str | None = None):
    return make_store("obstore", service, prefix)


# Kept for compare.py's unpickling check.
def ours_s3():
    return ours_store("s3")


def s3fs_fs(asynchronous: bool):
    import s3fs

    return s3fs.S3FileSystem(
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        endpoint_url=os.environ["BENCH_S3_ENDPOINT"],
        client_kwargs={"region_name": REGION},
        config_kwargs={"max_pool_connections": IN_FLIGHT},
        asynchronous=asynchronous,
        skip_instance_cache=True,
    )


def library(variant: str, service: str = "s3"):
    """The module and an S3 store of the library a variant names."""
    if variant.startswith("ours"):
        import objstore

        return objstore, ours_store(service)
    import obstore

    return obstore, obstore_store(service)


# ---- setup: objects every workload reads, written once per server start ------


def zarr_data():
    import numpy as np

    side = ZARR_SIDE * ZARR_CHUNK
    return np.arange(side * side, dtype="float32").reshape(side, side)


def create_zarr(store, data):
    import zarr

    return zarr.create_array(store, shape=data.shape, chunks=(ZARR_CHUNK, ZARR_CHUNK), dtype=data.dtype,
                             compressors=None, zarr_format=3, overwrite=True)


def setup(service: str = "s3", what: str = "all") -> dict:
    """Writes the shared objects with this library's fastest concurrent put,
    through `service`; what="small": only the small objects (for the
    cross-check servers, which are only asked for small reads)."""
    import objstore

    store = ours_store(service)
    t = time.perf_counter()

    def put_all(keys, data):
        asyncio.run(bounded(lambda k: objstore.put_async(store, k, data), keys, IN_FLIGHT))

    put_all(SMALL_KEYS, os.urandom(SMALL_SIZE))
    if what == "small":
        return {"seconds": time.perf_counter() - t}
    put_all([f"{LIST_PREFIX}/{i // 1000:03d}/{i:06d}" for i in range(LIST_COUNT)], b"x")
    big = bytearray(os.urandom(1 << 20)) * (BIG_SIZE >> 20)
    objstore.put(store, BIG_KEY, big, chunk_size=PART_SIZE)
    objstore.put(store, RANGES_KEY, memoryview(big)[:RANGES_OBJECT], chunk_size=PART_SIZE)
    del big
    with open(os.path.join(os.environ["BENCH_DATA_DIR"], LOCAL_FILE), "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(LOCAL_SIZE >> 20):
            f.write(block)
    from objstore.zarr import ZarrStore

    data = zarr_data()
    create_zarr(ZarrStore(ours_store("s3", ZARR_READ)), data)[:] = data
    return {"seconds": time.perf_counter() - t}


# ---- workloads: each returns (timer, operations, bytes) ------------------------


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


def addressing() -> dict:
    """s3bench-server's counts of S3 requests by how they came (see its
    GET /?stats): virtual_hosted, path_style, tls."""
    import urllib.request

    with urllib.request.urlopen(os.environ["BENCH_S3_ENDPOINT"] + "/?stats", timeout=10) as r:
        return json.load(r)


# How the requests of each TLS service must reach the server: a client that
# quietly fell back to another addressing would not measure the AWS path.
EXPECTED_ADDRESSING = {"aws": ("virtual_hosted", "tls"), "s3tls": ("path_style", "tls")}


def small_gets(variant: str, service: str = "s3"):
    """16 KiB objects, IN_FLIGHT requests in flight."""
    keys = SMALL_KEYS[: env_int("BENCH_SMALL_COUNT_USED", SMALL_COUNT)]
    warm = keys[: IN_FLIGHT * 2]
    before = addressing() if service in EXPECTED_ADDRESSING else {}
    if variant == "ours-get_many":
        import objstore

        store = ours_store(service)
        objstore.get_many(store, warm, max_concurrency=IN_FLIGHT)
        with Timer() as t:
            out = objstore.get_many(store, keys, max_concurrency=IN_FLIGHT)
            n = sum(len(b) for b in out)
    elif variant in ("ours-async", "obstore-async"):
        lib, store = library(variant, service)

        async def one(k):
            r = await lib.get_async(store, k)
            return await r.bytes_async()

        async def run(ks):
            return await bounded(one, ks, IN_FLIGHT)

        asyncio.run(run(warm))
        with Timer() as t:
            out = asyncio.run(run(keys))
            n = sum(len(b) for b in out)
    elif variant == "ours-threads":
        import objstore

        store = ours_store(service)

        def one(k):
            return objstore.get(store, k).bytes()

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(one, warm))
            with Timer() as t:
                out = list(pool.map(one, keys, chunksize=16))
                n = sum(len(b) for b in out)
    elif variant == "s3fs-async":

        async def run(ks):
            fs = s3fs_fs(asynchronous=True)
            session = await fs.set_session()
            await bounded(lambda k: fs._cat_file(f"{bucket()}/{k}"), warm, IN_FLIGHT)
            with Timer() as t:
                out = await bounded(lambda k: fs._cat_file(f"{bucket()}/{k}"), ks, IN_FLIGHT)
            await session.close()
            return t, out

        t, out = asyncio.run(run(keys))
        n = sum(len(b) for b in out)
    else:
        raise SystemExit(f"unknown variant {variant}")
    if n != len(keys) * SMALL_SIZE:
        raise SystemExit(f"{variant}: read {n} bytes, expected {len(keys) * SMALL_SIZE}")
    if before:
        after = addressing()
        for how in EXPECTED_ADDRESSING[service]:
            if after[how] - before[how] < len(keys):
                raise SystemExit(f"{variant} on {service}: {after[how] - before[how]} {how} requests for {len(keys)} reads")
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


def list_keys(variant: str, arrow: bool = False):
    lib, store = library(variant)
    lib.get(store, SMALL_KEYS[0]).bytes()  # connect
    return timed_listing(variant, lib, store, arrow)


def timed_listing(variant: str, lib, store, arrow: bool):
    """list(LIST_PREFIX, chunk_size=1000).collect(), timed and checked."""
    with Timer() as t:
        items = lib.list(store, LIST_PREFIX, chunk_size=1000, return_arrow=arrow).collect()
    n = items.num_rows if arrow else len(items)
    if n != LIST_COUNT:
        raise SystemExit(f"{variant}: listed {n} objects, expected {LIST_COUNT}")
    return t, n, 0


def list_memory(variant: str, arrow: bool = False):
    """The same listing on a MemoryStore (filled before timing): the
    libraries' own cost, no server."""
    if variant.startswith("ours"):
        import objstore as lib
        from objstore.store import MemoryStore
    else:
        import obstore as lib
        from obstore.store import MemoryStore
    store = MemoryStore()
    for i in range(LIST_COUNT):
        lib.put(store, f"{LIST_PREFIX}/{i // 1000:03d}/{i:06d}", b"x")
    lib.list(store, LIST_PREFIX, chunk_size=1000, return_arrow=arrow).collect()  # warm-up
    return timed_listing(variant, lib, store, arrow)


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
    """One synchronous call per operation on a MemoryStore of 1 KiB."""
    if variant.startswith("ours"):
        import objstore as lib
        from objstore.store import MemoryStore
    else:
        import obstore as lib
        from obstore.store import MemoryStore
    store = MemoryStore()
    data = os.urandom(MEMORY_SIZE)
    lib.put(store, "k", data)
    get, put, head, get_range = lib.get, lib.put, lib.head, lib.get_range
    calls = {
        "get": lambda: get(store, "k").bytes(),
        "put": lambda: put(store, "k", data),
        "head": lambda: head(store, "k"),
        "get_range": lambda: get_range(store, "k", start=256, end=768),
    }
    for _ in range(1000):
        for call in calls.values():
            call()
    # The loops are written out so that no extra Python call is timed.
    if op == "get":
        with Timer() as t:
            for _ in range(MEMORY_CALLS):
                get(store, "k").bytes()
    elif op == "put":
        with Timer() as t:
            for _ in range(MEMORY_CALLS):
                put(store, "k", data)
    elif op == "head":
        with Timer() as t:
            for _ in range(MEMORY_CALLS):
                head(store, "k")
    else:
        with Timer() as t:
            for _ in range(MEMORY_CALLS):
                get_range(store, "k", start=256, end=768)
    return t, MEMORY_CALLS, MEMORY_CALLS * MEMORY_SIZE


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
    # One untimed read, like the other workloads' warm-up (the readinto
    # variants' buffers are touched before timing too): the timed reads are
    # the steady state of a process that reads large files repeatedly.
    if len(lib.get(store, LOCAL_FILE).bytes()) != size:
        raise SystemExit("short read")
    if variant == "ours-readinto":  # the library reads into the caller's buffer
        buf = bytearray(size)  # preallocated (and touched) before timing, as above
        with Timer() as t:
            for _ in range(LOCAL_READS):
                if lib.get(store, LOCAL_FILE).readinto(buf) != size:
                    raise SystemExit("short read")
        return t, LOCAL_READS, size * LOCAL_READS
    with Timer() as t:
        for _ in range(LOCAL_READS):
            b = lib.get(store, LOCAL_FILE).bytes()
            if len(b) != size:
                raise SystemExit("short read")
            del b
    return t, LOCAL_READS, size * LOCAL_READS


def pickle_roundtrip(variant: str):
    store = ours_store() if variant.startswith("ours") else obstore_store()
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


def zarr_store(variant: str, prefix: str, read_only: bool):
    """A zarr store over the variant's library on the S3 server: ours is
    objstore.zarr.ZarrStore, obstore's is zarr's own ObjectStore, s3fs's
    zarr's FsspecStore."""
    if variant == "ours":
        from objstore.zarr import ZarrStore

        return ZarrStore(ours_store("s3", prefix), read_only=read_only)
    if variant == "obstore":
        from zarr.storage import ObjectStore

        return ObjectStore(obstore_store("s3", prefix), read_only=read_only)
    if variant == "s3fs":
        from zarr.storage import FsspecStore

        return FsspecStore(s3fs_fs(asynchronous=True), path=f"{bucket()}/{prefix}", read_only=read_only)
    raise SystemExit(f"unknown variant {variant}")


def zarr_read(variant: str):
    """The whole array, every chunk one object, through zarr's own read path."""
    import numpy as np
    import zarr

    arr = zarr.open_array(zarr_store(variant, ZARR_READ, read_only=True), mode="r")
    arr[:ZARR_CHUNK]  # warm-up: one row of chunks (connections, zarr's caches)
    with Timer() as t:
        data = arr[:]
    if not np.array_equal(data, zarr_data()):
        raise SystemExit(f"{variant}: the array read back differs from the one written")
    return t, ZARR_SIDE * ZARR_SIDE, data.nbytes


def zarr_write(variant: str):
    """The whole array written over an existing one (every chunk a PUT)."""
    import numpy as np
    import zarr

    data = zarr_data()
    store = zarr_store(variant, f"zarr/write-{variant}", read_only=False)
    arr = create_zarr(store, data)
    arr[:ZARR_CHUNK] = data[:ZARR_CHUNK]  # warm-up
    with Timer() as t:
        arr[:] = data
    back = zarr.open_array(store, mode="r")[:]
    if not np.array_equal(back, data):
        raise SystemExit(f"{variant}: the array read back differs from the one written")
    return t, ZARR_SIDE * ZARR_SIDE, data.nbytes


CACHED_OBJECTS = 32
CACHED_SIZE = 256 << 10
CACHED_PASSES = 8


def minio_store(lib: str):
    """A store of library `lib` on the MinIO server run.sh starts."""
    import importlib

    mod = importlib.import_module(f"{lib}.store")
    return mod.S3Store(
        os.environ["BENCH_MINIO_BUCKET"], prefix="bench-cache", endpoint=os.environ["BENCH_MINIO_ENDPOINT"],
        access_key_id=os.environ["BENCH_MINIO_ACCESS_KEY"], secret_access_key=os.environ["BENCH_MINIO_SECRET_KEY"],
        region="us-east-1", client_options={"allow_http": True},
    )


def cached_reread(variant: str):
    """Re-reads of 256 KiB objects on MinIO, one synchronous get at a time:
    through a CachingStore (memory tier) over MinIO, MinIO directly, and
    obstore's get on MinIO. The first pass (untimed) fills the cache."""
    keys = [f"obj-{i}" for i in range(CACHED_OBJECTS)]
    if variant.startswith("ours"):
        import objstore as lib
        from objstore.store import CachingStore

        store = minio_store("objstore")
        if variant == "ours-cache":
            store = CachingStore(store, memory_bytes="64MiB")
    else:
        import obstore as lib

        store = minio_store("obstore")
    try:
        lib.head(store, keys[-1])
    except FileNotFoundError:
        data = os.urandom(CACHED_SIZE)
        for k in keys:
            lib.put(store, k, data)
    get = lib.get
    for k in keys:
        get(store, k).bytes()
    with Timer() as t:
        for _ in range(CACHED_PASSES):
            for k in keys:
                get(store, k).bytes()
    n = CACHED_PASSES * len(keys)
    if variant == "ours-cache":
        inner = store.inner.metrics()["requests"].get("get", {}).get("ok", 0)
        if inner > len(keys):
            raise SystemExit(f"the cache passed {inner} gets to MinIO for {len(keys)} objects")
    return t, n, n * CACHED_SIZE


WORKLOADS = {
    "small_gets": small_gets,
    "small_gets_aws": lambda v: small_gets(v, "aws"),
    "small_gets_s3tls": lambda v: small_gets(v, "s3tls"),
    "small_gets_gcs": lambda v: small_gets(v, "gcs"),
    "small_gets_azure": lambda v: small_gets(v, "azure"),
    "big_get": big_get,
    "big_put": big_put,
    "list": list_keys,
    "list_arrow": lambda v: list_keys(v, arrow=True),
    "list_memory": list_memory,
    "list_arrow_memory": lambda v: list_memory(v, arrow=True),
    "memory_get": lambda v: memory_calls(v, "get"),
    "memory_put": lambda v: memory_calls(v, "put"),
    "memory_head": lambda v: memory_calls(v, "head"),
    "memory_get_range": lambda v: memory_calls(v, "get_range"),
    "local_read": local_read,
    "pickle": pickle_roundtrip,
    "get_ranges": get_ranges,
    "zarr_read": zarr_read,
    "zarr_write": zarr_write,
    "cached_reread": cached_reread,
}


EXTRA: dict = {}
METRICS_OFF = "-nometrics"  # a variant's suffix: run with OBJSTORE_METRICS=off  # more measurements a workload reports


def unavailable(workload: str, variant: str) -> str | None:
    """Why a variant cannot run in this build (None if it can)."""
    if not variant.startswith("ours"):
        return None
    import objstore

    if variant == "ours-get_many" and not hasattr(objstore, "get_many"):
        return "objstore.get_many is not available in this build"
    if workload in ("list_arrow", "list_arrow_memory"):
        from objstore.store import MemoryStore

        try:
            objstore.list(MemoryStore(), return_arrow=True).collect()
        except NotImplementedError as e:
            return f"objstore.list(..., return_arrow=True): {e}"
    return None


def main(argv: list[str]) -> None:
    if argv[1] == "setup":
        print(json.dumps(setup(*argv[2:])))
        return
    workload, variant = argv[1], argv[2]
    if variant.endswith(METRICS_OFF):
        # The same variant in a process started with OBJSTORE_METRICS=off
        # (compare.py sets it): what counting costs.
        import objstore

        if objstore.metrics()["enabled"]:
            raise SystemExit(f"{variant}: metrics are on (OBJSTORE_METRICS is not off)")
        variant = variant.removesuffix(METRICS_OFF)
    why = unavailable(workload, variant)
    if why:
        print(json.dumps({"unavailable": why}))
        return
    t, ops, nbytes = WORKLOADS[workload](variant)
    print(json.dumps({"wall": t.wall, "cpu": t.cpu, "ops": ops, "bytes": nbytes, **EXTRA}))


if __name__ == "__main__":
    main(sys.argv)
