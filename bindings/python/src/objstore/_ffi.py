"""The C ABI of libobjstore (include/objstore.h), declared with ctypes.

The library is loaded lazily: importing objstore does not load it; the first
call that needs it does (first I/O, or a store constructor validating its
configuration). See DESIGN-NOTES.md for why ctypes rather than cffi.

Every entry point goes through :func:`lib`, which also refuses to run in a
child created by ``fork()`` after the parent loaded the library.
"""

from __future__ import annotations

import ctypes
import os
import threading
from array import array
from pathlib import Path
from typing import NoReturn

from . import exceptions as _exc

ABI_VERSION = 1

c_int = ctypes.c_int
c_uint = ctypes.c_uint
c_size_t = ctypes.c_size_t
c_uint64 = ctypes.c_uint64
c_int64 = ctypes.c_int64
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
POINTER = ctypes.POINTER
byref = ctypes.byref

# ---- Structs (field order and types exactly as in objstore.h) -------------


class Error(ctypes.Structure):
    _fields_ = [("code", c_int), ("message", c_char_p)]


class ObjectMeta(ctypes.Structure):
    _fields_ = [
        ("location", c_char_p),
        ("e_tag", c_char_p),
        ("version", c_char_p),
        ("size", c_uint64),
        ("last_modified_ns", c_int64),
    ]


class KV(ctypes.Structure):
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class Range(ctypes.Structure):
    _fields_ = [("kind", c_int), ("start", c_uint64), ("end", c_uint64), ("length", c_uint64)]


RANGE_NONE, RANGE_BOUNDED, RANGE_OFFSET, RANGE_SUFFIX = 0, 1, 2, 3

GET_OPTIONS_VERSION = 1
GET_HEAD = 1 << 0
GET_IF_MODIFIED_SINCE = 1 << 1
GET_IF_UNMODIFIED_SINCE = 1 << 2
TIME_UNSET = -(2**63)


class GetOptions(ctypes.Structure):
    _fields_ = [
        ("version", c_uint),
        ("flags", c_uint),
        ("if_match", c_char_p),
        ("if_none_match", c_char_p),
        ("if_modified_since_ns", c_int64),
        ("if_unmodified_since_ns", c_int64),
        ("range", Range),
        ("object_version", c_char_p),
    ]


class GetInfo(ctypes.Structure):
    _fields_ = [
        ("meta", ObjectMeta),
        ("range_start", c_uint64),
        ("range_end", c_uint64),
        ("attributes", POINTER(KV)),
        ("attributes_len", c_size_t),
    ]


PUT_OVERWRITE, PUT_CREATE, PUT_UPDATE = 0, 1, 2
PUT_OPTIONS_VERSION = 1


class PutOptions(ctypes.Structure):
    _fields_ = [
        ("version", c_uint),
        ("mode", c_int),
        ("e_tag", c_char_p),
        ("object_version", c_char_p),
        ("attributes", POINTER(KV)),
        ("attributes_len", c_size_t),
        ("tags", POINTER(KV)),
        ("tags_len", c_size_t),
    ]


WRITER_OPTIONS_VERSION = 1


class WriterOptions(ctypes.Structure):
    _fields_ = [
        ("version", c_uint),
        ("chunk_size", c_size_t),
        ("max_concurrency", c_size_t),
        ("attributes", POINTER(KV)),
        ("attributes_len", c_size_t),
        ("tags", POINTER(KV)),
        ("tags_len", c_size_t),
    ]


IF_NOT_EXISTS = 1

E_FORKED = 101

# Handles are opaque: plain addresses (c_void_p). Out-parameters are
# POINTER(c_void_p) etc.; ctypes passes byref() arguments through them.
_P = c_void_p
_PP = POINTER(c_void_p)
_ERRPP = POINTER(POINTER(Error))
_SIZEP = POINTER(c_size_t)

