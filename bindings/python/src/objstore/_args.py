"""Argument checking: Python arguments in, the C ABI's values out.

Every operation, sync or async, checks and converts its arguments here
before anything is sent to the library, so both twins accept and refuse
exactly the same inputs with the same errors. Pure Python over ctypes: the
library is not called (only the store's handle is opened on demand).
"""

from __future__ import annotations

import builtins
import ctypes
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from . import _ffi
from . import exceptions as _exc
from ._bytes import Bytes

_byref = ctypes.byref
_c_void_p = ctypes.c_void_p
_addressof = ctypes.addressof
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)

# ---- paths, numbers, strings, times ---------------------------------------------------


def path(value: Any, name: str = "path") -> bytes:
    """A path as UTF-8 bytes; a NUL byte is an invalid path (C strings end there)."""
    if type(value) is not str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be str, not {type(value).__name__}")
        value = str(value)
    if "\x00" in value:
        raise _exc.InvalidPathError(f"{name} {value!r} contains a NUL byte")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise _exc.InvalidPathError(f"{name} {value!r} is not valid Unicode") from None


def optional_path(value: Any, name: str) -> bytes | None:
    return None if value is None else path(value, name)


def paths(value: Any, single_name: str = "paths") -> tuple[builtins.list[bytes], bool]:
    """One path or many: (the encoded paths, whether a single str was given).
    A single str is named `single_name` in errors, items "paths[]"."""
    name = "paths"
    if isinstance(value, str):
        return [path(value, single_name)], True
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return [path(x, f"{name}[]") for x in value], False
    raise TypeError(f"{name} must be str or a sequence of str, not {type(value).__name__}")


def nonneg_int(value: Any, name: str) -> int:
    if type(value) is int and value >= 0:  # the common case, first
        return value
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    value = value.__index__()
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def positive_int(value: Any, name: str) -> int:
    if type(value) is int and value > 0:  # the common case, first
        return value
    value = nonneg_int(value, name)
    if value == 0:
        raise ValueError(f"{name} must be positive, got 0")
    return value


