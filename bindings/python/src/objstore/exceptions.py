"""Exceptions raised by objstore.

Every error the C library reports becomes an instance of a subclass of
:class:`BaseError`. Where a builtin exception means the same thing, the class
also derives from it, so ``except FileNotFoundError`` catches a missing object
and ``except ValueError`` catches a bad path or configuration key.

The names follow obstore's ``obstore.exceptions`` where obstore has the case.
"""

from __future__ import annotations

import builtins

__all__ = [
    "BaseError",
    "GenericError",
    "NotFoundError",
    "AlreadyExistsError",
    "PreconditionError",
    "NotModifiedError",
    "OperationNotImplementedError",
    "NotSupportedError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "InvalidPathError",
    "InvalidArgumentError",
    "UnknownConfigurationKeyError",
    "RequestTimeoutError",
    "CancelledError",
    "IntegrityError",
    "JoinError",
    "BadHandleError",
    "ForkedError",
    "InternalError",
    "LibraryNotFoundError",
]


class BaseError(Exception):
    """The base class of every objstore error.

    ``code`` is the C library's status code (an ``objstore_code``) and
    ``code_name`` its name, e.g. ``"OBJSTORE_E_NOT_FOUND"``.
    """

    code: int = 1
    code_name: str = "OBJSTORE_E_GENERIC"


class GenericError(BaseError):
    """A failure that fits no other class; the message says what happened."""


class NotFoundError(BaseError, builtins.FileNotFoundError):
    """The object (or bucket) does not exist. Also a ``FileNotFoundError``."""

    code, code_name = 2, "OBJSTORE_E_NOT_FOUND"


class AlreadyExistsError(BaseError, builtins.FileExistsError):
    """A create-only put or copy found an object already there. Also a ``FileExistsError``."""

    code, code_name = 3, "OBJSTORE_E_ALREADY_EXISTS"


class PreconditionError(BaseError):
    """``if_match`` / ``if_unmodified_since`` / an update-mode put did not hold."""

    code, code_name = 4, "OBJSTORE_E_PRECONDITION"


class NotModifiedError(BaseError):
    """``if_none_match`` / ``if_modified_since`` matched: the object is unchanged."""

    code, code_name = 5, "OBJSTORE_E_NOT_MODIFIED"


class OperationNotImplementedError(BaseError, builtins.NotImplementedError):
    """The library does not implement this operation for this store."""

    code, code_name = 6, "OBJSTORE_E_NOT_IMPLEMENTED"


class NotSupportedError(BaseError):
    """The service behind the store cannot do this (e.g. signing a local path)."""

    code, code_name = 7, "OBJSTORE_E_NOT_SUPPORTED"


class PermissionDeniedError(BaseError, builtins.PermissionError):
    """Authenticated, but not allowed. Also a ``PermissionError``."""

    code, code_name = 8, "OBJSTORE_E_PERMISSION_DENIED"


class UnauthenticatedError(BaseError):
    """Missing or wrong credentials."""

    code, code_name = 9, "OBJSTORE_E_UNAUTHENTICATED"


class InvalidPathError(BaseError, builtins.ValueError):
    """The path breaks the path rules (empty, ``.`` or ``..`` segment, control character)."""

    code, code_name = 10, "OBJSTORE_E_INVALID_PATH"


class InvalidArgumentError(BaseError, builtins.ValueError):
    """A bad value: a range, an option, a config value, a URL."""

    code, code_name = 11, "OBJSTORE_E_INVALID_ARGUMENT"


class UnknownConfigurationKeyError(BaseError, builtins.ValueError):
    """A configuration key the store does not know."""

    code, code_name = 12, "OBJSTORE_E_UNKNOWN_CONFIG_KEY"


class RequestTimeoutError(BaseError, builtins.TimeoutError):
    """A deadline passed. Also a ``TimeoutError``."""

    code, code_name = 13, "OBJSTORE_E_TIMEOUT"


class CancelledError(BaseError):
    """The request was cancelled."""

    code, code_name = 14, "OBJSTORE_E_CANCELLED"


class IntegrityError(BaseError):
    """The bytes do not match the checksum the service sent (or accepted) for them.

    A corrupted transfer is never returned as success; retrying may succeed.
    """

    code, code_name = 15, "OBJSTORE_E_INTEGRITY"


class JoinError(BaseError):
    """A task running a request failed to complete (obstore's name for a
    request whose worker was lost). The library reports such failures as
    :class:`InternalError`, which derives from this class."""


class BadHandleError(BaseError, builtins.RuntimeError):
    """A native handle was used after it was freed (a bug in the caller or in objstore)."""

    code, code_name = 100, "OBJSTORE_E_BAD_HANDLE"


class ForkedError(BaseError, builtins.RuntimeError):
    """objstore was used in a child created by ``fork()``.

    The Go runtime inside the library does not survive ``fork()``. Start worker
    processes with the ``"spawn"`` or ``"forkserver"`` multiprocessing start
    method instead (``multiprocessing.set_start_method("spawn")`` or
    ``multiprocessing.get_context("spawn")``).
    """

    code, code_name = 101, "OBJSTORE_E_FORKED"


class InternalError(JoinError, builtins.RuntimeError):
    """A bug in the library that it recovered from; please report it."""

    code, code_name = 102, "OBJSTORE_E_INTERNAL"


class LibraryNotFoundError(BaseError, builtins.ImportError):
    """The shared library libobjstore.so could not be found or loaded."""


_BY_CODE: dict[int, type[BaseError]] = {
    cls.code: cls
    for cls in (
        NotFoundError,
        AlreadyExistsError,
        PreconditionError,
        NotModifiedError,
        OperationNotImplementedError,
        NotSupportedError,
        PermissionDeniedError,
        UnauthenticatedError,
        InvalidPathError,
        InvalidArgumentError,
        UnknownConfigurationKeyError,
        RequestTimeoutError,
        CancelledError,
        IntegrityError,
        BadHandleError,
        ForkedError,
        InternalError,
    )
}
_BY_CODE[1] = GenericError


def error_for_code(code: int, message: str) -> BaseError:
    """The exception instance for a C status code and its message."""
    cls = _BY_CODE.get(code, GenericError)
    exc = cls(message)
    if cls is GenericError and code != 1:
        exc.code = code
        exc.code_name = f"objstore_code({code})"
    return exc


FORK_MESSAGE = (
    "objstore cannot be used in a process created by fork() after the library "
    "was loaded in the parent: the Go runtime inside it does not survive fork(). "
    "Start worker processes with the 'spawn' or 'forkserver' multiprocessing start "
    "method (multiprocessing.get_context('spawn'), or for concurrent.futures "
    "ProcessPoolExecutor(mp_context=multiprocessing.get_context('spawn')))."
)
