"""Listings as Arrow data (``return_arrow=True``), and as dicts, from the
library's Arrow C Data Interface export.

The library builds each listing page as an Arrow record batch in C memory
(``objstore_list_next_arrow``; the columns are obstore's: path,
last_modified, size, e_tag, version) and hands over a ``struct
ArrowArray`` whose release callback frees it. For ``return_arrow=True`` the
struct goes, with the schema, into PyCapsules (the Arrow PyCapsule
interface) that arro3-core — as obstore returns — or else pyarrow imports
without copying the buffers. For dicts, the columns are read here straight
from the buffers (one decode per column, not one C struct per object) and
the batch is released.
"""

from __future__ import annotations

import builtins
import ctypes
from datetime import datetime, timezone
from typing import Any

from . import _ffi

c_int64 = ctypes.c_int64
c_void_p = ctypes.c_void_p
_string_at = ctypes.string_at


class ArrowSchema(ctypes.Structure):
    """struct ArrowSchema (objstore.h, the Arrow C Data Interface)."""


ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", c_void_p),
    ("flags", c_int64),
    ("n_children", c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", c_void_p),
    ("release", c_void_p),
    ("private_data", c_void_p),
]


class ArrowArray(ctypes.Structure):
    """struct ArrowArray (objstore.h, the Arrow C Data Interface)."""


