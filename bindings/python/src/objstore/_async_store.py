"""Store methods for the async operations, get_many and buffered files
(mixed into every store class; each forwards to the free function)."""

from __future__ import annotations

from . import _async_ops, _buffered, _ops


class _AsyncStoreMethods:
    __slots__ = ()

    async def get_async(self, path, *, options=None):
        """Same as :func:`objstore.get_async` with this store."""
        return await _async_ops.get_async(self, path, options=options)

    async def get_range_async(self, path, *, start, end=None, length=None):
        """Same as :func:`objstore.get_range_async` with this store."""
        return await _async_ops.get_range_async(self, path, start=start, end=end, length=length)

    async def get_ranges_async(self, path, *, starts, ends=None, lengths=None, coalesce=1024 * 1024):
        """Same as :func:`objstore.get_ranges_async` with this store."""
        return await _async_ops.get_ranges_async(self, path, starts=starts, ends=ends, lengths=lengths, coalesce=coalesce)

    def get_many(self, requests, *, max_concurrency=_async_ops.DEFAULT_GET_MANY_CONCURRENCY, raise_on_error=False):
        """Same as :func:`objstore.get_many` with this store."""
        return _async_ops.get_many(self, requests, max_concurrency=max_concurrency, raise_on_error=raise_on_error)

    async def get_many_async(self, requests, *, max_concurrency=_async_ops.DEFAULT_GET_MANY_CONCURRENCY, raise_on_error=False):
        """Same as :func:`objstore.get_many_async` with this store."""
        return await _async_ops.get_many_async(self, requests, max_concurrency=max_concurrency, raise_on_error=raise_on_error)

    async def head_async(self, path):
        """Same as :func:`objstore.head_async` with this store."""
        return await _async_ops.head_async(self, path)

    async def put_async(
        self,
        path,
        file,
        *,
        attributes=None,
        tags=None,
        mode=None,
        use_multipart=None,
        chunk_size=_ops.DEFAULT_CHUNK_SIZE,
        max_concurrency=12,
        progress=None,
    ):
        """Same as :func:`objstore.put_async` with this store."""
        return await _async_ops.put_async(
            self,
            path,
            file,
            attributes=attributes,
            tags=tags,
            mode=mode,
            use_multipart=use_multipart,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            progress=progress,
        )

    async def delete_async(self, paths):
        """Same as :func:`objstore.delete_async` with this store."""
        return await _async_ops.delete_async(self, paths)

    async def list_with_delimiter_async(self, prefix=None, *, return_arrow=False):
        """Same as :func:`objstore.list_with_delimiter_async` with this store."""
        return await _async_ops.list_with_delimiter_async(self, prefix, return_arrow=return_arrow)

    async def copy_async(self, from_, to, *, overwrite=True):
        """Same as :func:`objstore.copy_async` with this store."""
        return await _async_ops.copy_async(self, from_, to, overwrite=overwrite)

    async def rename_async(self, from_, to, *, overwrite=True):
        """Same as :func:`objstore.rename_async` with this store."""
        return await _async_ops.rename_async(self, from_, to, overwrite=overwrite)

    async def sign_async(self, method, paths, expires_in):
        """Same as :func:`objstore.sign_async` with this store."""
        return await _async_ops.sign_async(self, method, paths, expires_in)

    def open_reader(self, path, *, buffer_size=_buffered.DEFAULT_READ_BUFFER, size=None):
        """Same as :func:`objstore.open_reader` with this store."""
        return _buffered.open_reader(self, path, buffer_size=buffer_size, size=size)

    async def open_reader_async(self, path, *, buffer_size=_buffered.DEFAULT_READ_BUFFER, size=None):
        """Same as :func:`objstore.open_reader_async` with this store."""
        return await _buffered.open_reader_async(self, path, buffer_size=buffer_size, size=size)

    def open_writer(self, path, *, attributes=None, buffer_size=_buffered.DEFAULT_WRITE_BUFFER, tags=None, max_concurrency=12):
        """Same as :func:`objstore.open_writer` with this store."""
        return _buffered.open_writer(
            self, path, attributes=attributes, buffer_size=buffer_size, tags=tags, max_concurrency=max_concurrency
        )

    def open_writer_async(self, path, *, attributes=None, buffer_size=_buffered.DEFAULT_WRITE_BUFFER, tags=None, max_concurrency=12):
        """Same as :func:`objstore.open_writer_async` with this store."""
        return _buffered.open_writer_async(
            self, path, attributes=attributes, buffer_size=buffer_size, tags=tags, max_concurrency=max_concurrency
        )
