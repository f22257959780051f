"""Per-call cost of the binding: ctypes (what objstore uses) vs cffi ABI mode,
on real library calls against a MemoryStore, plus the Python-side costs that
matter (unpickling a store, making a Bytes view).

    PYTHONPATH=bindings/python/src python3 bindings/python/benchmarks/ffi_overhead.py

Times are CPU time per call (process_time), best of several rounds, so that a
busy machine distorts them less. Needs cffi for the comparison column.
"""

from __future__ import annotations

import ctypes
import pickle
import re
import time
from pathlib import Path

import objstore
from objstore import _bytes, _ffi
from objstore.store import LocalStore, MemoryStore, S3Store

N = 50_000
ROUNDS = 5


def best_ns(fn, n=N):
    fn()
    best = float("inf")
    for _ in range(ROUNDS):
        t = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - t) / n)
    return best * 1e9


def cffi_lib():
    import cffi

    ffi = cffi.FFI()
    header = Path(__file__).resolve().parents[3] / "include" / "objstore.h"
    text = "\n".join(line for line in header.read_text().splitlines() if not line.startswith("#"))
    text = text.replace('extern "C" {', "").replace("INT64_MIN", "0")
    text = re.sub(r"^}\s*$", "", text, flags=re.M)
    t = time.perf_counter()
    ffi.cdef(text)
    cdef_ms = (time.perf_counter() - t) * 1e3
    return ffi, ffi.dlopen(_ffi.library_path()), cdef_ms


def main():
    store = MemoryStore()
    objstore.put(store, "k", b"x" * 16)
    h = store._handle()
    L = _ffi.lib()
    P, S = ctypes.c_void_p, ctypes.c_size_t

    def ct_get_bytes():
        out, data, n, err = P(), P(), S(), _ffi.new_err()
        L.objstore_get_bytes(h, b"k", None, ctypes.byref(out), ctypes.byref(data), ctypes.byref(n), None, ctypes.byref(err))
        L.objstore_buffer_free(out.value)

    def ct_head():
        out, items, err = P(), ctypes.POINTER(_ffi.ObjectMeta)(), _ffi.new_err()
        L.objstore_head(h, b"k", ctypes.byref(out), ctypes.byref(items), ctypes.byref(err))
        items[0].size
        L.objstore_meta_list_free(out.value)

    rows = [
        ("objstore_abi_version()", best_ns(L.objstore_abi_version), None),
        ("objstore_get_bytes + buffer_free", best_ns(ct_get_bytes), None),
        ("objstore_head + meta_list_free", best_ns(ct_head), None),
    ]
    try:
        ffi, C, cdef_ms = cffi_lib()
    except ImportError:
        ffi = None
    if ffi is not None:
        hc = ffi.cast("objstore_store *", h)

        def cf_get_bytes():
            out = ffi.new("objstore_buffer **")
            data = ffi.new("const uint8_t **")
            n = ffi.new("size_t *")
            err = ffi.new("objstore_error **")
            C.objstore_get_bytes(hc, b"k", ffi.NULL, out, data, n, ffi.NULL, err)
            C.objstore_buffer_free(out[0])

        def cf_head():
            out = ffi.new("objstore_meta_list **")
            items = ffi.new("const objstore_object_meta **")
            err = ffi.new("objstore_error **")
            C.objstore_head(hc, b"k", out, items, err)
            items[0].size
            C.objstore_meta_list_free(out[0])

        cf = [best_ns(C.objstore_abi_version), best_ns(cf_get_bytes), best_ns(cf_head)]
        rows = [(name, ct, c) for (name, ct, _), c in zip(rows, cf)]
        print(f"cffi cdef() of objstore.h at load: {cdef_ms:.1f} ms")

    print(f"{'call':40} {'ctypes ns':>10} {'cffi ns':>10}")
    for name, ct, cf in rows:
        print(f"{name:40} {ct:10.0f} {cf if cf is None else format(cf, '10.0f'):>10}")

    print()
    print(f"{'objstore API (ctypes), full Python path':40} {'ns':>10}")
    print(f"{'get_range(store, k, start=0, end=8)':40} {best_ns(lambda: objstore.get_range(store, 'k', start=0, end=8)):10.0f}")
    print(f"{'get(store, k).bytes()':40} {best_ns(lambda: objstore.get(store, 'k').bytes()):10.0f}")
    print(f"{'head(store, k)':40} {best_ns(lambda: objstore.head(store, 'k')):10.0f}")
    print(f"{'put(store, k, 16 bytes)':40} {best_ns(lambda: objstore.put(store, 'k', b'y' * 16)):10.0f}")

    local = pickle.dumps(LocalStore("/tmp"))
    s3 = pickle.dumps(
        S3Store.__new__(S3Store, "bucket", prefix="p", region="eu-west-1", client_options={"timeout": "30s"})
    )
    print(f"{'pickle.loads(LocalStore)':40} {best_ns(lambda: pickle.loads(local), 20_000):10.0f}")
    print(f"{'pickle.loads(S3Store)':40} {best_ns(lambda: pickle.loads(s3), 20_000):10.0f}")
    buf = ctypes.create_string_buffer(64)
    addr = ctypes.addressof(buf)
    print(f"{'Bytes view, cached length class':40} {best_ns(lambda: _bytes._view(addr, 16, buf)):10.0f}")
    sizes = iter(range(10_000_000, 20_000_000))
    print(
        f"{'Bytes view, new length class':40} "
        f"{best_ns(lambda: _bytes._view(addr, next(sizes) % 64 or 1, buf) and _bytes._classes.clear(), 2_000):10.0f}"
    )


if __name__ == "__main__":
    main()
