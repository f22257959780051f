"""HTTPStore against the real nginx WebDAV server of buildscripts/servers/nginx.sh.

Run inside `buildscripts/with-servers.sh nginx -- …`: without the server's URL
these tests fail, they never skip.
"""

from __future__ import annotations

import os
import pickle
import uuid
from datetime import timedelta

import pytest

import objstore
from objstore.exceptions import (
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
    NotSupportedError,
)
from objstore.store import HTTPStore, from_url

from conftest import run_python

ALLOW_HTTP = {"allow_http": True}


@pytest.fixture
def base_url() -> str:
    url = os.environ.get("OBJSTORE_TEST_WEBDAV_URL")
    if not url:
        pytest.fail(
            "OBJSTORE_TEST_WEBDAV_URL is not set: run under "
            "`buildscripts/with-servers.sh nginx -- python3 -m pytest bindings/python/tests/test_http.py`"
        )
    # A fresh collection per test: the store starts empty.
    return f"{url}py-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def http_store(base_url) -> HTTPStore:
    return HTTPStore(base_url, client_options=ALLOW_HTTP)


def test_put_get_list(http_store):
    assert http_store.list().collect() == []
    objstore.put(http_store, "dir/a b.txt", b"hello world")
    objstore.put(http_store, "dir/sub/c.bin", b"")
    objstore.put(http_store, "top.txt", b"top")

    got = objstore.get(http_store, "dir/a b.txt")
    assert got.bytes() == b"hello world"
    assert got.meta["size"] == 11
    assert http_store.get_range("dir/a b.txt", start=6, end=11) == b"world"
    assert http_store.get_ranges("dir/a b.txt", starts=[0, 6], ends=[5, 11]) == [b"hello", b"world"]
    assert http_store.head("dir/sub/c.bin")["size"] == 0

    assert [m["path"] for m in http_store.list().collect()] == ["dir/a b.txt", "dir/sub/c.bin", "top.txt"]
    assert [m["path"] for m in http_store.list("dir/sub").collect()] == ["dir/sub/c.bin"]
    level = http_store.list_with_delimiter("dir")
    assert level["common_prefixes"] == ["dir/sub"]
    assert [m["path"] for m in level["objects"]] == ["dir/a b.txt"]

    http_store.copy("top.txt", "copies/top.txt")
    http_store.rename("copies/top.txt", "moved/top.txt")
    assert http_store.get("moved/top.txt").bytes() == b"top"
    with pytest.raises(NotFoundError):
        http_store.head("copies/top.txt")
    with pytest.raises(AlreadyExistsError):
        http_store.copy("top.txt", "moved/top.txt", overwrite=False)

    http_store.delete("top.txt")
    with pytest.raises(FileNotFoundError):
        http_store.get("top.txt")


def test_what_webdav_cannot_do(http_store):
    with pytest.raises(NotSupportedError):
        objstore.put(http_store, "x", b"x", mode="create")
    with pytest.raises(NotSupportedError):
        objstore.sign(http_store, "GET", "x", timedelta(minutes=1))


def test_pickle_and_config_document(http_store, base_url):
    objstore.put(http_store, "p.txt", b"pickled")
    clone = pickle.loads(pickle.dumps(http_store))
    assert clone == http_store
    assert clone.url == base_url
    assert clone.get("p.txt").bytes() == b"pickled"

    # A fresh process rebuilds it from the pickle alone.
    proc = run_python(
        "import pickle\n"
        f"s = pickle.loads({pickle.dumps(http_store)!r})\n"
        "print(bytes(s.get('p.txt').bytes()))"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "b'pickled'"


def test_from_url(base_url):
    store = from_url(base_url, client_options=ALLOW_HTTP)
    assert isinstance(store, HTTPStore)
    assert store.url == base_url
    assert HTTPStore.from_url(base_url, client_options=ALLOW_HTTP) == store
    objstore.put(store, "u", b"via from_url")
    assert store.get("u").bytes() == b"via from_url"


def test_plain_http_needs_allow_http(base_url):
    # As object_store: http:// is refused unless allow_http is set.
    with pytest.raises(InvalidArgumentError, match="allow_http"):
        HTTPStore(base_url).get("anything")
