"""Soak: many small operations on a MemoryStore with RSS sampled as they go;
the resident set must stay flat (no leak per call, per handle, per buffer).

The test suite runs a short variant; `make soak` runs 1,000,000 operations
through this file as a script and prints the RSS series:

    python3 bindings/python/tests/test_soak.py --ops 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys

import objstore
from objstore.store import MemoryStore

KEYS = 1000
PAYLOAD = b"x" * 100
HAS_ASYNC = hasattr(objstore, "get_async") and hasattr(objstore, "put_async")
HAS_GET_MANY = hasattr(objstore, "get_many")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _async_round(store, base: int, n: int) -> None:
    paths = [f"k/{(base + i) % KEYS}" for i in range(n)]
    await asyncio.gather(*(objstore.put_async(store, p, PAYLOAD) for p in paths))
    results = await asyncio.gather(*(objstore.get_async(store, p) for p in paths))
    for r in results:
        assert len(r.bytes()) == 100  # small bodies arrive with the response


def run(ops: int, sample_every: int) -> list[int]:
    """Runs `ops` operations; returns RSS sampled before the first and after
    every `sample_every` operations."""
    store = MemoryStore()
    for i in range(KEYS):
        objstore.put(store, f"k/{i}", PAYLOAD)
    loop = asyncio.new_event_loop() if HAS_ASYNC else None
    samples = [rss_bytes()]
    done = 0
    i = 0
    try:
        while done < ops:
            key = f"k/{i % KEYS}"
            step = i % 10
            if step in (0, 1, 2):
                assert len(objstore.get(store, key).bytes()) == 100
                done += 1
            elif step == 3:
                objstore.put(store, key, PAYLOAD)
                done += 1
            elif step == 4:
                assert objstore.head(store, key)["size"] == 100
                done += 1
            elif step == 5:
                assert bytes(objstore.get_range(store, key, start=10, end=20)) == PAYLOAD[10:20]
                done += 1
            elif step == 6:
                objstore.delete(store, key)
                objstore.put(store, key, PAYLOAD)
                done += 2
            elif step == 7:
                try:
                    objstore.get(store, "missing/" + key)
                except FileNotFoundError:
                    pass
                done += 1
            elif step == 8 and HAS_GET_MANY:
                got = objstore.get_many(store, [f"k/{(i + j) % KEYS}" for j in range(10)])
                assert all(len(b) == 100 for b in got)
                done += 10
            elif step == 9 and loop is not None:
                loop.run_until_complete(_async_round(store, i, 10))
                done += 20
            else:
                assert len(objstore.get(store, key).bytes()) == 100
                done += 1
            i += 1
            if done // sample_every > len(samples) - 1:
                gc.collect()
                samples.append(rss_bytes())
    finally:
        if loop is not None:
            loop.close()
    return samples


def test_rss_stays_flat_over_100k_operations():
    samples = run(150_000, 15_000)
    # The first 50,000 operations are warm-up (allocator arenas, caches, the
    # Go heap reaching its working size); over the next 100,000 the resident
    # set must stay flat, within a generous tolerance.
    settled = samples[4]
    growth = max(samples[4:]) - settled
    series = ", ".join(f"{s / 2**20:.1f}" for s in samples)
    assert growth < 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB after warm-up; series (MiB): {series}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--tolerance-mib", type=float, default=16)
    args = parser.parse_args()
    print(f"soak: {args.ops} operations on MemoryStore (async: {HAS_ASYNC}, get_many: {HAS_GET_MANY})", flush=True)
    samples = run(args.ops, args.every)
    for n, s in enumerate(samples):
        print(f"  after {n * args.every:>9} ops: RSS {s / 2**20:8.1f} MiB", flush=True)
    settled = samples[min(2, len(samples) - 1)]
    growth = max(samples[2:] or samples) - settled
    ok = growth < args.tolerance_mib * 2**20
    print(f"growth after warm-up: {growth / 2**20:.1f} MiB (tolerance {args.tolerance_mib} MiB): {'flat' if ok else 'GROWING'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