# name: (restype, argtypes)
_SIGNATURES = {
    "objstore_error_free": (c_int, [POINTER(Error)]),
    "objstore_string_free": (None, [c_void_p]),
    "objstore_abi_version": (c_int, []),
    "objstore_version": (c_char_p, []),
    "objstore_code_name": (c_char_p, [c_int]),
    "objstore_store_new": (c_int, [c_char_p, c_char_p, _PP, _ERRPP]),
    "objstore_store_wrap": (c_int, [c_char_p, _P, _PP, _ERRPP]),
    "objstore_store_free": (c_int, [_P]),
    "objstore_store_config_json": (c_int, [_P, _PP, _ERRPP]),
    "objstore_config_normalize": (c_int, [c_char_p, _PP, _ERRPP]),
    "objstore_config_from_url": (c_int, [c_char_p, c_char_p, _PP, _ERRPP]),
    "objstore_store_env_names": (c_int, [c_char_p, _PP, _ERRPP]),
    "objstore_tracing_flush": (c_int, [c_int64, _ERRPP]),
    "objstore_metrics_json": (c_int, [_P, _PP, _ERRPP]),
    "objstore_metrics_prometheus": (c_int, [_P, _PP, _ERRPP]),
    "objstore_buffer_data": (c_int, [_P, _PP, _SIZEP]),
    "objstore_buffer_free": (c_int, [_P]),
    "objstore_buffers_free": (c_int, [c_void_p, c_size_t]),
    "objstore_meta_list_free": (c_int, [_P]),
    "objstore_get": (c_int, [_P, c_char_p, POINTER(GetOptions), _PP, POINTER(POINTER(GetInfo)), _ERRPP]),
    "objstore_reader_read_all": (c_int, [_P, _PP, _PP, _SIZEP, _ERRPP]),
    "objstore_reader_read_chunk": (c_int, [_P, c_size_t, _PP, _PP, _SIZEP, _ERRPP]),
    "objstore_reader_read_into": (c_int, [_P, c_void_p, c_size_t, _SIZEP, _ERRPP]),
    "objstore_reader_free": (c_int, [_P]),
    "objstore_get_small": (
        c_int,
        [_P, c_char_p, POINTER(GetOptions), c_size_t, _PP, _PP, _PP, _SIZEP, POINTER(POINTER(GetInfo)), _ERRPP],
    ),
    "objstore_get_bytes": (
        c_int,
        [_P, c_char_p, POINTER(GetOptions), _PP, _PP, _SIZEP, POINTER(POINTER(GetInfo)), _ERRPP],
    ),
    "objstore_get_ranges": (
        c_int,
        [_P, c_char_p, POINTER(c_uint64), POINTER(c_uint64), c_size_t, _PP, _PP, _SIZEP, _ERRPP],
    ),
    "objstore_get_ranges_coalesce": (
        c_int,
        [_P, c_char_p, POINTER(c_uint64), POINTER(c_uint64), c_size_t, c_uint64, _PP, _PP, _SIZEP, _ERRPP],
    ),
    "objstore_head": (c_int, [_P, c_char_p, _PP, POINTER(POINTER(ObjectMeta)), _ERRPP]),
    "objstore_head_into": (c_int, [_P, c_char_p, POINTER(ObjectMeta), c_void_p, c_size_t, _SIZEP, _ERRPP]),
    "objstore_put": (c_int, [_P, c_char_p, c_void_p, c_size_t, POINTER(PutOptions), _PP, _PP, _ERRPP]),
    "objstore_upload_new": (c_int, [_P, c_char_p, POINTER(PutOptions), _PP, _ERRPP]),
    "objstore_upload_put_part": (c_int, [_P, c_size_t, c_void_p, c_size_t, _ERRPP]),
    "objstore_upload_complete": (c_int, [_P, _PP, _PP, _ERRPP]),
    "objstore_upload_abort": (c_int, [_P, _ERRPP]),
    "objstore_upload_free": (c_int, [_P]),
    "objstore_writer_new": (c_int, [_P, c_char_p, POINTER(WriterOptions), _PP, _ERRPP]),
    "objstore_writer_write": (c_int, [_P, c_void_p, c_size_t, _ERRPP]),
    "objstore_writer_write_borrowed": (c_int, [_P, c_void_p, c_size_t, _ERRPP]),
    "objstore_writer_close": (c_int, [_P, _PP, _PP, _ERRPP]),
    "objstore_writer_abort": (c_int, [_P, _ERRPP]),
    "objstore_writer_free": (c_int, [_P]),
    "objstore_delete": (c_int, [_P, c_char_p, _ERRPP]),
    "objstore_delete_many": (c_int, [_P, POINTER(c_char_p), c_size_t, POINTER(c_int), _ERRPP]),
    "objstore_copy": (c_int, [_P, c_char_p, c_char_p, c_uint, _ERRPP]),
    "objstore_rename": (c_int, [_P, c_char_p, c_char_p, c_uint, _ERRPP]),
    "objstore_sign": (c_int, [_P, c_char_p, c_char_p, c_uint64, _PP, _ERRPP]),
    "objstore_list_new": (c_int, [_P, c_char_p, c_char_p, _PP, _ERRPP]),
    "objstore_list_next": (
        c_int,
        [_P, c_size_t, _PP, POINTER(POINTER(ObjectMeta)), _SIZEP, _ERRPP],
    ),
    "objstore_list_free": (c_int, [_P]),
    "objstore_list_with_delimiter": (
        c_int,
        [
            _P,
            c_char_p,
            _PP,
            POINTER(POINTER(ObjectMeta)),
            _SIZEP,
            POINTER(POINTER(c_char_p)),
            _SIZEP,
            _ERRPP,
        ],
    ),
}

