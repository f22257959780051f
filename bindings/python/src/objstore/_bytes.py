"""Bytes: an immutable, bytes-like view of memory the C library read into.

Python 3.11 cannot let a pure-Python class export the buffer protocol, so a
Bytes of length n is an instance of a class deriving from both :class:`Bytes`
(the bytes-like methods) and a ctypes array of n unsigned bytes (the buffer
export). The instance is created with ``from_address`` over the library's data
pointer, so ``memoryview(b)`` (and numpy, hashlib, file writes, sockets...)
read the library's memory directly: no copy anywhere. Each instance keeps a
reference to the owner of the native buffer, which frees it with
``objstore_buffer_free`` once every view of it is gone.

The per-length classes are cached (bounded; see _class_for); creating one
costs tens of microseconds, finding a cached one well under one, without a
lock.

Read-only: on Python 3.12 and newer, ``__buffer__`` (PEP 688) exports the
memory read-only, still without a copy: writing through ``memoryview(b)``,
``readinto(b)``, ``numpy.frombuffer(b).setflags(write=True)`` and any other
request for a writable buffer are refused. Python 3.11 has no ``__buffer__``
and no way for Python code to refuse a buffer request, so there the export
(PyBuffer_FillInfo, installed per class: see _export_with_strides) is
writable: ``Bytes`` itself refuses item assignment, but
``memoryview(b)[0] = 1`` writes into the library's buffer (and into every
other view of it). Treat Bytes as immutable on 3.11 too.
"""

from __future__ import annotations

import _thread
import ctypes
import opcode
import sys
import threading

__all__ = ["Bytes"]

_addressof = ctypes.addressof
_string_at = ctypes.string_at
_Array = ctypes.Array
_PYBUF_WRITABLE = 1  # inspect.BufferFlags.WRITABLE (3.12+)
_libc = ctypes.CDLL(None)
_memcmp = _libc.memcmp
_memcmp.restype = ctypes.c_int
_memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]


