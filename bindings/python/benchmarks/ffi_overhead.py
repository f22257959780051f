"""Per-call cost of the binding: ctypes (as objstore uses it) vs cffi ABI mode,
on real library calls against a MemoryStore, plus the Python-side costs that
matter (the full API path, unpickling a store, making a Bytes view).

    PYTHONPATH=bindings/python/src python3 bindings/python/benchmarks/ffi_overhead.py

Each number is the best mean over many short interleaved batches, which is
robust on a busy machine. Needs cffi for the comparison rows.
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

BATCH = 300
ROUNDS = 100


def measure(fns: dict) -> dict:
    for f in fns.values():
        f()
    best = {k: float("inf") for k in fns}
    for _ in range(ROUNDS):
        for k, f in fns.items():
            t = time.perf_counter()
            for _ in range(BATCH):
                f()
            best[k] = min(best[k], (time.perf_counter() - t) / BATCH * 1e9)
    return best


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
    h = store._handle().ref
    L = _ffi.lib()
    F = _ffi.fast()
    P, S = ctypes.c_void_p, ctypes.c_size_t
    free = L.objstore_buffer_free

    def ctypes_declared():  # argtypes set, out-parameters made per call
        out, data, n, err = P(), P(), S(), _ffi.new_err()
        L.objstore_get_bytes(h, b"k", None, ctypes.byref(out), ctypes.byref(data), ctypes.byref(n), None, ctypes.byref(err))
        free(out.value)

    def ctypes_objstore():  # what objstore does: no argtypes, per-thread out-parameters
        t = _ffi.scratch()
        F.get_bytes(h, b"k", None, t.r_out, t.r_data, t.r_size, None, t.r_err)
        free(t.out.value)

    fns = {"ctypes, argtypes + new outs": ctypes_declared, "ctypes, objstore fast path": ctypes_objstore}
    cdef_ms = None
    try:
        ffi, C, cdef_ms = cffi_lib()
    except ImportError:
        ffi = None
    if ffi is not None:
        hc = ffi.cast("objstore_store *", h.value)
        cfree = C.objstore_buffer_free

        def cffi_new():
            out = ffi.new("objstore_buffer **")
            data = ffi.new("const uint8_t **")
            n = ffi.new("size_t *")
            err = ffi.new("objstore_error **")
            C.objstore_get_bytes(hc, b"k", ffi.NULL, out, data, n, ffi.NULL, err)
            cfree(out[0])

        r_out = ffi.new("objstore_buffer **")
        r_data = ffi.new("const uint8_t **")
        r_n = ffi.new("size_t *")
        r_err = ffi.new("objstore_error **")

        def cffi_reused():
            C.objstore_get_bytes(hc, b"k", ffi.NULL, r_out, r_data, r_n, ffi.NULL, r_err)
            cfree(r_out[0])

        fns["cffi, new outs"] = cffi_new
        fns["cffi, reused outs"] = cffi_reused
    fns["(ctypes) objstore_abi_version()"] = L.objstore_abi_version

    print("objstore_get_bytes + objstore_buffer_free on a 16-byte MemoryStore object")
    if cdef_ms is not None:
        print(f"(cffi parses objstore.h in {cdef_ms:.0f} ms at load)")
    for k, v in measure(fns).items():
        print(f"  {k:40} {v:8.0f} ns")

    local = pickle.dumps(LocalStore("/tmp"))
    s3 = pickle.dumps(
        S3Store.__new__(S3Store, "bucket", prefix="p", region="eu-west-1", client_options={"timeout": "30s"})
    )
    buf = ctypes.create_string_buffer(64)
    addr = ctypes.addressof(buf)
    api = {
        "get_range(store, 'k', start=0, end=8)": lambda: objstore.get_range(store, "k", start=0, end=8),
        "get(store, 'k').bytes()": lambda: objstore.get(store, "k").bytes(),
        "head(store, 'k')": lambda: objstore.head(store, "k"),
        "put(store, 'k', 16 bytes)": lambda: objstore.put(store, "k", b"y" * 16),
        "pickle.loads(LocalStore)": lambda: pickle.loads(local),
        "pickle.loads(S3Store)": lambda: pickle.loads(s3),
        "Bytes view (cached length class)": lambda: _bytes._view(addr, 16, buf),
    }
    print("\nobjstore API, full Python path")
    for k, v in measure(api).items():
        print(f"  {k:40} {v:8.0f} ns")
    t = time.perf_counter()
    for n in range(1_000_000, 1_000_200):
        _bytes._new_class(n)
    print(f"  {'Bytes class for a new length':40} {(time.perf_counter() - t) / 200 * 1e9:8.0f} ns")


if __name__ == "__main__":
    main()