# The hot calls also exist without argtypes ("fast" table): ctypes' per-argument
# conversion costs about 0.8 us per call here. Every argument passed to them
# must already be a ctypes object of the exact C type (c_void_p handles,
# c_size_t sizes, byref() out-parameters), bytes (const char *) or None
# (NULL): a plain Python int would be passed as a C int.
FAST_FUNCTIONS = (
    "objstore_get",
    "objstore_get_small",
    "objstore_get_bytes",
    "objstore_reader_read_all",
    "objstore_reader_read_chunk",
    "objstore_head",
    "objstore_head_into",
    "objstore_put",
    "objstore_delete_many",
    "objstore_list_next",
)


class Fast:
    """The hot functions, without argtypes (see FAST_FUNCTIONS)."""

    __slots__ = tuple(name[len("objstore_") :] for name in FAST_FUNCTIONS)


# Room for a head's strings (path, e_tag, version) in the per-thread
# scratch; longer ones take the handle-based objstore_head.
HEAD_STRINGS = 4096
HEAD_STRINGS_CAP = c_size_t(HEAD_STRINGS)


class Scratch:
    """Out-parameters and per-call options, reused across calls (allocating
    and byref()-ing them costs about 1 us per call): taken with scratch()
    for one call and given back (taken = False) once its outputs are read."""

    __slots__ = (
        "out", "data", "size", "err", "str1", "str2", "items", "info", "reader", "meta", "strings",
        "r_out", "r_data", "r_size", "r_err", "r_str1", "r_str2", "r_items", "r_info", "r_reader", "r_meta",
        "range", "r_range_options", "r_put_options", "str1_chars", "str2_chars", "taken",
    )

    def __init__(self):
        self.taken = False
        self.out = c_void_p()
        self.data = c_void_p()
        self.size = c_size_t()
        self.err = POINTER(Error)()
        self.str1 = c_void_p()
        self.str2 = c_void_p()
        self.items = POINTER(ObjectMeta)()
        self.info = POINTER(GetInfo)()
        self.reader = c_void_p()
        self.meta = ObjectMeta()  # objstore_head_into's, its strings in .strings
        self.strings = ctypes.create_string_buffer(HEAD_STRINGS)
        self.r_out = byref(self.out)
        self.r_data = byref(self.data)
        self.r_size = byref(self.size)
        self.r_err = byref(self.err)
        self.r_str1 = byref(self.str1)
        self.r_str2 = byref(self.str2)
        self.r_items = byref(self.items)
        self.r_info = byref(self.info)
        self.r_reader = byref(self.reader)
        self.r_meta = byref(self.meta)
        # A bounded range's get options (get_range sets .range's start and
        # end; building a GetOptions per call costs about 1 us) and a plain
        # overwrite's put options: both read by the library during the call only.
        range_options = GetOptions(GET_OPTIONS_VERSION, 0, None, None, 0, 0, Range(RANGE_BOUNDED, 0, 0, 0))
        self.range = range_options.range  # a view into range_options (which it keeps alive)
        self.r_range_options = byref(range_options)
        self.r_put_options = byref(PutOptions(PUT_OPTIONS_VERSION, PUT_OVERWRITE))
        # str1 and str2 read as C strings in place (ctypes.string_at is a
        # foreign call of its own, ~0.4 us).
        self.str1_chars = c_char_p.from_buffer(self.str1)
        self.str2_chars = c_char_p.from_buffer(self.str2)


_tls = threading.local()


def scratch() -> Scratch:
    """This thread's scratch, taken for one call: the caller gives it back
    (``t.taken = False``) once the call's outputs are read. A call that
    starts on this thread meanwhile -- a signal handler, or a finalizer the
    collector runs at an allocation between our steps -- finds it taken and
    makes the thread a new one, so it cannot overwrite the options or the
    outputs of the call it interrupted. One left taken by an exception on
    the way is replaced the same way, once."""
    try:
        t = _tls.scratch
    except AttributeError:  # this thread's first call
        t = None
    if t is None or t.taken:
        t = _tls.scratch = Scratch()
    t.taken = True
    return t


def fail(rc: int, t: Scratch) -> NoReturn:
    """Raise the error a failed call left in t, giving t back."""
    e = make_error(rc, t.err)
    t.taken = False
    raise e


