"""Run in a "spawn" child process by test_processes (must be importable)."""

import objstore
from objstore import _ffi


def read_object(store, path):
    loaded_before_io = _ffi.is_loaded()
    data = bytes(objstore.get(store, path).bytes())
    return loaded_before_io, data, type(store).__name__


def write_object(store, path, data):
    objstore.put(store, path, data)
    return True