class Bytes:
    """An immutable sequence of bytes, shared with the C library without copying.

    Behaves like :class:`bytes` for the common operations (``len``, indexing,
    slicing, ``==`` with any bytes-like object, ``hash``, ``in``, ``+``,
    ``decode``, ``startswith``...) and implements the buffer protocol:
    ``memoryview(b)`` has format ``"B"`` and reads the library's memory in
    place, read-only on Python 3.12+ (see the module notes for 3.11).
    ``bytes(b)`` (or :meth:`to_bytes`) makes a copy in Python memory.

    Slicing with step 1 returns another zero-copy Bytes over the same memory.
    ``Bytes(buf)`` copies any bytes-like object into a new Bytes.
    """

    __slots__ = ()

    def __new__(cls, buf=b""):
        if cls is not Bytes:
            raise TypeError("create Bytes with objstore.Bytes(buf)")
        data = bytes(buf)
        obj = _class_for(len(data)).from_buffer_copy(data) if data else _Array.__new__(_EMPTY_CLASS)
        obj._owner = None
        return obj

    def __init__(self, buf=b""):
        # ctypes' Array.__init__ would treat `buf` as the first element.
        pass

    # -- sequence -------------------------------------------------------------

    def __getitem__(self, key):
        if key.__class__ is int:
            return _Array.__getitem__(self, key)
        if isinstance(key, slice):
            n = _Array.__len__(self)
            start, stop, step = key.indices(n)
            if step == 1:
                size = stop - start if stop > start else 0
                return _view(_addressof(self) + start, size, self._owner_or_self())
            return Bytes(bytes(self)[key])
        if hasattr(key, "__index__"):
            return _Array.__getitem__(self, key.__index__())
        raise TypeError(f"Bytes indices must be integers or slices, not {type(key).__name__}")

    def __setitem__(self, key, value):
        raise TypeError("'Bytes' object does not support item assignment")

    def __delitem__(self, key):
        raise TypeError("'Bytes' object does not support item deletion")

    def __iter__(self):
        return iter(self.to_bytes())

    def __reversed__(self):
        return reversed(self.to_bytes())

    def __contains__(self, item):
        if isinstance(item, int):
            return item in self.to_bytes()
        return bytes(item) in self.to_bytes()

    # -- conversions ------------------------------------------------------------

    def __bytes__(self) -> bytes:
        return _string_at(_addressof(self), _Array.__len__(self))

    def to_bytes(self) -> bytes:
        """Copy into a new :class:`bytes`."""
        return _string_at(_addressof(self), _Array.__len__(self))

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """As :meth:`bytes.decode`, on the viewed memory (no copy where bytes would not make one)."""
        return str(memoryview(self), encoding, errors)

    def hex(self, *args) -> str:
        """As :meth:`bytes.hex`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().hex(*args)

    def __repr__(self) -> str:
        n = _Array.__len__(self)
        if n <= 100:
            return f"Bytes({self.to_bytes()!r})"
        head = _string_at(_addressof(self), 100)
        return f"Bytes({head!r}... {n} bytes)"

    def __reduce__(self):
        return (Bytes, (self.to_bytes(),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    # -- comparison -----------------------------------------------------------------

    def __eq__(self, other):
        n = _Array.__len__(self)
        if isinstance(other, bytes):
            return len(other) == n and (n == 0 or _memcmp(_addressof(self), other, n) == 0)
        if isinstance(other, Bytes):
            return _Array.__len__(other) == n and (
                n == 0 or _memcmp(_addressof(self), _addressof(other), n) == 0
            )
        try:
            mv = memoryview(other)
        except TypeError:
            return NotImplemented
        return mv.nbytes == n and mv.tobytes() == self.to_bytes()

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash(self.to_bytes())

    def _cmp_other(self, other):
        if isinstance(other, (bytes, bytearray, memoryview, Bytes)):
            return bytes(other)
        return None

    def __lt__(self, other):
        o = self._cmp_other(other)
        return NotImplemented if o is None else self.to_bytes() < o

    def __le__(self, other):
        o = self._cmp_other(other)
        return NotImplemented if o is None else self.to_bytes() <= o

    def __gt__(self, other):
        o = self._cmp_other(other)
        return NotImplemented if o is None else self.to_bytes() > o

    def __ge__(self, other):
        o = self._cmp_other(other)
        return NotImplemented if o is None else self.to_bytes() >= o

    # -- bytes methods --------------------------------------------------------------

    def __add__(self, other):
        try:
            return Bytes(self.to_bytes() + bytes(memoryview(other)))
        except TypeError:
            return NotImplemented

    def __radd__(self, other):
        try:
            return Bytes(bytes(memoryview(other)) + self.to_bytes())
        except TypeError:
            return NotImplemented

    def __mul__(self, times):
        """The bytes repeated ``times`` times, as new Bytes (like ``bytes * n``)."""
        if isinstance(times, bool) or not hasattr(times, "__index__"):
            return NotImplemented
        return Bytes(self.to_bytes() * times.__index__())

    __rmul__ = __mul__

    def startswith(self, prefix, *args) -> bool:
        """As :meth:`bytes.startswith`, on the viewed memory (no copy where bytes would not make one)."""
        if isinstance(prefix, tuple):
            return self.to_bytes().startswith(tuple(bytes(p) for p in prefix), *args)
        if args:
            return self.to_bytes().startswith(bytes(prefix), *args)
        p = bytes(prefix)
        return len(p) <= len(self) and self[: len(p)] == p

    def endswith(self, suffix, *args) -> bool:
        """As :meth:`bytes.endswith`, on the viewed memory (no copy where bytes would not make one)."""
        if isinstance(suffix, tuple):
            return self.to_bytes().endswith(tuple(bytes(s) for s in suffix), *args)
        if args:
            return self.to_bytes().endswith(bytes(suffix), *args)
        s = bytes(suffix)
        n = len(self)
        return len(s) <= n and self[n - len(s) :] == s

    def removeprefix(self, prefix) -> Bytes:
        """As :meth:`bytes.removeprefix`, on the viewed memory (no copy where bytes would not make one)."""
        p = bytes(prefix)
        return self[len(p) :] if p and self.startswith(p) else self

    def removesuffix(self, suffix) -> Bytes:
        """As :meth:`bytes.removesuffix`, on the viewed memory (no copy where bytes would not make one)."""
        s = bytes(suffix)
        return self[: len(self) - len(s)] if s and self.endswith(s) else self

    def find(self, sub, *args) -> int:
        """As :meth:`bytes.find`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().find(sub if isinstance(sub, int) else bytes(sub), *args)

    def index(self, sub, *args) -> int:
        """As :meth:`bytes.index`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().index(sub if isinstance(sub, int) else bytes(sub), *args)

    def count(self, sub, *args) -> int:
        """As :meth:`bytes.count`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().count(sub if isinstance(sub, int) else bytes(sub), *args)

    def isalnum(self) -> bool:
        """As :meth:`bytes.isalnum`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().isalnum()

    def isalpha(self) -> bool:
        """As :meth:`bytes.isalpha`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().isalpha()

    def isascii(self) -> bool:
        """As :meth:`bytes.isascii`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().isascii()

    def isdigit(self) -> bool:
        """As :meth:`bytes.isdigit`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().isdigit()

    def islower(self) -> bool:
        """As :meth:`bytes.islower`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().islower()

    def isspace(self) -> bool:
        """As :meth:`bytes.isspace`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().isspace()

    def isupper(self) -> bool:
        """As :meth:`bytes.isupper`, on the viewed memory (no copy where bytes would not make one)."""
        return self.to_bytes().isupper()

    def lower(self) -> Bytes:
        """As :meth:`bytes.lower`, on the viewed memory (no copy where bytes would not make one)."""
        return Bytes(self.to_bytes().lower())

    def upper(self) -> Bytes:
        """As :meth:`bytes.upper`, on the viewed memory (no copy where bytes would not make one)."""
        return Bytes(self.to_bytes().upper())

    # -- internals --------------------------------------------------------------------

    def _owner_or_self(self):
        owner = self._owner
        return self if owner is None else owner

    def _address(self) -> int:
        """The address of the first byte (the library's data pointer)."""
        return _addressof(self)

    if sys.version_info >= (3, 12):

        def __buffer__(self, flags):
            # The ctypes array's buffer (asked for without PyBUF_WRITABLE),
            # as plain read-only unsigned bytes; CPython then refuses it to a
            # consumer that asked for a writable buffer.
            return _Array.__buffer__(self, flags & ~_PYBUF_WRITABLE).cast("B").toreadonly()


