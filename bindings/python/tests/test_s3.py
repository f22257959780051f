"""S3Store against the MinIO test server (buildscripts/servers/minio.sh).

Run via: buildscripts/with-servers.sh minio -- python3 -m pytest bindings/python/tests/test_s3.py
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

import objstore
from objstore.store import S3Store, from_url

sys.path.insert(0, str(Path(__file__).parent))
import _spawn_worker  # noqa: E402
from _servers import minio_settings, minio_store  # noqa: E402


@pytest.fixture
def minio() -> dict[str, str]:
    return minio_settings()


@pytest.fixture
def prefix() -> str:
    # Every test works under its own prefix of the shared bucket.
    return "pytest-" + uuid.uuid4().hex


def test_put_get_list_sign(minio, prefix):
    store = minio_store(prefix)
    objstore.put(store, "a/one.txt", b"one")
    objstore.put(store, "a/two.txt", b"two two")
    objstore.put(store, "b.txt", b"bee")

    assert bytes(objstore.get(store, "a/two.txt").bytes()) == b"two two"
    assert bytes(objstore.get_range(store, "a/two.txt", start=1, end=5)) == b"wo t"

    listed = sorted(m["path"] for chunk in objstore.list(store) for m in chunk)
    assert listed == ["a/one.txt", "a/two.txt", "b.txt"]
    level = objstore.list_with_delimiter(store)
    assert level["common_prefixes"] == ["a"]
    assert [m["path"] for m in level["objects"]] == ["b.txt"]

    url = objstore.sign(store, "GET", "a/one.txt", timedelta(minutes=5))
    assert prefix in url  # the prefix store signs the full key
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"one"
    tampered = url.replace("a/one.txt", "a/two.txt")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered, timeout=10)
    assert e.value.code == 403

    with pytest.raises(FileNotFoundError):
        objstore.get(store, "missing")


def test_from_url_pickled_into_spawned_process(minio, prefix):
    store = minio_store(prefix)
    objstore.put(store, "shared/data.bin", b"written by the parent")

    url_store = from_url(
        f"s3://{minio['BUCKET']}/{prefix}",
        endpoint=minio["ENDPOINT"],
        access_key_id=minio["ACCESS_KEY"],
        secret_access_key=minio["SECRET_KEY"],
        region="us-east-1",
        client_options={"allow_http": True},
    )
    assert isinstance(url_store, S3Store)
    clone = pickle.loads(pickle.dumps(url_store))
    assert bytes(objstore.get(clone, "shared/data.bin").bytes()) == b"written by the parent"

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        _, data, kind = pool.apply(_spawn_worker.read_object, (url_store, "shared/data.bin"))
        assert pool.apply(_spawn_worker.write_object, (url_store, "shared/from-child", b"child"))
    assert kind == "S3Store"
    assert data == b"written by the parent"
    assert bytes(objstore.get(store, "shared/from-child").bytes()) == b"child"


def test_environment_settings_are_not_pickled(minio, prefix, monkeypatch):
    # Everything but the bucket comes from AWS_* variables.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", minio["ACCESS_KEY"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", minio["SECRET_KEY"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", minio["ENDPOINT"])
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    store = S3Store(minio["BUCKET"], prefix=prefix)
    objstore.put(store, "env.txt", b"configured from the environment")
    assert bytes(objstore.get(store, "env.txt").bytes()) == b"configured from the environment"

    data = pickle.dumps(store)
    for value in (minio["SECRET_KEY"], minio["ACCESS_KEY"], minio["ENDPOINT"]):
        assert value.encode() not in data, "a value from the environment was pickled"
    # The receiving process reads its own environment: here, the same one.
    clone = pickle.loads(data)
    assert bytes(objstore.get(clone, "env.txt").bytes()) == b"configured from the environment"


def test_wrong_credentials_and_missing_bucket_are_typed(minio, prefix):
    wrong = S3Store(
        minio["BUCKET"],
        endpoint=minio["ENDPOINT"],
        access_key_id=minio["ACCESS_KEY"],
        secret_access_key="not-the-secret",
        client_options={"allow_http": True},
    )
    with pytest.raises((objstore.exceptions.PermissionDeniedError, objstore.exceptions.UnauthenticatedError)) as e:
        objstore.get(wrong, "anything")
    assert "not-the-secret" not in str(e.value)

    missing = S3Store(
        "objstore-no-such-bucket",
        endpoint=minio["ENDPOINT"],
        access_key_id=minio["ACCESS_KEY"],
        secret_access_key=minio["SECRET_KEY"],
        client_options={"allow_http": True},
    )
    with pytest.raises(FileNotFoundError, match="objstore-no-such-bucket"):
        objstore.get(missing, "anything")
