"""objstore.proxystore.ObjectStoreConnector: the contract every ProxyStore
connector keeps (checked here in our own tests), on a MemoryStore, a
LocalStore and an S3Store on the MinIO test server, and a proxy round trip
through proxystore.store.Store."""

from __future__ import annotations

import json
import os
import pickle
import uuid

import pytest
from proxystore.connectors.protocols import Connector, DeferrableConnector
from proxystore.store import Store

import objstore
from objstore.proxystore import ObjectStoreConnector, ObjectStoreKey
from objstore.store import LocalStore, MemoryStore, S3Store, from_config

from _servers import minio_store


@pytest.fixture(params=["memory", "local", "s3"])
def connector(request, tmp_path):
    if request.param == "memory":
        store = MemoryStore()
    elif request.param == "local":
        store = LocalStore(tmp_path / "ps", mkdir=True)
    else:
        store = minio_store("proxystore-" + uuid.uuid4().hex)
    c = ObjectStoreConnector(store, prefix="values")
    yield c
    c.close(clear=True)


def test_implements_the_protocols(connector):
    assert isinstance(connector, Connector)
    assert isinstance(connector, DeferrableConnector)


def test_put_get_exists_evict(connector):
    key = connector.put(b"payload")
    assert isinstance(key, ObjectStoreKey) and isinstance(key, tuple)
    assert pickle.loads(pickle.dumps(key)) == key
    assert connector.exists(key)
    assert connector.get(key) == b"payload"
    connector.evict(key)
    assert not connector.exists(key)
    assert connector.get(key) is None
    connector.evict(key)  # evicting a missing key is not an error
    assert connector.put(b"x") != connector.put(b"x")  # every put gets its own key


def test_values_of_any_bytes_like_type_and_size(connector):
    big = os.urandom(7 * 1024 * 1024 + 3)
    for value in (b"", bytearray(b"ba"), memoryview(b"mv"), big, objstore.Bytes(b"own type")):
        got = connector.get(connector.put(value))
        assert bytes(got) == bytes(value)


def test_batches_keep_order_and_report_missing(connector):
    values = [f"value-{i}".encode() for i in range(25)]
    keys = connector.put_batch(values)
    assert len(set(keys)) == 25
    connector.evict(keys[3])
    got = connector.get_batch(keys + [connector.new_key()])
    assert got[3] is None and got[-1] is None
    assert [g for i, g in enumerate(got[:-1]) if i != 3] == [v for i, v in enumerate(values) if i != 3]
    assert connector.put_batch([]) == [] and connector.get_batch([]) == []


def test_deferred_keys(connector):
    key = connector.new_key()
    assert not connector.exists(key) and connector.get(key) is None
    connector.set(key, b"later")
    assert connector.exists(key) and connector.get(key) == b"later"
    connector.set(key, b"replaced")
    assert connector.get(key) == b"replaced"


def test_config_round_trip_shares_values(connector):
    if isinstance(connector.store, MemoryStore):
        # a MemoryStore's values live in its one instance: only the kind travels
        config = connector.config()
        assert config["store"] == {"kind": "memory"}
        json.dumps(config)
        return
    config = json.loads(json.dumps(connector.config()))  # JSON-serializable
    other = ObjectStoreConnector.from_config(config)
    if isinstance(connector.store, S3Store):
        # credentials were left out; the rebuilding process supplies its own
        assert other.store != connector.store
        return
    assert other.store == connector.store and other.prefix == connector.prefix
    assert type(connector)(**config).store == connector.store  # how ProxyStore rebuilds it
    key = connector.put(b"shared")
    assert other.get(key) == b"shared"


def test_close_clears_only_when_asked(tmp_path):
    store = LocalStore(tmp_path / "c", mkdir=True)
    objstore.put(store, "other/keep", b"k")
    c = ObjectStoreConnector(store, prefix="values")
    key = c.put(b"v")
    c.close()
    c.close()
    assert c.exists(key)
    cleared = ObjectStoreConnector(store, prefix="values", clear=True)
    cleared.close()
    assert not c.exists(key)
    assert objstore.get(store, "other/keep").bytes() == b"k"
    with pytest.raises(ValueError):
        ObjectStoreConnector(store, prefix="/")


def test_config_leaves_out_credentials_unless_asked(monkeypatch):
    m = {n: os.environ.get("OBJSTORE_TEST_MINIO_" + n, "") for n in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET")}
    store = minio_store("proxystore-" + uuid.uuid4().hex)
    c = ObjectStoreConnector(store)
    text = json.dumps(c.config())
    assert m["SECRET_KEY"] not in text and m["ACCESS_KEY"] not in text
    assert m["ENDPOINT"] in text  # the rest of the document is kept
    key = c.put(b"via env")
    # A process with credentials in its environment resolves the values.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", m["ACCESS_KEY"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", m["SECRET_KEY"])
    rebuilt = ObjectStoreConnector.from_config(c.config())
    assert rebuilt.get(key) == b"via env"
    full = ObjectStoreConnector(store, config_secrets=True).config()
    assert from_config(full["store"]) == store
    c.close(clear=True)


def test_proxies_resolve_through_a_proxystore_store(tmp_path):
    connector = ObjectStoreConnector(LocalStore(tmp_path / "p", mkdir=True), clear=True)
    with Store(f"objstore-{uuid.uuid4().hex}", connector, register=False) as store:
        value = {"array": list(range(1000)), "text": "héllo"}
        proxy = store.proxy(value)
        again = pickle.loads(pickle.dumps(proxy))  # what a worker receives
        assert again == value
        key = store.put(b"raw bytes")
        assert store.get(key) == b"raw bytes"
        assert store.exists(key)
        store.evict(key)
        assert not store.exists(key)