# ---- Loading ---------------------------------------------------------------

_load_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_fast: Fast | None = None
_pid: int | None = None
_path: str | None = None
_getpid = os.getpid
_exiting = False
# Set in a child forked after the library was loaded here. A flag (set by
# os.register_at_fork) is cheaper per call than comparing os.getpid(); forks
# that bypass os.fork are still caught by the C shim (OBJSTORE_E_FORKED).
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    if _lib is not None:
        _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def is_loaded() -> bool:
    """True once the shared library has been loaded into this process."""
    return _lib is not None


def library_path() -> str | None:
    """The file the library was loaded from, or None if not loaded yet."""
    return _path


def candidate_paths() -> list[Path]:
    """Where the library is looked for, in order."""
    paths = []
    env = os.environ.get("OBJSTORE_LIBRARY")
    if env:
        paths.append(Path(env))
    here = Path(__file__).resolve().parent
    paths.append(here / "_lib" / "libobjstore.so")
    # src/objstore/_ffi.py -> repository root is four levels up.
    if len(here.parents) >= 4:
        paths.append(here.parents[3] / "build" / "libobjstore.so")
    return paths


def lib() -> ctypes.CDLL:
    """The loaded library (loading it on first use). Raises ForkedError in a
    child forked after the library was loaded."""
    L = _lib
    if L is not None and not _forked:
        return L
    return _load()


def fast() -> Fast:
    """The hot functions without argtypes (loading the library on first use)."""
    F = _fast
    if F is not None and not _forked:
        return F
    _load()
    return _fast


def _load() -> ctypes.CDLL:
    global _lib, _pid, _path, _fast
    with _load_lock:
        if _lib is not None:
            if _forked or _pid != _getpid():
                raise _exc.ForkedError(_exc.FORK_MESSAGE)
            return _lib
        tried = []
        for path in candidate_paths():
            if not path.exists():
                tried.append(f"{path} (missing)")
                continue
            try:
                L = ctypes.CDLL(str(path))
            except OSError as e:
                tried.append(f"{path} ({e})")
                continue
            break
        else:
            raise _exc.LibraryNotFoundError(
                "could not load libobjstore.so; tried: "
                + "; ".join(tried)
                + ". Build it with `make build`, or set OBJSTORE_LIBRARY to its path."
            )
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(L, name)
            fn.restype = restype
            fn.argtypes = argtypes
        abi = L.objstore_abi_version()
        if abi != ABI_VERSION:
            raise _exc.LibraryNotFoundError(
                f"{path} has ABI version {abi}; this objstore package needs {ABI_VERSION}"
            )
        # A second handle on the same library, so that these function objects
        # carry no argtypes while L's keep theirs.
        L2 = ctypes.CDLL(str(path))
        F = Fast()
        for name in FAST_FUNCTIONS:
            fn = getattr(L2, name)
            fn.restype = c_int
            setattr(F, name[len("objstore_") :], fn)
        _pid = _getpid()
        _path = str(path)
        _fast = F
        _lib = L
        return L


def check_process() -> None:
    """Raise ForkedError if the library was loaded in a parent of this
    process (that is, we are in a forked child)."""
    if _lib is not None and (_forked or _pid != _getpid()):
        raise _exc.ForkedError(_exc.FORK_MESSAGE)


# ---- Errors and strings -----------------------------------------------------


def new_err() -> POINTER(Error):
    return POINTER(Error)()


def raise_error(rc: int, errp) -> None:
    """Raise the exception for a failed call's status and error struct."""
    raise make_error(rc, errp)


def make_error(rc: int, errp) -> _exc.BaseError:
    L = _lib
    code, message = rc, None
    if errp:
        e = errp.contents
        code = e.code
        message = e.message.decode("utf-8", "replace") if e.message else None
        L.objstore_error_free(errp)
        c_void_p.from_buffer(errp).value = None  # reusable (scratch) pointer: back to NULL
    if code == E_FORKED:
        return _exc.ForkedError(_exc.FORK_MESSAGE)
    if message is None:
        name = L.objstore_code_name(code) if L is not None else None
        message = name.decode() if name else f"objstore error {code}"
    return _exc.error_for_code(code, message)


def take_string(p: c_void_p) -> str | None:
    """Read and free a "caller frees" string out-parameter."""
    addr = p.value
    if not addr:
        return None
    try:
        return ctypes.string_at(addr).decode("utf-8", "replace")
    finally:
        _lib.objstore_string_free(addr)


