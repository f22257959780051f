"""Store objects: documents, validation, pickling, equality, repr, sharing."""

from __future__ import annotations

import copy
import gc
import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

import objstore
from objstore import _config, _native
from objstore.exceptions import InvalidArgumentError, UnknownConfigurationKeyError
from objstore.store import HTTPStore, LocalStore, MemoryStore, S3Store, from_config, from_url


def test_local_store_document_and_properties(tmp_path):
    store = LocalStore(tmp_path, mkdir=True)
    assert store.prefix == tmp_path
    assert isinstance(store.prefix, Path)
    doc = json.loads(store.config_document())
    assert doc == {"kind": "local", "prefix": str(tmp_path), "config": {"mkdir": "true"}}
    assert store.__dask_tokenize__() == store.config_document()
    assert repr(store) == f'LocalStore("{tmp_path}")'  # obstore's shape


def test_local_store_relative_prefix_resolved_at_construction(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rel").mkdir()
    store = LocalStore("rel")
    assert store.prefix == tmp_path / "rel"


def test_local_store_missing_root_without_mkdir(tmp_path):
    store = LocalStore(tmp_path / "does-not-exist")  # validation does not touch the disk
    with pytest.raises(FileNotFoundError, match="mkdir"):
        objstore.put(store, "x", b"1")


def test_pickle_roundtrip_local(tmp_path):
    store = LocalStore(tmp_path, mkdir=True, automatic_cleanup=True)
    objstore.put(store, "a/b", b"pickled")
    clone = pickle.loads(pickle.dumps(store))
    assert type(clone) is LocalStore
    assert clone == store and hash(clone) == hash(store)
    assert clone.config_document() == store.config_document()
    assert objstore.get(clone, "a/b").bytes() == b"pickled"
    assert copy.copy(store) == store and copy.deepcopy(store) == store
    args, kwargs = store.__getnewargs_ex__()
    assert args == () and kwargs == {"prefix": str(tmp_path), "mkdir": True, "automatic_cleanup": True}


def test_pickle_roundtrip_http():
    store = HTTPStore(
        "http://127.0.0.1:9/base/dir",
        client_options={"allow_http": True, "timeout": timedelta(seconds=5), "connect_timeout": "2s"},
        retry_config={"max_retries": 2, "retry_timeout": timedelta(seconds=90), "backoff": {"base": 3}},
    )
    assert store.client_options == {"allow_http": "true", "timeout": "5s", "connect_timeout": "2s"}
    assert store.retry_config["max_retries"] == 2
    assert store.url == "http://127.0.0.1:9/base/dir"  # as given
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store
    assert clone.url.rstrip("/") == store.url  # the canonical form after a pickle
    assert clone.retry_config == store.retry_config


def test_memory_store_is_not_picklable_and_is_its_own_store():
    a, b = MemoryStore(), MemoryStore()
    with pytest.raises(TypeError, match="MemoryStore cannot be pickled"):
        pickle.dumps(a)
    objstore.put(a, "only-in-a", b"1")
    assert objstore.list(b).collect() == []
    assert a != b and a == a
    assert json.loads(a.config_document()) == {"kind": "memory"}
    assert isinstance(from_config(a.config_document()), MemoryStore)


def _shared_stores() -> int:
    return objstore.debug_stats()["shared_stores"]


def test_equal_documents_share_one_native_store(tmp_path):
    # The library shares one client between the handles of equal documents;
    # Python keeps no cache of its own (each store object has its handle).
    gc.collect()  # stores earlier tests left in reference cycles go first
    before = _shared_stores()
    a = LocalStore(tmp_path)
    b = LocalStore(str(tmp_path))
    c = pickle.loads(pickle.dumps(a))
    assert a == b == c
    objstore.put(a, "x", b"1")
    objstore.head(b, "x")
    objstore.head(c, "x")
    assert a._native is not b._native
    assert _shared_stores() == before + 1
    d = LocalStore(tmp_path, automatic_cleanup=True)
    objstore.head(d, "x")
    assert d != a and _shared_stores() == before + 2
    del a, b, c, d
    gc.collect()
    assert _shared_stores() == before


def test_memory_stores_do_not_share():
    before = _shared_stores()
    a, b = MemoryStore(), MemoryStore()
    objstore.list(a).collect()
    objstore.list(b).collect()
    assert a._native is not b._native
    assert _shared_stores() == before  # never shared: each is its own store


def test_threads_racing_on_first_use_open_one_handle(tmp_path):
    store = LocalStore(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        handles = set(pool.map(lambda _: id(store._handle()), range(64)))
    assert len(handles) == 1


def test_from_config_roundtrip(tmp_path):
    store = LocalStore(tmp_path, automatic_cleanup=True)
    doc = store.config_document()
    again = from_config(doc)
    assert again == store
    assert from_config(json.loads(doc)) == store
    assert from_config(doc.encode()) == store
    with pytest.raises(UnknownConfigurationKeyError):
        from_config({"kind": "local", "prefix": str(tmp_path), "config": {"bogus": "1"}})
    with pytest.raises(ValueError):  # also a ValueError
        from_config({"kind": "local", "prefix": str(tmp_path), "config": {"bogus": "1"}})
    # a key given twice in JSON text is refused by the library's parser
    with pytest.raises(InvalidArgumentError, match="twice"):
        from_config('{"kind":"local","prefix":"/tmp","config":{"mkdir":"true","mkdir":"false"}}')
    with pytest.raises(InvalidArgumentError, match="twice"):
        from_config('{"kind":"local","kind":"local","prefix":"/tmp"}')
    with pytest.raises(InvalidArgumentError):
        from_config("not json")
    with pytest.raises(InvalidArgumentError, match="kind"):
        from_config({"kind": "nonsense"})
    with pytest.raises(TypeError, match="document"):
        from_config(42)


def test_from_url(tmp_path):
    local = from_url(tmp_path.as_uri())
    assert type(local) is LocalStore and local.prefix == tmp_path
    objstore.put(local, "u", b"url")
    assert (tmp_path / "u").read_bytes() == b"url"
    assert type(from_url("memory:///")) is MemoryStore
    http = from_url("http://127.0.0.1:9/some/base", client_options={"allow_http": True})
    assert type(http) is HTTPStore
    assert LocalStore.from_url(tmp_path.as_uri(), mkdir=True).config == {"mkdir": "true"}
    with pytest.raises(InvalidArgumentError, match="not a LocalStore URL"):
        LocalStore.from_url("memory:///")
    with pytest.raises(UnknownConfigurationKeyError):
        from_url(tmp_path.as_uri(), bogus_key="1")
    with pytest.raises(InvalidArgumentError):
        from_url("nope://x")
    with pytest.raises(TypeError, match="url"):
        from_url(123)


def test_duplicate_key_in_config_and_kwargs_is_an_error():
    # Detected in Python before the library is asked (exact same key twice).
    with pytest.raises(InvalidArgumentError, match="twice"):
        S3Store("bucket", config={"region": "eu-west-1"}, region="us-east-1")


def test_config_values_become_strings():
    assert _config.option_value("config", "k", True) == "true"
    assert _config.option_value("config", "k", False) == "false"
    assert _config.option_value("config", "k", 12) == "12"
    assert _config.option_value("config", "k", 1.5) == "1.5"
    assert _config.option_value("config", "k", timedelta(seconds=30)) == "30s"
    assert _config.option_value("config", "k", timedelta(milliseconds=1500)) == "1500000us"
    assert _config.option_value("config", "k", timedelta(minutes=2)) == "120s"
    with pytest.raises(TypeError, match="config key 'k'"):
        _config.option_value("config", "k", object())
    with pytest.raises(ValueError, match="negative"):
        _config.option_value("config", "k", timedelta(seconds=-1))


def test_environment_passed_to_library_is_what_the_backend_declares(monkeypatch):
    values = {
        "AWS_REGION": "eu-central-1",
        "AWS_ALLOW_HTTP": "true",
        "GOOGLE_SERVICE_ACCOUNT": "/x.json",
        "CLOUDSDK_CONFIG": "/gcloud",
        "GCE_METADATA_HOST": "169.254.169.254",
        "HOME": "/home/someone",
        "AZURE_STORAGE_ACCOUNT_NAME": "acct",
        "AZURITE_BLOB_STORAGE_URL": "http://127.0.0.1:1",
        "OBJSTORE_TEST_X": "1",
        "HOME_NOT_PASSED": "secret",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)

    def forwarded(kind):
        env = json.loads(_native.environment_json(kind))
        assert set(env) <= set(_native.env_names(kind))
        assert all(env[k] == values[k] for k in env)
        return set(env)

    assert forwarded("gcs") == {"GOOGLE_SERVICE_ACCOUNT", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "HOME"}
    assert forwarded("s3") == {"AWS_REGION", "AWS_ALLOW_HTTP"}
    assert forwarded("azure") == {"AZURE_STORAGE_ACCOUNT_NAME", "AZURITE_BLOB_STORAGE_URL"}
    assert forwarded("memory") == forwarded("local") == forwarded("http") == set()
    with pytest.raises(InvalidArgumentError, match="nosuch"):
        _native.env_names("nosuch")


def test_repr_never_shows_secrets():
    # __new__ builds the document without the library; repr is pure Python.
    store = S3Store.__new__(
        S3Store,
        "bucket",
        prefix="p",
        access_key_id="AKIAEXAMPLE",
        secret_access_key="very-secret-value",
        session_token="token-value",
        region="eu-west-1",
    )
    text = repr(store)
    for secret in ("AKIAEXAMPLE", "very-secret-value", "token-value"):
        assert secret not in text
    assert text == 'S3Store(bucket="bucket", prefix="p")'  # obstore's shape: no config at all
    http = HTTPStore.__new__(HTTPStore, "https://user:pw@example.com/c?sv=2020&sig=SECRETSIG")
    assert "SECRETSIG" not in repr(http) and "pw" not in repr(http)


@pytest.mark.parametrize(
    "make, url",
    [
        (from_url, "gs://user:pw@/base?sv=2020&sig=SECRETSIG#frag"),
        (from_url, "az://user:pw@acct.blob.core.windows.net/c?sv=1&sig=SECRETSIG"),
        (HTTPStore, "https://example.com/base?sig=SECRETSIG"),
        (HTTPStore, "https://example.com/base?"),
        (HTTPStore, "https://example.com/base#token"),
    ],
)
def test_url_redaction_is_the_librarys(make, url):
    # The library names the URL in its error, redacted by core.RedactURL;
    # repr uses the same rule, so the two read the same.
    with pytest.raises(InvalidArgumentError) as info:
        make(url)
    python_side = _config.redact_url(url)
    assert python_side in str(info.value), (python_side, str(info.value))
    for secret in ("pw", "SECRETSIG", "token"):
        assert secret not in python_side


def test_pickle_kwargs_rebuild_the_same_document():
    store = S3Store.__new__(
        S3Store,
        "bucket",
        prefix="some/prefix",
        config={"region": "eu-west-1"},
        skip_signature=True,
        client_options={"timeout": timedelta(seconds=30)},
        retry_config={"max_retries": 3},
    )
    args, kwargs = store.__getnewargs_ex__()
    assert args == ()
    assert kwargs == {
        "bucket": "bucket",
        "prefix": "some/prefix",
        "config": {"region": "eu-west-1", "skip_signature": "true"},
        "client_options": {"timeout": "30s"},
        "retry_config": {"max_retries": 3},
    }
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store and clone.config_document() == store.config_document()
    assert clone.prefix == "some/prefix" and clone.config == store.config


def test_constructor_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="prefix"):
        LocalStore(42)
    with pytest.raises(TypeError, match="mkdir"):
        LocalStore(tmp_path, mkdir=1)
    with pytest.raises(TypeError, match="url"):
        HTTPStore(None)
    with pytest.raises(TypeError, match="config key 'region'"):
        S3Store.__new__(S3Store, "b", region=["list"])
    with pytest.raises(TypeError, match="abstract"):
        objstore.store.ObjectStore()


# ---- S3, GCS, Azure documents (validated by the library; no I/O, no server) ----

from objstore.store import AzureStore, GCSStore  # noqa: E402


def test_s3_store_document_is_validated_and_canonical():
    store = S3Store(
        "bucket",
        prefix="p",
        aws_region="eu-west-1",  # an alias: stored under its canonical name
        skip_signature=True,
        client_options={"allow_http": True, "timeout": timedelta(seconds=20)},
        retry_config={"max_retries": 3},
    )
    assert json.loads(store.config_document()) == {
        "kind": "s3",
        "bucket": "bucket",
        "prefix": "p",
        "config": {"region": "eu-west-1", "skip_signature": "true"},
        "client_options": {"allow_http": "true", "timeout": "20s"},
        # a policy given in part is written out whole: equal policies, equal documents
        "retry_config": {
            "max_retries": 3, "retry_timeout": "3m0s",
            "backoff": {"init_backoff": "100ms", "max_backoff": "15s", "base": 2},
        },
    }
    assert store.prefix == "p"
    assert store.config == {"region": "eu-west-1", "skip_signature": "true", "bucket": "bucket"}
    assert store.client_options == {"allow_http": "true", "timeout": "20s"}
    assert store.retry_config == {  # obstore's form: every field, durations as timedelta
        "max_retries": 3, "retry_timeout": timedelta(minutes=3),
        "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=15), "base": 2.0},
    }
    assert S3Store("bucket", prefix="p", region="eu-west-1", skip_signature=True, retry_config={
        "max_retries": 3, "retry_timeout": timedelta(seconds=180)}, client_options=store.client_options) == store
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store and hash(clone) == hash(store)
    assert from_config(store.config_document()) == store


def test_cloud_config_errors_are_typed():
    with pytest.raises(UnknownConfigurationKeyError, match="bogus"):
        S3Store("b", bogus="1")
    with pytest.raises(InvalidArgumentError, match="aws_region"):
        S3Store("b", config={"aws_region": "x"}, region="y")  # two names of one key
    with pytest.raises(UnknownConfigurationKeyError):
        GCSStore("b", client_options={"not_an_option": "1"})
    with pytest.raises(InvalidArgumentError):
        S3Store("b", retry_config={"max_retries": "many"})


@pytest.mark.parametrize(
    "url, cls, bucket, prefix",
    [
        ("s3://bkt/some/prefix", S3Store, "bkt", "some/prefix"),
        ("gs://gbkt/x", GCSStore, "gbkt", "x"),
        ("az://container/y", AzureStore, "container", "y"),
    ],
)
def test_from_url_cloud(url, cls, bucket, prefix):
    store = from_url(url)
    assert type(store) is cls
    doc = json.loads(store.config_document())
    assert doc["bucket"] == bucket and store.prefix == prefix
    assert cls.from_url(url) == store
    assert pickle.loads(pickle.dumps(store)) == store


def test_from_url_overrides_win():
    store = from_url("s3://bkt/p", region="eu-west-1", config={"endpoint": "http://127.0.0.1:9000"})
    assert store.config == {"region": "eu-west-1", "endpoint": "http://127.0.0.1:9000", "bucket": "bkt"}
    azure = AzureStore("c", account_name="acct")
    assert azure.container_name == "c" and azure.config == {"account_name": "acct", "container_name": "c"}


def test_secrets_given_in_config_are_not_in_repr():
    store = S3Store("b", access_key_id="AKIAEXAMPLE", secret_access_key="hush-hush")
    assert "hush-hush" not in repr(store) and "AKIAEXAMPLE" not in repr(store)
    gcs = GCSStore("b", service_account_key='{"private_key": "PRIVATE"}')
    assert "PRIVATE" not in repr(gcs)
