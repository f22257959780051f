"""objstore.fsspec.ObjectStoreFileSystem against fsspec's own abstract test
suites (fsspec.tests.abstract: copy, get, put, open, pipe), on a MemoryStore,
a LocalStore and an S3Store on the MinIO test server, plus the range and
mode behaviour the suites do not cover."""

from __future__ import annotations

import os
import pickle
import posixpath
import uuid

import fsspec
import fsspec.tests.abstract as abstract
import pytest
from fsspec.tests.abstract import AbstractFixtures

import objstore
from objstore.fsspec import ObjectStoreFileSystem
from objstore.store import LocalStore, MemoryStore

from _servers import minio_store


class _Fixtures(AbstractFixtures):
    """fsspec's fixtures for a filesystem without empty directories whose
    paths join with "/"; each test gets a fresh root (`fs_path`)."""

    @pytest.fixture
    def fs_join(self):
        return posixpath.join

    @pytest.fixture
    def supports_empty_directories(self):
        return False

    @pytest.fixture
    def fs_path(self):
        return "root-" + uuid.uuid4().hex


class MemoryFixtures(_Fixtures):
    @pytest.fixture
    def fs(self):
        return ObjectStoreFileSystem(MemoryStore())


class LocalFixtures(_Fixtures):
    @pytest.fixture
    def fs(self, tmp_path):
        return ObjectStoreFileSystem(LocalStore(tmp_path / "fs", mkdir=True))


class S3Fixtures(_Fixtures):
    @pytest.fixture
    def fs(self):
        return ObjectStoreFileSystem(minio_store("fsspec-" + uuid.uuid4().hex))


def _suites(fixtures):
    return (
        fixtures,
        abstract.AbstractCopyTests,
        abstract.AbstractGetTests,
        abstract.AbstractPutTests,
        abstract.AbstractOpenTests,
        abstract.AbstractPipeTests,
    )


class TestMemory(*_suites(MemoryFixtures)):
    pass


class TestLocal(*_suites(LocalFixtures)):
    pass


class TestS3(*_suites(S3Fixtures)):
    pass


# ---- beyond the suites -----------------------------------------------------------------


@pytest.fixture(params=["memory", "local"])
def fs(request, tmp_path) -> ObjectStoreFileSystem:
    if request.param == "memory":
        return ObjectStoreFileSystem(MemoryStore())
    return ObjectStoreFileSystem(LocalStore(tmp_path / "fs", mkdir=True))


DATA = bytes(range(256)) * 4


def test_cat_file_ranges(fs):
    fs.pipe_file("d/obj", DATA)
    n = len(DATA)
    cases = [(None, None), (0, None), (10, None), (-5, None), (-5000, None), (10, 20), (-20, -10),
             (5, -5), (1000, 2000), (n, None), (n + 5, None), (20, 10), (0, 0)]
    for start, end in cases:
        assert fs.cat_file("d/obj", start=start, end=end) == DATA[start:end], (start, end)
    with pytest.raises(FileNotFoundError):
        fs.cat_file("d/missing", start=3)
    out = fs.cat_ranges(["d/obj", "d/obj", "d/missing", "d/obj"], [0, 100, 0, -4], [10, 90, 5, None])
    assert out[0] == DATA[0:10] and out[1] == b"" and out[3] == DATA[-4:]
    assert isinstance(out[2], FileNotFoundError)


def test_ls_info_find_rm(fs):
    for p in ("a/x", "a/b/y", "a/b/c/z", "ab"):
        fs.pipe_file(p, b"12345")
    assert fs.ls("a", detail=False) == ["a/b", "a/x"]
    assert fs.info("a/b")["type"] == "directory"
    info = fs.info("a/x")
    assert info["type"] == "file" and info["size"] == 5 and info["name"] == "a/x"
    assert fs.ls("a/x", detail=False) == ["a/x"]
    with pytest.raises(FileNotFoundError):
        fs.ls("nothing")
    assert fs.find("a") == ["a/b/c/z", "a/b/y", "a/x"]
    assert fs.find("a", withdirs=True) == ["a", "a/b", "a/b/c", "a/b/c/z", "a/b/y", "a/x"]
    assert fs.du("a") == 15
    fs.rm("a/b", recursive=True)
    assert fs.find("") == ["a/x", "ab"]
    fs.rm("objstore://a/x")
    assert not fs.exists("a/x") and fs.exists("ab")


def test_open_read_write_modes(fs, tmp_path):
    big = os.urandom(3 * 1024 * 1024 + 17)
    with fs.open("f/big", "wb", block_size=1024 * 1024) as f:
        for i in range(0, len(big), 100_000):
            f.write(big[i : i + 100_000])
        assert not fs.exists("f/big")  # the object appears whole, on close
    assert fs.cat_file("f/big") == big
    with fs.open("f/big", "rb", block_size=64 * 1024) as f:
        f.seek(-100, 2)
        assert f.read() == big[-100:]
        f.seek(1_000_000)
        assert f.read(10) == big[1_000_000:1_000_010]
    with pytest.raises(FileExistsError):
        fs.open("f/big", "xb")
    with fs.open("f/new", "xb") as f:
        f.write(b"once")
    assert fs.cat_file("f/new") == b"once"
    with pytest.raises(NotImplementedError):
        fs.open("f/new", "ab")
    with fs.open("f/text", "w") as f:
        f.write("héllo\n")
    assert fs.cat_file("f/text") == "héllo\n".encode()
    local = tmp_path / "dl"
    fs.get_file("f/big", str(local))
    assert local.read_bytes() == big
    fs.put_file(str(local), "f/uploaded")
    assert fs.size("f/uploaded") == len(big)


def test_url_pickle_and_registration(tmp_path):
    fs = fsspec.filesystem("objstore", url=(tmp_path / "u").as_uri(), mkdir=True)
    assert isinstance(fs, ObjectStoreFileSystem)
    fs.pipe_file("k", b"v")
    assert objstore.get(LocalStore(tmp_path / "u"), "k").bytes() == b"v"
    again = pickle.loads(pickle.dumps(fs))
    assert again == fs and again.cat_file("objstore://k") == b"v"
    with fsspec.open("objstore://k", "rb", url=(tmp_path / "u").as_uri()) as f:
        assert f.read() == b"v"
    with pytest.raises(ValueError, match="exactly one"):
        ObjectStoreFileSystem()
    # "s3" and "file" stay with their usual implementations
    assert fsspec.get_filesystem_class("file") is not ObjectStoreFileSystem
