"""GetOptions: conditions, ranges, head, and argument checking."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import objstore
from objstore.exceptions import NotModifiedError, PreconditionError


@pytest.fixture
def obj(store):
    objstore.put(store, "obj", b"0123456789")
    return store, objstore.head(store, "obj")


def test_ranges(obj):
    store, _ = obj
    r = objstore.get(store, "obj", options={"range": (2, 5)})
    assert r.bytes() == b"234"
    assert r.range == (2, 5)
    assert r.meta["size"] == 10  # meta reports the whole object
    assert objstore.get(store, "obj", options={"range": [3, 7]}).bytes() == b"3456"
    assert objstore.get(store, "obj", options={"range": {"offset": 7}}).bytes() == b"789"
    assert objstore.get(store, "obj", options={"range": {"suffix": 2}}).bytes() == b"89"
    assert objstore.get(store, "obj", options={"range": {"suffix": 100}}).bytes() == b"0123456789"
    assert objstore.get(store, "obj", options={"range": (8, 100)}).bytes() == b"89"
    with pytest.raises(objstore.exceptions.BaseError):
        objstore.get(store, "obj", options={"range": {"offset": 11}})
    with pytest.raises(objstore.exceptions.BaseError):
        objstore.get(store, "obj", options={"range": (4, 4)})


def test_etag_conditions(obj):
    store, meta = obj
    etag = meta["e_tag"]
    assert objstore.get(store, "obj", options={"if_match": etag}).bytes() == b"0123456789"
    with pytest.raises(PreconditionError):
        objstore.get(store, "obj", options={"if_match": '"not-the-etag"'})
    with pytest.raises(NotModifiedError):
        objstore.get(store, "obj", options={"if_none_match": etag})
    assert objstore.get(store, "obj", options={"if_none_match": '"other"'}).bytes() == b"0123456789"
    objstore.put(store, "obj", b"changed")
    with pytest.raises(PreconditionError):
        objstore.get(store, "obj", options={"if_match": etag})


def test_date_conditions(obj):
    store, meta = obj
    modified = meta["last_modified"]
    past = modified - timedelta(hours=1)
    future = modified + timedelta(hours=1)
    assert objstore.get(store, "obj", options={"if_unmodified_since": modified}).bytes()
    assert objstore.get(store, "obj", options={"if_unmodified_since": future}).bytes()
    with pytest.raises(PreconditionError):
        objstore.get(store, "obj", options={"if_unmodified_since": past})
    assert objstore.get(store, "obj", options={"if_modified_since": past}).bytes()
    with pytest.raises(NotModifiedError):
        objstore.get(store, "obj", options={"if_modified_since": future})
    # Another timezone, same instant.
    other_tz = future.astimezone(timezone(timedelta(hours=5)))
    with pytest.raises(NotModifiedError):
        objstore.get(store, "obj", options={"if_modified_since": other_tz})


def test_head_option(obj):
    store, meta = obj
    r = objstore.get(store, "obj", options={"head": True})
    assert r.meta["size"] == 10
    assert r.meta["e_tag"] == meta["e_tag"]
    assert r.bytes() == b""


def test_option_errors(obj):
    store, _ = obj
    with pytest.raises(ValueError, match="unknown key"):
        objstore.get(store, "obj", options={"rang": (0, 1)})
    with pytest.raises(TypeError, match="options"):
        objstore.get(store, "obj", options=[("range", (0, 1))])
    with pytest.raises(ValueError, match="timezone-aware"):
        objstore.get(store, "obj", options={"if_modified_since": datetime(2020, 1, 1)})
    with pytest.raises(TypeError, match="if_unmodified_since"):
        objstore.get(store, "obj", options={"if_unmodified_since": "2020-01-01"})
    with pytest.raises(ValueError, match="range"):
        objstore.get(store, "obj", options={"range": (1, 2, 3)})
    with pytest.raises(ValueError, match="range"):
        objstore.get(store, "obj", options={"range": {"start": 1}})
    with pytest.raises(TypeError, match="if_match"):
        objstore.get(store, "obj", options={"if_match": 5})