# ---- per-length classes -----------------------------------------------------------

# The per-length classes, in two generations: a length is looked up in
# _recent without a lock (the hot path of every get: one dict read, which
# stays cheap and never serializes threads on a free-threaded build); a
# length found only in _older is moved back into _recent. Once _recent holds
# _MAX_CLASSES // 2 lengths it becomes _older and the previous _older is
# dropped: a length unused for that long is forgotten (its class lives on
# while instances do). At most _MAX_CLASSES classes are kept.
_MAX_CLASSES = 1024
_recent: dict[int, type] = {}
_older: dict[int, type] = {}
_classes_lock = threading.Lock()  # held to change _recent and _older


if sys.version_info[:2] == (3, 11):
    # A ctypes array exports its buffer without strides even to a consumer
    # that asks for them (CPython gh-57060), and with the format "<B". Some
    # consumers then read the NULL strides: on 3.11, with Bytes' format made
    # "B", ``memoryview(bytearray(n))[:n] = b`` and ``memoryview(x) == b``
    # crashed the interpreter. So each Bytes class exports its buffer through
    # PyBuffer_FillInfo, as bytes and bytearray do: format "B", shape and
    # strides filled whenever asked for, writable (see the module notes).
    # 3.12+ exports through __buffer__ instead (a memoryview, read-only).
    _FillInfo = ctypes.pythonapi.PyBuffer_FillInfo
    _FillInfo.argtypes = [
        ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int, ctypes.c_int,
    ]
    _FillInfo.restype = ctypes.c_int

    _VIEW_OBJ = 8  # offsetof(Py_buffer, obj)

    def _export_buffer(obj, view, flags):
        # A ctypes callback cannot pass an exception to its C caller (it
        # returns garbage, and the consumer would read an unfilled view), so
        # nothing may raise before FillInfo has filled the view: no call
        # before it (a ctypes array passed as void * is its address), and no
        # check for pending signals at entry (see below).
        try:
            _FillInfo(view, obj, obj, obj._length_, 0, flags)
        except BaseException as e:
            # A signal handler's exception, raised as the call returned.
            if ctypes.c_void_p.from_address(view + _VIEW_OBJ).value != id(obj):
                return -1  # not filled after all: the consumer sees a SystemError
            if isinstance(e, KeyboardInterrupt):
                _thread.interrupt_main()  # Ctrl-C again, out of the callback
        return 0

    # Python code handles pending signals where a function starts (RESUME
    # with argument 0 or 1) and after calls. Argument 2 (what follows a
    # "yield from") skips the first check; the one call is FillInfo's.
    _RESUME = opcode.opmap["RESUME"]
    _code = _export_buffer.__code__
    if _code.co_code[:2] == bytes((_RESUME, 0)):
        _export_buffer.__code__ = _code.replace(co_code=bytes((_RESUME, 2)) + _code.co_code[2:])
    _export_buffer = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_void_p, ctypes.c_int)(_export_buffer)

    # PyTypeObject on 64-bit CPython 3.11: where tp_basicsize, tp_itemsize,
    # tp_as_buffer and tp_flags are. Checked against the class before the
    # class's own PyBufferProcs (inside its heap type object) is written.
    _TP_BASICSIZE, _TP_ITEMSIZE, _TP_AS_BUFFER, _TP_FLAGS = 32, 40, 160, 168
    _ARRAY_GETBUFFER = ctypes.c_void_p.from_address(
        ctypes.c_void_p.from_address(id(_Array) + _TP_AS_BUFFER).value
    ).value
    _EXPORT_ADDRESS = ctypes.cast(_export_buffer, ctypes.c_void_p).value

    def _export_with_strides(cls: type) -> None:
        # Any mismatch leaves ctypes' own export (test_bytes checks this took).
        if ctypes.sizeof(ctypes.c_void_p) != 8 or sys.implementation.name != "cpython":
            return
        base = id(cls)
        ssize = ctypes.c_ssize_t
        procs = ctypes.c_void_p.from_address(base + _TP_AS_BUFFER).value
        if not (
            ssize.from_address(base + _TP_BASICSIZE).value == cls.__basicsize__
            and ssize.from_address(base + _TP_ITEMSIZE).value == cls.__itemsize__
            and ctypes.c_ulong.from_address(base + _TP_FLAGS).value == cls.__flags__
            and procs is not None
            and base < procs < base + type(cls).__basicsize__  # the class's own, not ctypes'
            and ctypes.c_void_p.from_address(procs).value == _ARRAY_GETBUFFER
        ):
            return
        ctypes.c_void_p.from_address(procs).value = _EXPORT_ADDRESS

    _CLASS_EXTRAS = {"_export_buffer": _export_buffer}  # each class keeps the callback alive
