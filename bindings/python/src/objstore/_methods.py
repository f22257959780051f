"""ObjectStoreMethods: every operation as a typed store method.

Mixed into every store class (public as
:class:`objstore.store.ObjectStoreMethods`, obstore's name for it). Each
method *is* the free function of the same name: a function stored on a
class binds the store as its first argument, so ``store.put(path, data)``
runs ``objstore.put(store, path, data)`` with the same parameters, types,
defaults and documentation, and the two can never differ.
"""

from __future__ import annotations

from . import _copy, _delete, _files, _get, _get_many, _head, _list, _put, _sign, _uploads

__all__ = ["ObjectStoreMethods"]


class ObjectStoreMethods:
    """The operations of :mod:`objstore` as methods of a store:
    ``store.get(path)`` is ``objstore.get(store, path)``."""

    __slots__ = ()

    get = _get.get
    get_async = _get.get_async
    get_range = _get.get_range
    get_range_async = _get.get_range_async
    get_ranges = _get.get_ranges
    get_ranges_async = _get.get_ranges_async
    get_many = _get_many.get_many
    get_many_async = _get_many.get_many_async
    head = _head.head
    head_async = _head.head_async
    put = _put.put
    put_async = _put.put_async
    list = _list.list
    # obstore's name for list as obspec's ListAsync: the same stream, which
    # also iterates with `async for`.
    list_async = _list.list
    list_with_delimiter = _list.list_with_delimiter
    list_with_delimiter_async = _list.list_with_delimiter_async
    delete = _delete.delete
    delete_async = _delete.delete_async
    copy = _copy.copy
    copy_async = _copy.copy_async
    rename = _copy.rename
    rename_async = _copy.rename_async
    sign = _sign.sign
    sign_async = _sign.sign_async
    open_reader = _files.open_reader
    open_reader_async = _files.open_reader_async
    open_writer = _files.open_writer
    open_writer_async = _files.open_writer_async
    cleanup_uploads = _uploads.cleanup_uploads
    cleanup_uploads_async = _uploads.cleanup_uploads_async