def c_string(value: Any, name: str) -> bytes:
    """A str as a NUL-terminated C string's bytes."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{name} contains a NUL byte")
    return value.encode("utf-8")


def datetime_ns(value: Any, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return ((value - _EPOCH) // _MICROSECOND) * 1000


def u64_array(values: Any, name: str) -> array:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of int, not {type(values).__name__}")
    try:
        return array("Q", values)
    except OverflowError:
        raise ValueError(f"{name} must hold non-negative ints") from None
    except TypeError:
        raise TypeError(f"{name} must be a sequence of int") from None


def overwrite_flags(overwrite: bool) -> int:
    """copy / rename flags: 0 overwrites, IF_NOT_EXISTS refuses."""
    return 0 if overwrite else _ffi.IF_NOT_EXISTS


# ---- the store ------------------------------------------------------------------------


def store_handle(store: Any) -> _ffi.StoreHandle:
    """The store's native handle (opened on first use); pass ``.ref`` to
    the library and keep the handle referenced while the call runs."""
    try:
        get_handle = store._handle
    except AttributeError:
        raise TypeError(f"store must be an objstore store, not {type(store).__name__}") from None
    return get_handle()


def check_store(store: Any) -> None:
    """Refuse what is no store, without opening it."""
    if not hasattr(store, "_handle"):
        raise TypeError(f"store must be an objstore store, not {type(store).__name__}")


# ---- key/value arrays (attributes, tags) ------------------------------------------------


def kv_array(mapping: Mapping[str, str] | None, name: str):
    """(pointer, count, keepalive) for a dict of str -> str."""
    if not mapping:
        return None, 0, None
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{name} must be a dict of str to str, not {type(mapping).__name__}")
    n = len(mapping)
    arr = (_ffi.KV * n)()
    keep = []
    for i, (k, v) in enumerate(mapping.items()):
        kb = c_string(k, f"{name} key")
        vb = c_string(v, f"{name}[{k!r}]")
        keep.append((kb, vb))
        arr[i].key = kb
        arr[i].value = vb
    return ctypes.cast(arr, ctypes.POINTER(_ffi.KV)), n, (arr, keep)


# ---- get options and ranges -------------------------------------------------------------

_GET_OPTION_KEYS = frozenset(
    ("if_match", "if_none_match", "if_modified_since", "if_unmodified_since", "range", "version", "head")
)


def set_range(r: _ffi.Range, value: Any) -> None:
    """Fill an objstore_range from (start, end), {"offset": n} or {"suffix": n}."""
    if isinstance(value, Mapping):
        if set(value) == {"offset"}:
            r.kind = _ffi.RANGE_OFFSET
            r.start = nonneg_int(value["offset"], "options['range']['offset']")
            return
        if set(value) == {"suffix"}:
            r.kind = _ffi.RANGE_SUFFIX
            r.length = nonneg_int(value["suffix"], "options['range']['suffix']")
            return
        raise ValueError("options['range'] as a dict must be {'offset': n} or {'suffix': n}")
    if isinstance(value, (tuple, builtins.list)) or (isinstance(value, Sequence) and not isinstance(value, (str, bytes))):
        if len(value) != 2:
            raise ValueError("options['range'] must be (start, end), {'offset': n} or {'suffix': n}")
        r.kind = _ffi.RANGE_BOUNDED
        r.start = nonneg_int(value[0], "options['range'] start")
        r.end = nonneg_int(value[1], "options['range'] end")
        return
    raise TypeError(
        f"options['range'] must be (start, end), {{'offset': n}} or {{'suffix': n}}, not {type(value).__name__}"
    )


def get_options(options: Mapping[str, Any] | None) -> _ffi.GetOptions | None:
    """objstore_get_options for a GetOptions dict (None for none)."""
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict (GetOptions), not {type(options).__name__}")
    unknown = set(options) - _GET_OPTION_KEYS
    if unknown:
        raise ValueError(f"options: unknown key(s) {sorted(unknown)}; known: {sorted(_GET_OPTION_KEYS)}")
    o = _ffi.GetOptions()
    o.version = _ffi.GET_OPTIONS_VERSION
    flags = 0
    v = options.get("if_match")
    if v is not None:
        o.if_match = c_string(v, "options['if_match']")
    v = options.get("if_none_match")
    if v is not None:
        o.if_none_match = c_string(v, "options['if_none_match']")
    v = options.get("if_modified_since")
    if v is not None:
        o.if_modified_since_ns = datetime_ns(v, "options['if_modified_since']")
        flags |= _ffi.GET_IF_MODIFIED_SINCE
    v = options.get("if_unmodified_since")
    if v is not None:
        o.if_unmodified_since_ns = datetime_ns(v, "options['if_unmodified_since']")
        flags |= _ffi.GET_IF_UNMODIFIED_SINCE
    v = options.get("range")
    if v is not None:
        set_range(o.range, v)
    v = options.get("version")
    if v is not None:
        o.object_version = c_string(v, "options['version']")
    if options.get("head"):
        flags |= _ffi.GET_HEAD
    o.flags = flags
    return o


# ---- put options ------------------------------------------------------------------------


def put_mode(mode: Any) -> tuple[int, bytes | None, bytes | None]:
    """(objstore_put_mode, e_tag, version) for "overwrite", "create" or an update dict."""
    if mode is None or mode == "overwrite":
        return _ffi.PUT_OVERWRITE, None, None
    if mode == "create":
        return _ffi.PUT_CREATE, None, None
    if isinstance(mode, Mapping):
        unknown = set(mode) - {"e_tag", "version"}
        if unknown:
            raise ValueError(f"mode: unknown key(s) {sorted(unknown)}; an update mode is {{'e_tag': ..., 'version': ...}}")
        e_tag, version = mode.get("e_tag"), mode.get("version")
        return (
            _ffi.PUT_UPDATE,
            c_string(e_tag, "mode['e_tag']") if e_tag is not None else None,
            c_string(version, "mode['version']") if version is not None else None,
        )
    raise ValueError(f"mode must be 'overwrite', 'create' or {{'e_tag': ..., 'version': ...}}, not {mode!r}")


def put_options(mode, attrs, tags) -> _ffi.PutOptions:
    """objstore_put_options for a parsed mode and attribute/tag arrays."""
    o = _ffi.PutOptions()
    o.version = _ffi.PUT_OPTIONS_VERSION
    o.mode, e_tag, version = mode
    if e_tag is not None:
        o.e_tag = e_tag
    if version is not None:
        o.object_version = version
    o.attributes, o.attributes_len = attrs[0], attrs[1]
    o.tags, o.tags_len = tags[0], tags[1]
    return o


def writer_options(attrs, tags, chunk_size: int, max_concurrency: int) -> _ffi.WriterOptions:
    """objstore_writer_options: parts of chunk_size, max_concurrency in flight."""
    o = _ffi.WriterOptions()
    o.version = _ffi.WRITER_OPTIONS_VERSION
    o.chunk_size = chunk_size
    o.max_concurrency = max_concurrency
    o.attributes, o.attributes_len = attrs[0], attrs[1]
    o.tags, o.tags_len = tags[0], tags[1]
    return o


# ---- bytes-like inputs, borrowed in place ---------------------------------------------------


class _PyBuffer(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_GetBuffer = ctypes.pythonapi.PyObject_GetBuffer
_GetBuffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_GetBuffer.restype = ctypes.c_int
_ReleaseBuffer = ctypes.pythonapi.PyBuffer_Release
_ReleaseBuffer.argtypes = [ctypes.POINTER(_PyBuffer)]
_ReleaseBuffer.restype = None
_PyBUF_SIMPLE = 0
_PyBUF_WRITABLE = 1


class BorrowedBuffer:
    """The address and size of a bytes-like object's memory, held (not
    copied) until release(); writable: memory to write into."""

    __slots__ = ("address", "size", "_view", "_keep")

    def __init__(self, obj: Any, writable: bool = False):
        self._view = None
        self._keep = obj
        if writable:
            view = _PyBuffer()
            try:
                _GetBuffer(obj, _byref(view), _PyBUF_WRITABLE)
            except (BufferError, TypeError) as e:
                raise TypeError(f"buffer must be writable and C-contiguous, not {type(obj).__name__} ({e})") from None
            self._view = view
            self.size = view.len
            self.address = view.buf or 0
        elif type(obj) is bytes:
            self.size = len(obj)
            # c_char_p points at the bytes object's own storage.
            self.address = ctypes.cast(ctypes.c_char_p(obj), _c_void_p).value or 0
        elif isinstance(obj, Bytes):
            self.size = len(obj)
            self.address = _addressof(obj)
        else:
            view = _PyBuffer()
            try:
                _GetBuffer(obj, _byref(view), _PyBUF_SIMPLE)
            except BufferError as e:
                raise TypeError(f"file: the buffer must be C-contiguous ({e})") from None
            self._view = view
            self.size = view.len
            self.address = view.buf or 0

    def c_data(self) -> Any:
        """What to pass as a const void * (the bytes object itself when it is one)."""
        return self._keep if type(self._keep) is bytes else _c_void_p(self.address)

    def release(self) -> None:
        view, self._view = self._view, None
        if view is not None:
            _ReleaseBuffer(_byref(view))
        self._keep = None

    def __del__(self):
        try:
            self.release()
        except Exception:
            pass


class Piece:
    """A part of a borrowed buffer: an address and a size (no copy)."""

    __slots__ = ("address", "size")

    def __init__(self, address: int, size: int):
        self.address = address
        self.size = size


def is_buffer(obj: Any) -> bool:
    """Whether obj is bytes-like (a str is not)."""
    if isinstance(obj, (bytes, bytearray, memoryview, Bytes)):
        return True
    if isinstance(obj, str):
        return False
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def borrow_chunk(chunk: Any) -> BorrowedBuffer | Piece:
    """One chunk of an iterable input, borrowed (a Piece or BorrowedBuffer as is)."""
    if isinstance(chunk, (BorrowedBuffer, Piece)):
        return chunk
    return BorrowedBuffer(check_chunk(chunk))


def check_chunk(chunk: Any) -> Any:
    if not is_buffer(chunk):
        raise TypeError(f"file: every item of an iterable must be bytes-like, not {type(chunk).__name__}")
    return chunk
