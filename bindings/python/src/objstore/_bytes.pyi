"""Bytes: immutable bytes over memory the library owns (zero-copy)."""

import sys
from collections.abc import Iterator
from typing import Any, overload

if sys.version_info >= (3, 12):
    from collections.abc import Buffer
else:
    from typing_extensions import Buffer

__all__ = ["Bytes"]

class Bytes(Buffer):
    """Immutable bytes over memory the library owns: the network read wrote
    into it, and Python reads it without a copy (buffer protocol)."""

    def __new__(cls, buf: Buffer = b"") -> Bytes:
        """Bytes holding a copy of ``buf``."""
    def __init__(self, buf: Buffer = b"") -> None: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: int, /) -> int: ...
    @overload
    def __getitem__(self, key: slice, /) -> Bytes: ...
    def __iter__(self) -> Iterator[int]: ...
    def __contains__(self, item: object, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __lt__(self, other: Buffer, /) -> bool: ...
    def __le__(self, other: Buffer, /) -> bool: ...
    def __gt__(self, other: Buffer, /) -> bool: ...
    def __ge__(self, other: Buffer, /) -> bool: ...
    def __reversed__(self) -> Iterator[int]: ...
    def __copy__(self) -> Bytes: ...
    def __deepcopy__(self, memo: Any, /) -> Bytes: ...
    def __add__(self, other: Buffer, /) -> Bytes: ...
    def __radd__(self, other: Buffer, /) -> Bytes: ...
    def __mul__(self, times: int, /) -> Bytes:
        """The bytes repeated ``times`` times."""
    def __rmul__(self, times: int, /) -> Bytes: ...
    def __bytes__(self) -> bytes: ...
    def to_bytes(self) -> bytes:
        """A copy as :class:`bytes`."""
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Decode as text."""
    def hex(self, *args: Any) -> str:
        """Hexadecimal digits of the bytes."""
    def startswith(self, prefix: Buffer | tuple[Buffer, ...], *args: Any) -> bool:
        """As :meth:`bytes.startswith`, on the viewed memory."""
    def endswith(self, suffix: Buffer | tuple[Buffer, ...], *args: Any) -> bool:
        """As :meth:`bytes.endswith`, on the viewed memory."""
    def removeprefix(self, prefix: Buffer) -> Bytes:
        """As :meth:`bytes.removeprefix`, on the viewed memory."""
    def removesuffix(self, suffix: Buffer) -> Bytes:
        """As :meth:`bytes.removesuffix`, on the viewed memory."""
    def find(self, sub: Buffer | int, *args: Any) -> int:
        """As :meth:`bytes.find`, on the viewed memory."""
    def index(self, sub: Buffer | int, *args: Any) -> int:
        """As :meth:`bytes.index`, on the viewed memory."""
    def count(self, sub: Buffer | int, *args: Any) -> int:
        """As :meth:`bytes.count`, on the viewed memory."""
    def isalnum(self) -> bool:
        """As :meth:`bytes.isalnum`, on the viewed memory."""
    def isalpha(self) -> bool:
        """As :meth:`bytes.isalpha`, on the viewed memory."""
    def isascii(self) -> bool:
        """As :meth:`bytes.isascii`, on the viewed memory."""
    def isdigit(self) -> bool:
        """As :meth:`bytes.isdigit`, on the viewed memory."""
    def islower(self) -> bool:
        """As :meth:`bytes.islower`, on the viewed memory."""
    def isspace(self) -> bool:
        """As :meth:`bytes.isspace`, on the viewed memory."""
    def isupper(self) -> bool:
        """As :meth:`bytes.isupper`, on the viewed memory."""
    def lower(self) -> Bytes:
        """As :meth:`bytes.lower`, on the viewed memory."""
    def upper(self) -> Bytes:
        """As :meth:`bytes.upper`, on the viewed memory."""