def take_scratch_strings(t: Scratch) -> tuple[str | None, str | None]:
    """Read and free the "caller frees" strings a call left in t.str1 and t.str2."""
    one, two = t.str1_chars.value, t.str2_chars.value
    if one is not None:
        _lib.objstore_string_free(t.str1)
        one = one.decode("utf-8", "replace")
    if two is not None:
        _lib.objstore_string_free(t.str2)
        two = two.decode("utf-8", "replace")
    return one, two


def decode(b: bytes | None) -> str | None:
    return None if b is None else b.decode("utf-8", "surrogateescape")


# ---- Owned native objects ------------------------------------------------------


class NativeHandle:
    """Owns one library handle and frees it with ``free_name`` when garbage
    collected (or on :meth:`close`). Never frees in a forked child: the
    handle belongs to the parent's library instance."""

    __slots__ = ("handle", "ref", "__weakref__")
    free_name = ""

    def __init__(self, handle: int):
        self.handle = handle
        self.ref = None

    def close(self) -> None:
        # Not atomic: two threads closing one handle at once may both free
        # it. Harmless by the C contract: freeing a freed handle (or using
        # one) is refused with OBJSTORE_E_BAD_HANDLE, and a freed address is
        # quarantined, never handed out again meanwhile (capi/registry.go).
        h, self.handle = self.handle, None
        self.ref = None
        if h and not _exiting and not _forked and _lib is not None:
            getattr(_lib, self.free_name)(h)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may be half torn down
            pass


class BufferHandle(NativeHandle):
    __slots__ = ()
    free_name = "objstore_buffer_free"

    # Every small get frees one buffer: the same checks as close(), without
    # its bookkeeping (nothing can use a collected handle again).
    def __del__(self):
        h = self.handle
        if h and not _exiting and not _forked:
            try:
                _lib.objstore_buffer_free(h)  # loaded: it made h
            except Exception:  # interpreter shutdown: modules may be half torn down
                pass


class SmallBufferHandle(NativeHandle):
    """The buffer of one small body (at most SMALL_BUFFER bytes): freed in
    batches. A program doing small gets drops one buffer per call, and a
    crossing into the library per buffer costs more than a fifth of such a
    call; so a collected small buffer waits in a list and every
    FREE_BATCH-th is freed with the rest in one objstore_buffers_free. At
    most FREE_BATCH * SMALL_BUFFER bytes (1 MiB) wait; debug_stats() frees
    them first, so its counts stay exact."""

    __slots__ = ()
    free_name = "objstore_buffer_free"

    def __del__(self):
        h = self.handle
        if h and not _exiting and not _forked:
            _unfreed.append(h)  # atomic, also without the GIL
            if len(_unfreed) >= FREE_BATCH:
                try:
                    free_unfreed()
                except Exception:  # interpreter shutdown: modules may be half torn down
                    pass


SMALL_BUFFER = 16 * 1024
FREE_BATCH = 64
_unfreed: list[int] = []


def buffer_owner(handle: int, size: int) -> NativeHandle:
    """The owner of a buffer holding size bytes of body: small ones are
    freed in batches (SmallBufferHandle), others at once."""
    return SmallBufferHandle(handle) if size <= SMALL_BUFFER else BufferHandle(handle)


def free_unfreed() -> None:
    """Free the small buffers waiting in _unfreed, in one call. Each pop is
    atomic, so threads flushing at once split the list, never free one
    twice."""
    batch = array("Q")
    pop = _unfreed.pop
    while True:
        try:
            batch.append(pop())
        except IndexError:
            break
    if batch and not _exiting and not _forked and _lib is not None:
        _lib.objstore_buffers_free(batch.buffer_info()[0], len(batch))


class MetaListHandle(NativeHandle):
    __slots__ = ()
    free_name = "objstore_meta_list_free"


class _PassedHandle(NativeHandle):
    """A handle that is passed to fast calls: keeps it as a c_void_p too."""

    __slots__ = ()

    def __init__(self, handle: int):
        self.handle = handle
        self.ref = c_void_p(handle)


class ReaderHandle(_PassedHandle):
    __slots__ = ()
    free_name = "objstore_reader_free"


class ListHandle(_PassedHandle):
    __slots__ = ()
    free_name = "objstore_list_free"


class WriterHandle(NativeHandle):
    __slots__ = ()
    free_name = "objstore_writer_free"


class StoreHandle(_PassedHandle):
    __slots__ = ()
    free_name = "objstore_store_free"


def set_exiting() -> None:
    """Called at interpreter exit: from now on handles are left to the OS
    (finalizers run while modules are being torn down)."""
    global _exiting
    _exiting = True


def abi_version() -> int:
    return lib().objstore_abi_version()


def version() -> str:
    return lib().objstore_version().decode()