ArrowArray._fields_ = [
    ("length", c_int64),
    ("null_count", c_int64),
    ("offset", c_int64),
    ("n_buffers", c_int64),
    ("n_children", c_int64),
    ("buffers", ctypes.POINTER(c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", c_void_p),
    ("release", c_void_p),
    ("private_data", c_void_p),
]

# Both structs are released by calling their release member with their own
# address.
_Release = ctypes.CFUNCTYPE(None, c_void_p)

# ``max_items`` meaning "everything that remains" (SIZE_MAX).
ALL = ctypes.c_size_t(-1).value

_ERRPP = ctypes.POINTER(ctypes.POINTER(_ffi.Error))
_SIZEP = ctypes.POINTER(ctypes.c_size_t)
_SIGNATURES = {
    "objstore_list_arrow_schema": (ctypes.c_int, [c_void_p]),
    "objstore_list_next_arrow": (ctypes.c_int, [c_void_p, ctypes.c_size_t, c_void_p, _SIZEP, _ERRPP]),
    "objstore_list_with_delimiter_arrow": (ctypes.c_int, [c_void_p, ctypes.c_char_p, c_void_p, c_void_p, _ERRPP]),
    "objstore_submit_list_next_arrow": (ctypes.c_int, [c_void_p, ctypes.c_size_t, c_void_p, ctypes.c_uint64, _ERRPP]),
    "objstore_submit_list_with_delimiter_arrow": (
        ctypes.c_int,
        [c_void_p, ctypes.c_char_p, c_void_p, c_void_p, ctypes.c_uint64, _ERRPP],
    ),
}

_declared: Any = None


def lib() -> ctypes.CDLL:
    """The library, with the Arrow functions' signatures declared."""
    global _declared
    L = _ffi.lib()
    if _declared is not L:
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(L, name)
            fn.restype, fn.argtypes = restype, argtypes
        _declared = L
    return L


# ---- C memory for the structs a capsule owns -----------------------------------------

_libc = ctypes.CDLL(None)
_malloc = _libc.malloc
_malloc.restype, _malloc.argtypes = c_void_p, [ctypes.c_size_t]
_free = _libc.free
_free.restype, _free.argtypes = None, [c_void_p]


def _release_at(address: int, struct) -> None:
    """Release the struct at address if it still holds data."""
    release = struct.from_address(address).release
    if release:
        _Release(release)(address)


class Exported:
    """A released-on-drop ``struct ArrowArray`` in C memory (malloc'd here,
    so that a capsule can own it), filled by the library."""

    __slots__ = ("address",)

    def __init__(self):
        address = _malloc(ctypes.sizeof(ArrowArray))
        if not address:
            raise MemoryError("cannot allocate an ArrowArray")
        ctypes.memset(address, 0, ctypes.sizeof(ArrowArray))
        self.address = address

    @property
    def array(self) -> ArrowArray:
        return ArrowArray.from_address(self.address)

    def take(self) -> int:
        """Hand the struct over (to a capsule): this object no longer owns it."""
        address, self.address = self.address, None
        return address

    def close(self) -> None:
        address, self.address = self.address, None
        if address:
            _release_at(address, ArrowArray)
            _free(address)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may be half torn down
            pass


# ---- PyCapsules (the Arrow PyCapsule interface) ---------------------------------------

_SCHEMA_NAME = b"arrow_schema"
_ARRAY_NAME = b"arrow_array"
_CapsuleDestructor = ctypes.CFUNCTYPE(None, c_void_p)
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [c_void_p, ctypes.c_char_p, _CapsuleDestructor]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = c_void_p
_capsule_pointer.argtypes = [c_void_p, ctypes.c_char_p]


def _destructor(name: bytes, struct):
    # The capsule is being deallocated: it is passed as a bare address
    # (a py_object would take a reference to a dying object).
    def destroy(capsule: int) -> None:
        address = _capsule_pointer(capsule, name)
        if address:
            _release_at(address, struct)  # not imported (a consumer moves it and sets release NULL)
            _free(address)

    return _CapsuleDestructor(destroy)


# Module globals: the callbacks must outlive every capsule.
_destroy_schema = _destructor(_SCHEMA_NAME, ArrowSchema)
_destroy_array = _destructor(_ARRAY_NAME, ArrowArray)


def schema_capsule() -> Any:
    """A capsule owning a new ``struct ArrowSchema`` of listing batches."""
    address = _malloc(ctypes.sizeof(ArrowSchema))
    if not address:
        raise MemoryError("cannot allocate an ArrowSchema")
    rc = lib().objstore_list_arrow_schema(address)
    if rc:
        _free(address)
        _ffi.raise_error(rc, None)
    return _capsule_new(address, _SCHEMA_NAME, _destroy_schema)


def array_capsule(exported: Exported) -> Any:
    """A capsule that takes over an exported array."""
    return _capsule_new(exported.take(), _ARRAY_NAME, _destroy_array)


class _Batch:
    """The Arrow PyCapsule interface over one exported batch, for the
    importing library (each capsule is handed out once)."""

    __slots__ = ("_exported",)

    def __init__(self, exported: Exported):
        self._exported = exported

    def __arrow_c_schema__(self) -> Any:
        return schema_capsule()

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
        exported, self._exported = self._exported, None
        if exported is None:
            raise ValueError("this Arrow batch was already imported")
        return schema_capsule(), array_capsule(exported)


# ---- arro3-core or pyarrow --------------------------------------------------------

_MISSING = (
    "return_arrow=True needs an Arrow library: install arro3-core (what obstore returns, "
    "`pip install arro3-core`) or pyarrow (`pip install pyarrow`); neither could be imported"
)

_arrow_lib: Any = None


def arrow_lib() -> tuple[str, Any]:
    """("arro3", arro3.core) or else ("pyarrow", pyarrow)."""
    global _arrow_lib
    if _arrow_lib is None:
        try:
            import arro3.core as arro3
        except ImportError:
            try:
                import pyarrow
            except ImportError:
                raise ImportError(_MISSING) from None
            _arrow_lib = ("pyarrow", pyarrow)
        else:
            _arrow_lib = ("arro3", arro3)
    return _arrow_lib


class _Schema:
    """The listing schema through the Arrow PyCapsule interface."""

    __slots__ = ()

    def __arrow_c_schema__(self) -> Any:
        return schema_capsule()


def record_batch(exported: Exported) -> Any:
    """The exported batch as an arro3 (or pyarrow) RecordBatch."""
    which, module = arrow_lib()
    if which == "arro3":
        return module.RecordBatch.from_arrow_pycapsule(schema_capsule(), array_capsule(exported))
    return module.record_batch(_Batch(exported))


def empty_batch() -> Any:
    """A listing batch of no rows."""
    which, module = arrow_lib()
    if which == "arro3":
        return module.Schema.from_arrow_pycapsule(schema_capsule()).empty_table().combine_chunks().to_batches()[0]
    return module.RecordBatch.from_pylist([], schema=module.schema(_Schema()))


def table(exported: Exported) -> Any:
    """The exported batch as a one-batch arro3 (or pyarrow) Table."""
    _, module = arrow_lib()
    return module.Table.from_batches([record_batch(exported)])


# ---- the same batch as Python objects ---------------------------------------------------

_UTC = timezone.utc
_fromtimestamp = datetime.fromtimestamp


def _buffer(array: ArrowArray, i: int, nbytes: int) -> bytes:
    return _string_at(array.buffers[i], nbytes)


def strings(array: ArrowArray) -> builtins.list[str | None]:
    """A utf8 array's values (None where null)."""
    n = array.length
    if n == 0:
        return []
    offsets = memoryview(_buffer(array, 1, 4 * (n + 1))).cast("i").tolist()
    data = _buffer(array, 2, offsets[n])
    text = data.decode("utf-8", "surrogateescape")
    if len(text) == len(data):  # ASCII: character offsets are byte offsets
        values = [text[a:b] for a, b in zip(offsets, offsets[1:])]
    else:
        values = [data[a:b].decode("utf-8", "surrogateescape") for a, b in zip(offsets, offsets[1:])]
    if array.null_count:
        bits = _buffer(array, 0, (n + 7) // 8)
        values = [v if bits[i >> 3] >> (i & 7) & 1 else None for i, v in enumerate(values)]
    return values


def _numbers(array: ArrowArray, code: str) -> builtins.list[int]:
    n = array.length
    return memoryview(_buffer(array, 1, 8 * n)).cast(code).tolist() if n else []


def _datetimes(micros: builtins.list[int]) -> builtins.list[datetime]:
    # Whole microseconds as a float of seconds: exact (< 2**53). Listings
    # often repeat times (second resolution, objects written together):
    # each distinct one is made once then.
    if len(micros) > 64 and len(set(micros[:64])) < 48:
        made = {us: _fromtimestamp(us / 1e6, _UTC) for us in set(micros)}
        return [made[us] for us in micros]
    return [_fromtimestamp(us / 1e6, _UTC) for us in micros]


def rows(exported: Exported) -> builtins.list[dict]:
    """A listing batch as ObjectMeta dicts (the batch is released)."""
    try:
        array = exported.array
        if array.length == 0:
            return []
        columns = [array.children[i].contents for i in range(5)]
        paths = strings(columns[0])
        times = _datetimes(_numbers(columns[1], "q"))
        sizes = _numbers(columns[2], "Q")
        e_tags = strings(columns[3])
        versions = strings(columns[4]) if columns[4].null_count < array.length else [None] * array.length
        return [
            {"path": p, "last_modified": t, "size": s, "e_tag": e, "version": v}
            for p, t, s, e, v in zip(paths, times, sizes, e_tags, versions)
        ]
    finally:
        exported.close()
