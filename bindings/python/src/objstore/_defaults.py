"""Every default of the Python API, defined once.

The free functions, their async twins, the store methods and the file
objects all take their default values from here.
"""

from __future__ import annotations

MiB = 1024 * 1024

# put(): inputs larger than this become a multipart upload in parts of this
# size (obstore's default).
PUT_CHUNK_SIZE = 5 * MiB

# put(), open_writer(): parts of one multipart upload in flight at once
# (obstore's default).
MAX_CONCURRENCY = 12

# GetResult.stream(): the smallest chunk a stream yields (but the last).
STREAM_CHUNK_SIZE = 10 * MiB

# list(): entries per chunk a ListStream yields.
LIST_CHUNK_SIZE = 50

# ListStream.collect() and whole listings: entries asked of the library per call.
LIST_PAGE_SIZE = 1000

# get_ranges(): ranges closer than this are fetched as one (the library's
# gap; a different value is accepted and gives the same results).
COALESCE = 1 * MiB

# open_reader(): the smallest ranged read that fills a reader's buffer.
READ_BUFFER_SIZE = 1 * MiB

# open_writer(): bytes buffered before a part is uploaded.
WRITE_BUFFER_SIZE = 10 * MiB

# get_many(): requests in flight at once.
GET_MANY_CONCURRENCY = 64

# get_async(): bodies up to this size arrive with the response, so that
# bytes() / bytes_async() of a small object cost no second round trip.
PREFETCH_MAX = 1 * MiB
