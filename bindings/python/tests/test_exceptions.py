"""Status codes map to exception classes that are also the builtin ones."""

from __future__ import annotations

import builtins

import pytest

import objstore
from objstore import exceptions as exc


@pytest.mark.parametrize(
    "code, cls, builtin",
    [
        (1, exc.GenericError, None),
        (2, exc.NotFoundError, builtins.FileNotFoundError),
        (3, exc.AlreadyExistsError, builtins.FileExistsError),
        (4, exc.PreconditionError, None),
        (5, exc.NotModifiedError, None),
        (6, exc.OperationNotImplementedError, builtins.NotImplementedError),
        (7, exc.NotSupportedError, None),
        (8, exc.PermissionDeniedError, builtins.PermissionError),
        (9, exc.UnauthenticatedError, None),
        (10, exc.InvalidPathError, builtins.ValueError),
        (11, exc.InvalidArgumentError, builtins.ValueError),
        (12, exc.UnknownConfigurationKeyError, builtins.ValueError),
        (13, exc.RequestTimeoutError, builtins.TimeoutError),
        (14, exc.CancelledError, None),
        (15, exc.IntegrityError, None),
        (100, exc.BadHandleError, builtins.RuntimeError),
        (101, exc.ForkedError, builtins.RuntimeError),
        (102, exc.InternalError, builtins.RuntimeError),
    ],
)
def test_code_mapping(code, cls, builtin):
    e = exc.error_for_code(code, "message")
    assert type(e) is cls and isinstance(e, exc.BaseError)
    assert e.code == code and str(e) == "message"
    if builtin is not None:
        assert isinstance(e, builtin)
    name = objstore._ffi.lib().objstore_code_name(code).decode()
    assert name == e.code_name


def test_unknown_code_is_generic():
    e = exc.error_for_code(999, "odd")
    assert type(e) is exc.GenericError and e.code == 999


def test_messages_come_from_the_library(store):
    with pytest.raises(FileNotFoundError) as info:
        objstore.get(store, "missing/object")
    assert "missing/object" in str(info.value)
    assert isinstance(info.value, exc.NotFoundError) and info.value.code == 2


def test_bad_handle_is_an_error_not_a_crash(memory_store):
    objstore.put(memory_store, "x", b"1")
    native = memory_store._native
    stale = native.handle
    native.close()  # frees the native store
    err = objstore._ffi.new_err()
    import ctypes

    rc = objstore._ffi.lib().objstore_delete(stale, b"x", ctypes.byref(err))
    with pytest.raises(exc.BadHandleError):
        objstore._ffi.raise_error(rc, err)
