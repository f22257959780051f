"""Stores close: opening and freeing 10,000 LocalStores through the C ABI
leaves the process with the open file descriptors it had.

A LocalStore holds its root directory open (an os.Root), so a store that
is never closed leaks a descriptor. The child process runs with GOGC=off:
no garbage collection, so no finalizer can close what the library forgot
to, and only an explicit close keeps the count flat.
"""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = ROOT / "build" / "libobjstore.so"

CHILD = r"""
import ctypes, json, os, sys

lib = ctypes.CDLL(sys.argv[1])
lib.objstore_store_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
lib.objstore_store_free.argtypes = [ctypes.c_void_p]
lib.objstore_put.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                             ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
base, rounds = sys.argv[2], int(sys.argv[3])

def fds():
    return len(os.listdir("/proc/self/fd"))

def store(path):
    h = ctypes.c_void_p()
    doc = json.dumps({"kind": "local", "prefix": path, "config": {"mkdir": "true"}}).encode()
    rc = lib.objstore_store_new(doc, b"{}", ctypes.byref(h), None)
    if rc != 0:
        raise SystemExit(f"objstore_store_new failed with code {rc} after {opened} stores")
    return h

opened = 0
dirs = [os.path.join(base, f"d{i}") for i in range(50)]
for d in dirs:  # warm up: the runtime's own descriptors, first stores
    lib.objstore_store_free(store(d))
start = fds()

# Control: 50 stores on distinct roots held open at once show up as 50
# descriptors, so the count below would see a leak.
held = [store(d) for d in dirs]
holding = fds()
for h in held:
    lib.objstore_store_free(h)
released = fds()

for i in range(rounds):
    h = store(dirs[i % len(dirs)])
    opened += 1
    if i % 1000 == 0:
        assert lib.objstore_put(h, b"x", b"y", 1, None, None, None, None) == 0
    assert lib.objstore_store_free(h) == 0
print(json.dumps({"start": start, "holding": holding, "released": released, "end": fds(), "opened": opened}))
"""


def test_ten_thousand_local_stores_leave_no_descriptor(tmp_path):
    env = dict(os.environ, GOGC="off")
    out = subprocess.run([sys.executable, "-c", CHILD, str(LIB), str(tmp_path), "10000"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["opened"] == 10_000
    assert r["holding"] - r["start"] >= 50, r  # the measure sees open roots
    assert r["released"] - r["start"] <= 2, r
    assert r["end"] - r["start"] <= 2, r
