"""AzureStore against Azurite (buildscripts/servers/azurite.sh).

Run via: buildscripts/with-servers.sh azurite -- python3 -m pytest bindings/python/tests/test_azure.py
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import pickle
import sys
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

import objstore
from objstore.store import AzureStore, from_url

sys.path.insert(0, str(Path(__file__).parent))
import _spawn_worker  # noqa: E402
from _servers import ACCOUNT_KEY, create_container  # noqa: E402



@pytest.fixture(scope="module")
def endpoint() -> str:
    ep = os.environ.get("OBJSTORE_TEST_AZURITE_ENDPOINT", "")
    if not ep:
        pytest.fail(
            "OBJSTORE_TEST_AZURITE_ENDPOINT not set: run via "
            "buildscripts/with-servers.sh azurite -- python3 -m pytest bindings/python/tests/test_azure.py"
        )
    return ep


@pytest.fixture(scope="module")
def container(endpoint) -> str:
    name = "pytest-" + uuid.uuid4().hex[:12]
    create_container(endpoint, name)
    return name


@pytest.fixture
def prefix() -> str:
    return "pytest-" + uuid.uuid4().hex


def _store(endpoint: str, container: str, prefix: str) -> AzureStore:
    return AzureStore(container, prefix=prefix, use_emulator=True, endpoint=endpoint)


def test_put_get_list_sign(endpoint, container, prefix):
    store = _store(endpoint, container, prefix)
    objstore.put(store, "a/one.txt", b"one")
    objstore.put(store, "a/two.txt", b"two two")
    objstore.put(store, "b.txt", b"bee")

    assert bytes(objstore.get(store, "a/two.txt").bytes()) == b"two two"
    assert bytes(objstore.get_range(store, "a/two.txt", start=1, end=5)) == b"wo t"
    # Azure has no suffix range: a size lookup, then an etag-pinned read.
    assert bytes(objstore.get(store, "a/two.txt", options={"range": {"suffix": 3}}).bytes()) == b"two"

    listed = sorted(m["path"] for chunk in objstore.list(store) for m in chunk)
    assert listed == ["a/one.txt", "a/two.txt", "b.txt"]
    level = objstore.list_with_delimiter(store)
    assert level["common_prefixes"] == ["a"]
    assert [m["path"] for m in level["objects"]] == ["b.txt"]

    url = objstore.sign(store, "GET", "a/one.txt", timedelta(minutes=5))
    assert f"/{container}/{prefix}/a/one.txt?" in url  # the prefix store signs the full name
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == b"one"
    tampered = url.replace("a/one.txt", "a/two.txt")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered, timeout=10)
    assert e.value.code == 403

    objstore.put(store, "once", b"1", mode="create")
    with pytest.raises(FileExistsError):
        objstore.put(store, "once", b"2", mode="create")
    with pytest.raises(FileNotFoundError):
        objstore.get(store, "missing")


def test_from_url_pickled_into_spawned_process(endpoint, container, prefix):
    store = _store(endpoint, container, prefix)
    objstore.put(store, "shared/data.bin", b"written by the parent")

    url_store = from_url(f"az://{container}/{prefix}", use_emulator=True, endpoint=endpoint)
    assert isinstance(url_store, AzureStore)
    assert url_store.container_name == container
    clone = pickle.loads(pickle.dumps(url_store))
    assert clone == url_store
    assert bytes(objstore.get(clone, "shared/data.bin").bytes()) == b"written by the parent"

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        _, data, kind = pool.apply(_spawn_worker.read_object, (url_store, "shared/data.bin"))
        assert pool.apply(_spawn_worker.write_object, (url_store, "shared/from-child", b"child"))
    assert kind == "AzureStore"
    assert data == b"written by the parent"
    assert bytes(objstore.get(store, "shared/from-child").bytes()) == b"child"


def test_environment_settings_are_not_pickled(endpoint, container, prefix, monkeypatch):
    # Everything but the container comes from AZURE_* variables.
    monkeypatch.setenv("AZURE_STORAGE_USE_EMULATOR", "true")
    monkeypatch.setenv("AZURE_STORAGE_ENDPOINT", endpoint)
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", ACCOUNT_KEY)
    store = AzureStore(container, prefix=prefix)
    objstore.put(store, "env.txt", b"configured from the environment")
    assert bytes(objstore.get(store, "env.txt").bytes()) == b"configured from the environment"

    data = pickle.dumps(store)
    for value in (endpoint, ACCOUNT_KEY, "use_emulator"):
        assert value.encode() not in data, "a value from the environment was pickled"
    clone = pickle.loads(data)
    assert bytes(objstore.get(clone, "env.txt").bytes()) == b"configured from the environment"


def test_config_aliases_and_duplicates(endpoint, container, prefix):
    store = AzureStore(
        config={"AZURE_CONTAINER_NAME": container, "azure_storage_use_emulator": "true", "Azure_Storage_Endpoint": endpoint},
        prefix=prefix,
    )
    objstore.put(store, "alias.txt", b"aliases")
    assert bytes(objstore.get(store, "alias.txt").bytes()) == b"aliases"
    with pytest.raises(objstore.exceptions.UnknownConfigurationKeyError):
        AzureStore(container, not_a_key="x")
    with pytest.raises(ValueError):
        AzureStore(container, account_key="a", azure_storage_access_key="b")


def test_wrong_key_and_missing_container_are_typed(endpoint, container):
    wrong_key = base64.b64encode(b"definitely not the account key!!").decode()
    wrong = AzureStore(container, use_emulator=True, endpoint=endpoint, account_key=wrong_key)
    with pytest.raises((objstore.exceptions.PermissionDeniedError, objstore.exceptions.UnauthenticatedError)) as e:
        objstore.get(wrong, "anything")
    assert wrong_key not in str(e.value)

    missing = AzureStore("objstore-no-such-container", use_emulator=True, endpoint=endpoint)
    with pytest.raises(FileNotFoundError):
        objstore.get(missing, "anything")
