"""GCSStore against fake-gcs-server (buildscripts/servers/fakegcs.sh).

Run via: buildscripts/with-servers.sh fakegcs -- python3 -m pytest bindings/python/tests/test_gcs.py
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import objstore
from objstore import _native
from objstore.store import GCSStore, from_url

sys.path.insert(0, str(Path(__file__).parent))
import _spawn_worker  # noqa: E402

HTTP = {"allow_http": True}


@pytest.fixture(scope="module")
def endpoint() -> str:
    ep = os.environ.get("OBJSTORE_TEST_GCS_ENDPOINT", "")
    if not ep:
        pytest.fail(
            "OBJSTORE_TEST_GCS_ENDPOINT not set: run via "
            "buildscripts/with-servers.sh fakegcs -- python3 -m pytest bindings/python/tests/test_gcs.py"
        )
    return ep


@pytest.fixture(scope="module")
def bucket(endpoint) -> str:
    """A fresh bucket, created through the emulator's JSON API (the library
    itself never creates buckets)."""
    name = "pytest-" + uuid.uuid4().hex[:12]
    req = urllib.request.Request(
        f"{endpoint}/storage/v1/b?project=objstore-test",
        method="POST",
        data=json.dumps({"name": name}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    return name


@pytest.fixture
def prefix() -> str:
    return "pytest-" + uuid.uuid4().hex


def test_put_get_list_conditions(endpoint, bucket, prefix):
    store = GCSStore(bucket, prefix=prefix, base_url=endpoint, client_options=HTTP)
    objstore.put(store, "a/one.txt", b"one")
    objstore.put(store, "a/two.txt", b"two two")
    objstore.put(store, "b.txt", b"bee")

    assert bytes(objstore.get(store, "a/two.txt").bytes()) == b"two two"
    assert bytes(objstore.get_range(store, "a/two.txt", start=1, end=5)) == b"wo t"
    assert bytes(objstore.get(store, "a/two.txt", options={"range": {"suffix": 3}}).bytes()) == b"two"
    assert bytes(objstore.get(store, "a/two.txt", options={"range": {"offset": 4}}).bytes()) == b"two"

    listed = sorted(m["path"] for chunk in objstore.list(store) for m in chunk)
    assert listed == ["a/one.txt", "a/two.txt", "b.txt"]
    after = [m["path"] for chunk in objstore.list(store, offset="a/one.txt") for m in chunk]
    assert after == ["a/two.txt", "b.txt"]  # the offset is exclusive
    level = objstore.list_with_delimiter(store)
    assert level["common_prefixes"] == ["a"]
    assert [m["path"] for m in level["objects"]] == ["b.txt"]

    # ETag and version are the generation: update mode compares it.
    meta = objstore.head(store, "b.txt")
    assert meta["e_tag"] == meta["version"] and meta["e_tag"].isdigit()
    objstore.put(store, "b.txt", b"bee 2", mode={"e_tag": meta["e_tag"]})
    with pytest.raises(objstore.exceptions.PreconditionError):
        objstore.put(store, "b.txt", b"bee 3", mode={"e_tag": meta["e_tag"]})
    assert bytes(objstore.get(store, "b.txt").bytes()) == b"bee 2"

    objstore.put(store, "once", b"1", mode="create")
    with pytest.raises(FileExistsError):
        objstore.put(store, "once", b"2", mode="create")
    with pytest.raises(FileNotFoundError):
        objstore.get(store, "missing")

    # A multipart upload: parts become temporary objects, composed in order.
    big = bytes(range(256)) * (12 * 1024 * 1024 // 256 + 7)
    objstore.put(store, "big.bin", big, chunk_size=5 * 1024 * 1024)
    assert bytes(objstore.get(store, "big.bin").bytes()) == big
    listed = sorted(m["path"] for chunk in objstore.list(store) for m in chunk)
    assert "big.bin" in listed and not any("objstore-multipart" in p for p in listed)


def test_from_url_pickled_into_spawned_process(endpoint, bucket, prefix):
    store = GCSStore(bucket, prefix=prefix, base_url=endpoint, client_options=HTTP)
    objstore.put(store, "shared/data.bin", b"written by the parent")

    url_store = from_url(f"gs://{bucket}/{prefix}", base_url=endpoint, client_options=HTTP)
    assert isinstance(url_store, GCSStore)
    assert url_store == store
    clone = pickle.loads(pickle.dumps(url_store))
    assert clone == url_store
    assert bytes(objstore.get(clone, "shared/data.bin").bytes()) == b"written by the parent"

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        _, data, kind = pool.apply(_spawn_worker.read_object, (url_store, "shared/data.bin"))
        assert pool.apply(_spawn_worker.write_object, (url_store, "shared/from-child", b"child"))
    assert kind == "GCSStore"
    assert data == b"written by the parent"
    assert bytes(objstore.get(store, "shared/from-child").bytes()) == b"child"


def test_environment_settings_are_not_pickled(endpoint, bucket, prefix, monkeypatch):
    # Everything but the bucket comes from GOOGLE_* variables.
    monkeypatch.setenv("GOOGLE_BASE_URL", endpoint)
    monkeypatch.setenv("GOOGLE_BEARER_TOKEN", "token-from-the-environment")
    store = GCSStore(bucket, prefix=prefix, client_options=HTTP)
    objstore.put(store, "env.txt", b"configured from the environment")
    assert bytes(objstore.get(store, "env.txt").bytes()) == b"configured from the environment"

    data = pickle.dumps(store)
    for value in (endpoint, "token-from-the-environment"):
        assert value.encode() not in data, "a value from the environment was pickled"
    clone = pickle.loads(data)
    assert bytes(objstore.get(clone, "env.txt").bytes()) == b"configured from the environment"


def test_config_aliases_and_errors(endpoint, bucket, prefix):
    store = GCSStore(config={"GOOGLE_BUCKET_NAME": bucket, "Google_Base_Url": endpoint}, prefix=prefix, client_options=HTTP)
    objstore.put(store, "alias.txt", b"aliases")
    assert bytes(objstore.get(store, "alias.txt").bytes()) == b"aliases"
    with pytest.raises(objstore.exceptions.UnknownConfigurationKeyError):
        GCSStore(bucket, not_a_key="x")
    with pytest.raises(ValueError):
        GCSStore(bucket, service_account="a", google_service_account_path="b")
    # A missing bucket is NotFound.
    missing = GCSStore("objstore-no-such-bucket", base_url=endpoint, client_options=HTTP)
    with pytest.raises(FileNotFoundError):
        objstore.get(missing, "anything")


def _openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def _uri_encode(s: str, keep_slash: bool) -> str:
    return urllib.parse.quote(s, safe="/~" if keep_slash else "~")


def test_signed_url_verifies_offline(tmp_path):
    """A V4 URL signed with a generated service-account key verifies with
    the public key (openssl), recomputing GCS's string to sign."""
    key_pem = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048").decode()
    (tmp_path / "key.pem").write_text(key_pem)
    (tmp_path / "pub.pem").write_bytes(_openssl("pkey", "-in", str(tmp_path / "key.pem"), "-pubout"))
    email = "signer@objstore-test.iam.gserviceaccount.com"
    account = json.dumps({"type": "service_account", "client_email": email, "private_key": key_pem})

    store = GCSStore("signed-bucket", prefix="pre", service_account_key=account)
    obj = "dir/a file ü.txt"
    url = objstore.sign(store, "GET", obj, timedelta(minutes=10))
    u = urllib.parse.urlsplit(url)
    assert u.netloc == "storage.googleapis.com"
    assert u.path == "/signed-bucket/" + _uri_encode("pre/" + obj, True)
    query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    q = {k: v[0] for k, v in query.items()}
    signature = bytes.fromhex(q.pop("X-Goog-Signature"))
    canonical_query = "&".join(f"{_uri_encode(k, False)}={_uri_encode(v, False)}" for k, v in sorted(q.items()))
    canonical = "\n".join(["GET", u.path, canonical_query, f"host:{u.netloc}\n", "host", "UNSIGNED-PAYLOAD"])
    scope = q["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(["GOOG4-RSA-SHA256", q["X-Goog-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signed_at = datetime.strptime(q["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - signed_at).total_seconds()) < 300
    assert q["X-Goog-Expires"] == "600"

    (tmp_path / "sig.bin").write_bytes(signature)
    (tmp_path / "msg").write_bytes(to_sign.encode())
    verify = ["dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"), "-signature", str(tmp_path / "sig.bin")]
    assert b"Verified OK" in _openssl(*verify, str(tmp_path / "msg"))
    (tmp_path / "msg").write_bytes(to_sign.replace("GET", "PUT").encode() + b"x")
    with pytest.raises(subprocess.CalledProcessError):
        _openssl(*verify, str(tmp_path / "msg"))

    # Without a key the store cannot sign.
    with pytest.raises(objstore.exceptions.NotSupportedError):
        objstore.sign(GCSStore("b", skip_signature=True), "GET", "x", timedelta(minutes=1))


def test_default_credentials_found_through_home(endpoint, bucket, prefix, tmp_path, monkeypatch):
    """gcloud's application-default credentials file, found through HOME
    (and CLOUDSDK_CONFIG), which the GCS backend declares and Python forwards.
    The file is a service-account key naming the emulator as its endpoint
    (gcs_base_url): nothing else tells the store where to go, so a working
    round trip, and a URL signed with the file's key, prove it was read.
    No request leaves loopback."""
    key_pem = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048").decode()
    email = "adc@objstore-test.iam.gserviceaccount.com"
    adc = {"type": "service_account", "client_email": email, "private_key": key_pem, "gcs_base_url": endpoint}
    home = tmp_path / "home"
    gcloud = home / ".config" / "gcloud"
    gcloud.mkdir(parents=True)
    (gcloud / "application_default_credentials.json").write_text(json.dumps(adc))
    for name in _native.env_names("gcs"):  # only the file may say anything
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))

    store = GCSStore(bucket, prefix=prefix, client_options=HTTP)
    objstore.put(store, "adc.txt", b"found through HOME")
    assert bytes(objstore.get(store, "adc.txt").bytes()) == b"found through HOME"
    direct = GCSStore(bucket, prefix=prefix, base_url=endpoint, client_options=HTTP)
    assert bytes(objstore.get(direct, "adc.txt").bytes()) == b"found through HOME"  # it went to the emulator
    url = objstore.sign(store, "GET", "adc.txt", timedelta(minutes=5))
    credential = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Goog-Credential"][0]
    assert credential.startswith(email + "/")  # signed with the file's key

    # A HOME without the file: no credentials, and a clear error at first use.
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    with pytest.raises(objstore.exceptions.UnauthenticatedError, match="no GCS credentials"):
        objstore.head(GCSStore(bucket, prefix=prefix, client_options=HTTP), "adc.txt")

    # CLOUDSDK_CONFIG names gcloud's directory itself.
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    assert objstore.head(GCSStore(bucket, prefix=prefix, client_options=HTTP), "adc.txt")["size"] == 18
    objstore.delete(store, "adc.txt")
