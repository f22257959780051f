"""A call that starts on a thread while another call of that thread is
between its steps -- a signal handler, or a finalizer the collector runs
at an allocation -- must not overwrite the first call's options or outputs
(the per-call scratch). Each test runs a nested call of the same kind at
the worst moment: right after the outer call's crossing into the library
returned, before its outputs are read."""

from __future__ import annotations

import pytest

import objstore
from objstore import _ffi
from objstore.store import MemoryStore


@pytest.fixture
def store():
    s = MemoryStore()
    objstore.put(s, "outer", b"O" * 2000)
    objstore.put(s, "inner", b"i" * 300)
    return s


def _nest(monkeypatch, slot: str, nested) -> list:
    """Make the fast function `slot` run nested() right after each call of
    the outermost level returns (as an interrupting handler would)."""
    fast = _ffi.fast()
    real = getattr(fast, slot)
    seen: list = []
    nesting = []

    def call(*args):
        rc = real(*args)
        if not nesting:  # only the outer call; the nested one runs plainly
            nesting.append(True)
            seen.append(nested())
        return rc

    monkeypatch.setattr(fast, slot, call)
    return seen


def test_a_nested_get_does_not_take_the_outer_body(store, monkeypatch):
    seen = _nest(monkeypatch, "get_small", lambda: bytes(objstore.get(store, "inner").bytes()))
    result = objstore.get(store, "outer")
    assert bytes(result.bytes()) == b"O" * 2000 and result.meta["size"] == 2000
    assert seen == [b"i" * 300]


def test_a_nested_get_range_does_not_change_the_outer_range(store, monkeypatch):
    seen = _nest(monkeypatch, "get_bytes", lambda: bytes(objstore.get_range(store, "inner", start=10, end=20)))
    assert bytes(objstore.get_range(store, "outer", start=100, end=1100)) == b"O" * 1000
    assert seen == [b"i" * 10]


def test_a_nested_head_does_not_change_the_outer_meta(store, monkeypatch):
    seen = _nest(monkeypatch, "head_into", lambda: objstore.head(store, "inner")["size"])
    m = objstore.head(store, "outer")
    assert m["path"] == "outer" and m["size"] == 2000
    assert seen == [300]


def test_a_nested_put_does_not_take_the_outer_e_tag(store, monkeypatch):
    seen = _nest(monkeypatch, "put", lambda: objstore.put(store, "inner", b"j")["e_tag"])
    e_tag = objstore.put(store, "outer", b"P" * 10)["e_tag"]
    assert e_tag == objstore.head(store, "outer")["e_tag"]
    assert seen == [objstore.head(store, "inner")["e_tag"]] and seen[0] != e_tag


def test_a_nested_failure_does_not_change_the_outer_error(store, monkeypatch):
    seen = _nest(monkeypatch, "get_small", lambda: objstore.head(store, "inner")["size"])
    with pytest.raises(FileNotFoundError, match="missing-outer"):
        objstore.get(store, "missing-outer")
    assert seen == [300]
