"""What an obstore user touches besides the operations, each on a real
server: the client options root_certificate and default_headers (nginx over
TLS with its own CA, and nginx's header echo), S3's endpoint_url_s3 and
path-style presigned URLs (MinIO), store properties and reprs, LocalStore's
mkdir, open_reader past the end, stream(min_chunk_size=0), get_ranges'
coalesce, the async collectors, parse_scheme, JoinError, Bytes * n, a
last_modified on every ObjectMeta, and obstore's key phrases in messages."""

from __future__ import annotations

import asyncio
import ctypes
import os
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import objstore
from objstore import Bytes
from objstore.exceptions import BaseError, InternalError, JoinError
from objstore.store import AzureStore, GCSStore, HTTPStore, LocalStore, MemoryStore, S3Store, from_url, parse_scheme

from _servers import azurite_endpoint, create_container, minio_settings, minio_store


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    assert value, f"{name} not set: run via buildscripts/with-servers.sh (make test does)"
    return value


def _probe_path() -> str:
    return "_echo/x-objstore-probe"  # nginx answers with the request's X-Objstore-Probe header


# ---- client options -------------------------------------------------------------------------


def test_root_certificate_trusts_a_private_ca_in_addition_to_the_system_roots():
    url = _env("OBJSTORE_TEST_HTTPS_URL")
    pem = Path(_env("OBJSTORE_TEST_HTTPS_CA_FILE")).read_text()
    untrusted = HTTPStore(url)
    with pytest.raises(BaseError) as info:
        untrusted.put("tls/x.txt", b"x")
    assert "certificate" in str(info.value).lower()
    for given in (pem, pem.encode()):  # PEM as str or bytes
        store = HTTPStore(url, client_options={"root_certificate": given})
        key = f"tls/{uuid.uuid4().hex}.txt"
        store.put(key, b"over TLS")
        assert store.get(key).bytes() == b"over TLS"
    with pytest.raises(ValueError, match="root_certificate"):
        HTTPStore(url, client_options={"root_certificate": "not a PEM"})


def test_default_headers_are_sent_with_every_request():
    base = _env("OBJSTORE_TEST_WEBDAV_URL")
    plain = HTTPStore(base, client_options={"allow_http": True})
    assert plain.get(_probe_path()).bytes() == b""
    for value in ("hello", b"hello"):  # str or bytes values, as obstore's dict[str, str] | dict[str, bytes]
        store = HTTPStore(base, client_options={"allow_http": True, "default_headers": {"X-Objstore-Probe": value}})
        assert store.get(_probe_path()).bytes() == b"hello"
        assert store.client_options["default_headers"] == {"X-Objstore-Probe": "hello"}
    tls = HTTPStore(_env("OBJSTORE_TEST_HTTPS_URL"), client_options={
        "root_certificate": Path(_env("OBJSTORE_TEST_HTTPS_CA_FILE")).read_bytes(),
        "default_headers": {"X-Objstore-Probe": "both options"}})
    assert tls.get(_probe_path()).bytes() == b"both options"
    with pytest.raises(ValueError, match="default_headers"):
        HTTPStore(base, client_options={"default_headers": {"bad name": "v"}})


# ---- S3 -----------------------------------------------------------------------------------


def test_endpoint_url_s3_is_its_own_key_and_wins_over_endpoint():
    m = minio_settings()
    store = S3Store(
        m["BUCKET"], prefix="pytest-" + uuid.uuid4().hex, endpoint="http://127.0.0.1:9",  # nothing listens there
        aws_endpoint_url_s3=m["ENDPOINT"], access_key_id=m["ACCESS_KEY"], secret_access_key=m["SECRET_KEY"],
        region="us-east-1", client_options={"allow_http": True}, retry_config={"max_retries": 0},
    )
    assert store.config["endpoint_url_s3"] == m["ENDPOINT"] and store.config["endpoint"] == "http://127.0.0.1:9"
    store.put("x", b"through endpoint_url_s3")
    assert store.get("x").bytes() == b"through endpoint_url_s3"