else:

    def _export_with_strides(cls: type) -> None:
        pass

    _CLASS_EXTRAS = {}


def _new_class(n: int) -> type:
    cls = type(
        "Bytes",
        (Bytes, _Array),
        {
            "__slots__": ("_owner",),
            "_type_": ctypes.c_ubyte,
            "_length_": n,
            "__module__": "objstore",
            **_CLASS_EXTRAS,
        },
    )
    _export_with_strides(cls)
    return cls


def _class_for(n: int) -> type:
    cls = _recent.get(n)
    if cls is not None:
        return cls
    return _remember(n)


def _remember(n: int) -> type:
    """The class for length n, made or taken from _older, now in _recent."""
    global _recent, _older
    cls = _older.get(n)
    if cls is None:
        cls = _new_class(n)  # outside the lock: tens of microseconds
    with _classes_lock:
        known = _recent.get(n) or _older.get(n)
        if known is not None:  # another thread was first: one class per length
            cls = known
        if len(_recent) >= _MAX_CLASSES // 2:
            _older, _recent = _recent, {}
        _recent[n] = cls
    return cls


def cached_lengths() -> int:
    """How many per-length classes are cached (at most _MAX_CLASSES)."""
    return len(_recent) + len(_older)


_EMPTY_CLASS = _new_class(0)


def _view(address: int, size: int, owner) -> Bytes:
    """A Bytes over [address, address+size) that keeps `owner` alive."""
    if size:
        cls = _recent.get(size)  # _class_for, inlined: every get makes a view
        obj = (cls or _remember(size)).from_address(address)
    else:
        obj = _EMPTY_CLASS.from_address(address or 0)
    obj._owner = owner
    return obj
