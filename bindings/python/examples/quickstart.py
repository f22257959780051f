"""objstore in two minutes: a LocalStore in a temporary directory.

Run it with `make demo` (or: PYTHONPATH=bindings/python/src python3 bindings/python/examples/quickstart.py).
The same calls work on S3Store, GCSStore, AzureStore, HTTPStore and MemoryStore.
"""

import pickle
import shutil
import tempfile

import objstore
from objstore.store import LocalStore


def show(title, value=None):
    print(f"\n== {title}")
    if value is not None:
        print(f"   {value}")


root = tempfile.mkdtemp(prefix="objstore-quickstart-")
try:
    store = LocalStore(root, mkdir=True)
    show("A store is a small description; nothing is opened yet", store)

    objstore.put(store, "reports/2024/summary.txt", b"objstore says hello\n")
    objstore.put(store, "reports/2024/data.csv", b"id,value\n1,10\n2,20\n3,30\n")
    objstore.put(store, "reports/2025/data.csv", b"id,value\n4,40\n")
    result = store.put("readme.md", b"# three reports and a readme\n")  # every function is also a method
    show("put 4 objects; put returns the new ETag", result)

    body = objstore.get(store, "reports/2024/summary.txt").bytes()
    show("get(...).bytes() returns objstore.Bytes: the library's memory, not a copy", repr(body))
    print(f"   as text: {body.decode().strip()!r}; memoryview format {memoryview(body).format!r}")

    show("get_range: bytes 0..8 of data.csv", objstore.get_range(store, "reports/2024/data.csv", start=0, end=8))
    parts = objstore.get_ranges(store, "reports/2024/data.csv", starts=[9, 14], lengths=[4, 4])
    show("get_ranges: several ranges in one call", parts)

    meta = objstore.head(store, "reports/2024/data.csv")
    show("head: metadata only")
    for key, value in meta.items():
        print(f"   {key:14} {value}")

    show("list: every object under a prefix (lazy, in chunks)")
    for chunk in objstore.list(store, "reports", chunk_size=2):
        for m in chunk:
            print(f"   {m['path']:28} {m['size']:4} bytes")

    listing = objstore.list_with_delimiter(store)
    show("list_with_delimiter: one level, like a directory listing")
    print(f"   prefixes: {listing['common_prefixes']}")
    print(f"   objects:  {[m['path'] for m in listing['objects']]}")

    data = pickle.dumps(store)
    clone = pickle.loads(data)
    show(f"pickle round trip ({len(data)} bytes; the clone is equal: {clone == store})")
    print(f"   clone reads: {objstore.get(clone, 'readme.md').bytes().decode().strip()!r}")
    print(f"   config document (the JSON alternative to pickle): {store.config_document()}")

    objstore.delete(store, ["reports/2025/data.csv", "readme.md"])
    left = [m["path"] for m in objstore.list(store).collect()]
    show("after delete", left)

    try:
        objstore.get(store, "readme.md")
    except FileNotFoundError as e:
        show("a missing object raises FileNotFoundError", f"{type(e).__name__}: {e}")
finally:
    shutil.rmtree(root)
    print(f"\nremoved {root}")