def test_sign_gives_path_style_urls_unless_virtual_hosted():
    m = minio_settings()
    store = minio_store()
    store.put("signed.txt", b"presigned")
    url = store.sign("GET", "signed.txt", timedelta(minutes=5))
    assert url.startswith(f"{m['ENDPOINT']}/{m['BUCKET']}/{store.prefix}/signed.txt?")
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"presigned"
    aws = {"region": "eu-west-1", "access_key_id": "AK", "secret_access_key": "SK"}
    path_style = objstore.sign(S3Store("bkt", **aws), "GET", "k", timedelta(minutes=1))
    virtual = objstore.sign(S3Store("bkt", virtual_hosted_style_request=True, **aws), "GET", "k", timedelta(minutes=1))
    assert path_style.startswith("https://s3.eu-west-1.amazonaws.com/bkt/k?")
    assert virtual.startswith("https://bkt.s3.eu-west-1.amazonaws.com/k?")
    assert objstore.sign(S3Store("bkt", **aws), "GET", ["a", "b"], timedelta(minutes=1))[1].split("?")[0].endswith("/bkt/b")


# ---- properties and reprs ---------------------------------------------------------------------


def test_store_properties_and_reprs_as_obstore():
    s3 = S3Store("bkt", prefix="p/q", region="us-east-1", secret_access_key="hush", access_key_id="AKID",
                 retry_config={"max_retries": 2})
    assert repr(s3) == 'S3Store(bucket="bkt", prefix="p/q")'
    assert s3.config["bucket"] == "bkt" and s3.config["region"] == "us-east-1"
    assert s3.retry_config == {"max_retries": 2, "retry_timeout": timedelta(minutes=3), "backoff": {
        "init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=15), "base": 2.0}}
    assert S3Store("bkt").retry_config is None and S3Store("bkt").client_options is None
    azure = AzureStore("cont", prefix="x", account_name="acc", account_key="a2V5")
    assert repr(azure) == 'AzureStore(container_name="cont", account_name="acc", prefix="x")'
    assert azure.config["container_name"] == "cont" and "a2V5" not in repr(azure)
    assert repr(GCSStore("gb")) == 'GCSStore(bucket="gb")' and GCSStore("gb").config == {"bucket": "gb"}
    assert LocalStore().prefix is None and repr(LocalStore()) == "LocalStore()"
    http = HTTPStore("https://example.com/data")
    assert http.url == "https://example.com/data" and repr(http) == 'HTTPStore("https://example.com/data")'
    assert from_url("https://example.com/a").url == "https://example.com/a"


def test_local_store_mkdir_creates_the_root_when_built(tmp_path):
    root = tmp_path / "made" / "here"
    store = LocalStore(root, mkdir=True)
    assert root.is_dir() and store.prefix == root
    url_root = tmp_path / "from-url"
    LocalStore.from_url(url_root.as_uri(), mkdir=True)
    assert url_root.is_dir()
    lazy = tmp_path / "not-asked"
    LocalStore(lazy)
    assert not lazy.exists()


# ---- reads --------------------------------------------------------------------------------------


@pytest.fixture(params=["minio", "azurite", "local"])
def store(request, tmp_path):
    if request.param == "minio":
        return minio_store()
    if request.param == "azurite":
        endpoint = azurite_endpoint()
        container = "behaviour-" + uuid.uuid4().hex[:12]
        create_container(endpoint, container)
        return AzureStore(container, use_emulator=True, endpoint=endpoint)
    return LocalStore(tmp_path / "root", mkdir=True)


def test_reads_as_obstore(store):
    data = os.urandom(300_000)
    store.put("obj", data)
    # open_reader with a size past the object: reads within the object work, past it raise
    reader = objstore.open_reader(store, "obj", size=len(data) + 10)
    assert reader.read(5) == data[:5]
    with pytest.raises(ValueError, match="Invalid range"):
        objstore.open_reader(store, "obj", size=len(data) + 10).read()
    # stream(min_chunk_size=0): chunks of the library's choosing, the whole body
    assert b"".join(bytes(c) for c in store.get("obj").stream(min_chunk_size=0)) == data
    # get_ranges(coalesce=): within the gap, one read (views 1000 bytes apart in one
    # buffer); with 0, two reads packed one after the other
    near = store.get_ranges("obj", starts=[0, 1000], ends=[10, 1010], coalesce=10_000)
    apart = store.get_ranges("obj", starts=[0, 1000], ends=[10, 1010], coalesce=0)
    assert [bytes(b) for b in near] == [bytes(b) for b in apart] == [data[:10], data[1000:1010]]
    assert ctypes.addressof(near[1]) - ctypes.addressof(near[0]) == 1000
    assert ctypes.addressof(apart[1]) - ctypes.addressof(apart[0]) == 10
    # "Invalid range" in every refusal of a range, whichever service refused it
    for call in (lambda: store.get_range("obj", start=len(data) + 5, end=len(data) + 9),
                 lambda: store.get("obj", options={"range": {"offset": len(data) + 5}}).bytes(),
                 lambda: store.get_range("obj", start=9, end=3)):
        with pytest.raises(ValueError, match="Invalid range"):
            call()

    async def main():
        result = await store.get_async("obj")
        assert await result.buffer_async() == data
        listed = await store.list_async().collect_async()
        assert [m["path"] for m in listed] == ["obj"]
        assert isinstance(listed[0]["last_modified"], datetime)
        pages = [page async for page in store.list_async()]
        assert [m["path"] for page in pages for m in page] == ["obj"]

    asyncio.run(main())


def test_last_modified_is_always_a_datetime():
    store = HTTPStore(_env("OBJSTORE_TEST_WEBDAV_URL"), prefix="lm-" + uuid.uuid4().hex, client_options={"allow_http": True})
    store.put("f.txt", b"x")
    for meta in (store.head("f.txt"), store.get("f.txt").meta, *store.list().collect()):
        assert isinstance(meta["last_modified"], datetime) and meta["last_modified"].tzinfo is not None
    # the echo location sends no Last-Modified: the answer's Date stands in
    echo = HTTPStore(_env("OBJSTORE_TEST_WEBDAV_URL"), client_options={"allow_http": True})
    assert isinstance(echo.get(_probe_path()).meta["last_modified"], datetime)


# ---- names ------------------------------------------------------------------------------------


def test_small_names_of_obstore():
    assert [parse_scheme(u) for u in ("s3://b/k", "gs://b", "az://acc/c", "https://example.com", "file:///tmp",
                                      "memory:///", "https://b.s3.us-east-1.amazonaws.com/k")] == [
        "s3", "gcs", "azure", "http", "local", "memory", "s3"]
    assert objstore.parse_scheme is parse_scheme
    with pytest.raises(ValueError):
        parse_scheme("ftp://example.com/x")
    assert issubclass(JoinError, BaseError) and issubclass(InternalError, JoinError)
    assert Bytes(b"ab") * 3 == b"ababab" and 2 * Bytes(b"x") == b"xx" and isinstance(Bytes(b"a") * 2, Bytes)
    with pytest.raises(TypeError):
        Bytes(b"a") * "2"


def test_duplicate_keys_say_so():
    for make in (lambda: S3Store("b", config={"region": "a"}, region="b"),
                 lambda: S3Store("b", config={"region": "a", "aws_region": "b"}),
                 lambda: objstore.store.from_config('{"kind":"memory","kind":"memory"}')):
        with pytest.raises(ValueError, match="Duplicate key"):
            make()
    with pytest.raises(ValueError, match="Invalid range"):
        objstore.get_range(MemoryStore(), "x", start=5, end=3)
