"""Mistakes the stubs must catch: each line whose comment starts with
"error:" must get a type error from mypy and from pyright, and no other
line may (test_typing.py checks both)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import obspec

import objstore as obs
from objstore.store import CachingStore, MemoryStore, PrefixStore, S3Store


class PutWithoutMode:
    """Looks like obspec's Put, but its put takes no mode: not an obspec store."""

    def put(self, path: str, file: bytes) -> obspec.PutResult:
        return {"e_tag": None, "version": None}


def takes_put(store: obspec.Put) -> None: ...


S3Store("b", regoin="us-east-1")  # error: regoin
obs.put(MemoryStore(), "a", 3)  # error: put
many: str = obs.sign(S3Store("b"), "GET", ["a"], timedelta(minutes=1))  # error: sign
one: list[str] = obs.sign(S3Store("b"), "GET", "a", timedelta(minutes=1))  # error: sign
metas: Sequence[int] = obs.list(MemoryStore()).collect()  # error: list
arrow_metas: Sequence[obs.ObjectMeta] = obs.list(MemoryStore(), return_arrow=True).collect()  # error: return_arrow batch
arrow_level: obs.ListResult[Sequence[obs.ObjectMeta]] = obs.list_with_delimiter(MemoryStore(), return_arrow=True)  # error: return_arrow table
takes_put(PutWithoutMode())  # error: obspec
S3Store("b", client_options={"timeout": 30})  # error: timeout
CachingStore(S3Store("b"), memory_byte=1 << 20)  # error: memory_byte
PrefixStore(S3Store("b"))  # error: prefix missing
