"""objstore.fsspec.FsspecStore, BufferedFile and register(): obstore's fsspec
integration, on each protocol's real server (MinIO, fake-gcs-server,
Azurite, nginx, the local filesystem, memory), and the ecosystem's own use
of it: pandas read_parquet / to_parquet and pyarrow datasets on s3:// paths."""

from __future__ import annotations

import asyncio
import io
import os
import pickle
import uuid

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from fsspec.registry import _registry as fsspec_implementations

import objstore
from objstore.fsspec import SUPPORTED_PROTOCOLS, BufferedFile, FsspecStore, register

from _servers import azurite_endpoint, create_container, minio_settings


@pytest.fixture(autouse=True)
def fsspec_registry():
    """register() changes fsspec's global registry: each test gets it back as it was."""
    saved = dict(fsspec_implementations)
    yield
    fsspec_implementations.clear()
    fsspec_implementations.update(saved)


@pytest.fixture
def s3_options() -> dict:
    m = minio_settings()
    return {
        "endpoint": m["ENDPOINT"],
        "access_key_id": m["ACCESS_KEY"],
        "secret_access_key": m["SECRET_KEY"],
        "region": "us-east-1",
        "client_options": {"allow_http": True},
    }


@pytest.fixture
def s3_root() -> str:
    """bucket/fresh-prefix on MinIO."""
    return minio_settings()["BUCKET"] + "/fsspec-store-" + uuid.uuid4().hex


def test_register_makes_fsspec_use_objstore_for_the_protocols():
    register()
    for protocol in sorted(SUPPORTED_PROTOCOLS - {"file", "memory"}):
        cls = fsspec.get_filesystem_class(protocol)
        assert issubclass(cls, FsspecStore) and cls.protocol == protocol, protocol
    # file:// and memory:// stay fsspec's unless named
    assert not issubclass(fsspec.get_filesystem_class("file"), FsspecStore)
    register(["file", "memory"])
    assert issubclass(fsspec.get_filesystem_class("memory"), FsspecStore)
    register("s3", asynchronous=True)
    assert fsspec.filesystem("s3", skip_signature=True, region="us-east-1").asynchronous is True
    with pytest.raises(TypeError):
        register([3])


def test_s3_paths_start_with_the_bucket_and_one_store_per_bucket(s3_options, s3_root):
    register("s3")
    fs = fsspec.filesystem("s3", **s3_options)
    assert type(fs).__name__ == "FsspecStore_s3"
    bucket = s3_root.split("/")[0]
    fs.pipe_file(f"s3://{s3_root}/a/one.txt", b"one")
    fs.pipe_file(f"{s3_root}/a/two.txt", b"two two")
    assert fs.cat_file(f"{s3_root}/a/one.txt") == b"one"
    assert fs.cat_file(f"s3://{s3_root}/a/two.txt", start=4) == b"two"
    assert fs.cat_file(f"{s3_root}/a/two.txt", start=-3) == b"two"
    assert fs.info(f"s3://{s3_root}/a/one.txt")["name"] == f"{s3_root}/a/one.txt"
    assert fs.info(f"{s3_root}/a")["type"] == "directory"
    assert fs.ls(f"{s3_root}/a", detail=False) == [f"{s3_root}/a/one.txt", f"{s3_root}/a/two.txt"]
    assert fs.find(s3_root) == [f"{s3_root}/a/one.txt", f"{s3_root}/a/two.txt"]
    assert fs.cat_ranges([f"{s3_root}/a/one.txt", f"{s3_root}/a/two.txt"], [0, 4], [2, 7]) == [b"on", b"two"]
    assert fs.modified(f"{s3_root}/a/one.txt").tzinfo is not None
    # one store per bucket, built once and reused
    assert fs._construct_store(bucket) is fs._construct_store(bucket)
    assert fs._construct_store(bucket).config["bucket"] == bucket
    assert fs._construct_store("another-bucket") is not fs._construct_store(bucket)
    with pytest.raises(ValueError):
        fs.copy(f"{s3_root}/a/one.txt", "another-bucket/x")  # copies stay in one bucket
    fs.copy(f"{s3_root}/a/one.txt", f"{s3_root}/b/one.txt")
    # a pickled filesystem (a Dask task's) rebuilds with its options
    clone = pickle.loads(pickle.dumps(fs))
    assert clone.protocol == "s3" and clone.cat_file(f"{s3_root}/b/one.txt") == b"one"
    fs.rm(s3_root, recursive=True)
    assert not fs.exists(f"{s3_root}/a/one.txt") and not fs.exists(f"{s3_root}/b/one.txt")
    with pytest.raises(FileNotFoundError):
        fs.ls(s3_root)
    with pytest.raises(ValueError):
        fs.cat_file(f"gs://{s3_root}/a/one.txt")  # another protocol's URL


def test_buffered_file_reads_writes_and_refuses_the_other_mode(s3_options, s3_root):
    register("s3")
    fs = fsspec.filesystem("s3", **s3_options)
    path = f"{s3_root}/file.bin"
    data = os.urandom(11 * 1024 * 1024 + 17)  # a multipart upload in 5 MiB parts
    with fs.open(path, "wb", buffer_size=5 * 1024 * 1024) as f:
        assert isinstance(f, BufferedFile)
        for i in range(0, len(data), 1_000_000):
            f.write(data[i : i + 1_000_000])
        assert f.tell() == len(data)
        with pytest.raises(io.UnsupportedOperation):
            f.read()
        with pytest.raises(io.UnsupportedOperation):
            f.seek(0)
        assert not fs.exists(path)  # nothing visible before close
    with fs.open(f"s3://{path}", "rb") as f:
        assert f.read(10) == data[:10] and f.tell() == 10
        f.seek(-7, os.SEEK_END)
        assert f.read() == data[-7:]
        f.seek(0)
        buf = bytearray(5)
        assert f.readinto(buf) == 5 and bytes(buf) == data[:5]
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"x")
    with pytest.raises(ValueError):
        f.read()  # closed
    with pytest.raises(ValueError):
        fs.open(path, "ab")
    # an exception inside the block discards the write: nothing is created
    with pytest.raises(RuntimeError):
        with fs.open(f"{s3_root}/discarded", "wb") as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert not fs.exists(f"{s3_root}/discarded")
    fs.pipe_file(f"{s3_root}/lines.txt", b"a\nbb\nccc")
    with fs.open(f"{s3_root}/lines.txt") as f:
        assert f.readline() == b"a\n" and f.readlines() == [b"bb\n", b"ccc"]


def test_asynchronous_filesystem(s3_options, s3_root):
    register("s3", asynchronous=True)

    async def main():
        fs = fsspec.filesystem("s3", **s3_options)
        assert fs.asynchronous
        await fs._pipe_file(f"{s3_root}/async.txt", b"awaited")
        assert await fs._cat_file(f"{s3_root}/async.txt") == b"awaited"
        assert (await fs._info(f"{s3_root}/async.txt"))["size"] == 7
        await fs._rm_file(f"{s3_root}/async.txt")
        assert not await fs._exists(f"{s3_root}/async.txt")

    asyncio.run(main())


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"id": range(1000), "name": [f"row-{i}" for i in range(1000)], "x": [i / 7 for i in range(1000)]})


def test_pandas_parquet_round_trip_on_s3_urls(s3_options, s3_root):
    register()
    url = f"s3://{s3_root}/frame.parquet"
    df = _frame()
    df.to_parquet(url, storage_options=s3_options)
    fs = fsspec.filesystem("s3", **s3_options)
    assert fs.info(url)["size"] > 0
    back = pd.read_parquet(url, storage_options=s3_options)
    pd.testing.assert_frame_equal(back, df)
    # columns: pyarrow asks only for the ranges it needs
    assert list(pd.read_parquet(url, columns=["name"], storage_options=s3_options)["name"]) == list(df["name"])


def test_pyarrow_dataset_reads_s3_urls(s3_options, s3_root):
    register("s3")
    # the ecosystem's idiom: fsspec resolves the s3:// URL to the registered filesystem
    fs, root = fsspec.core.url_to_fs(f"s3://{s3_root}/dataset", **s3_options)
    assert isinstance(fs, FsspecStore) and root == f"{s3_root}/dataset"
    for part in range(3):
        table = pa.table({"value": list(range(part * 100, part * 100 + 100))})
        pq.write_table(table, f"{root}/part={part}/data.parquet", filesystem=fs)
    dataset = pads.dataset(root, filesystem=fs, format="parquet", partitioning="hive")
    table = dataset.to_table()
    assert table.num_rows == 300
    assert sorted(table.column("value").to_pylist()) == list(range(300))
    assert dataset.to_table(filter=pads.field("part") == 2).num_rows == 100


def test_gcs_azure_http_local_and_memory_protocols(tmp_path):
    # GCS: fake-gcs-server's bucket
    gcs_endpoint = os.environ.get("OBJSTORE_TEST_GCS_ENDPOINT", "")
    gcs_bucket = os.environ.get("OBJSTORE_TEST_GCS_BUCKET", "")
    assert gcs_endpoint and gcs_bucket, "OBJSTORE_TEST_GCS_ENDPOINT/BUCKET not set: run via with-servers.sh"
    gs = FsspecStore("gs", base_url=gcs_endpoint, client_options={"allow_http": True})
    key = f"{gcs_bucket}/fsspec-{uuid.uuid4().hex}/x.txt"
    gs.pipe_file(f"gs://{key}", b"gcs bytes")
    assert gs.cat_file(key) == b"gcs bytes" and gs.info(f"gs://{key}")["name"] == key
    # Azure: a fresh container on Azurite, az:// and abfs:// alike
    endpoint = azurite_endpoint()
    container = "fsspec-" + uuid.uuid4().hex[:12]
    create_container(endpoint, container)
    for protocol in ("az", "abfs"):
        az = FsspecStore(protocol, use_emulator=True, endpoint=endpoint)
        az.pipe_file(f"{protocol}://{container}/{protocol}.txt", protocol.encode())
        assert az.cat_file(f"{container}/{protocol}.txt") == protocol.encode()
        assert az.ls(container, detail=False)[-1].startswith(f"{container}/")
    # HTTP: the host is the "bucket"; nginx's WebDAV server
    base = os.environ.get("OBJSTORE_TEST_WEBDAV_URL", "")
    assert base, "OBJSTORE_TEST_WEBDAV_URL not set: run via with-servers.sh"
    web = FsspecStore("http", client_options={"allow_http": True})
    url = f"{base}fsspec-{uuid.uuid4().hex}/page.txt"
    web.pipe_file(url, b"over http")
    assert web.cat_file(url) == b"over http" and web.cat_file(url, start=5) == b"http"
    with web.open(url) as f:
        assert f.read() == b"over http"
    # file: paths are local paths
    local = FsspecStore("file")
    target = tmp_path / "dir" / "f.txt"
    local.pipe_file(str(target), b"local")
    assert target.read_bytes() == b"local" and local.cat_file(f"file://{target}") == b"local"
    assert local.ls(str(tmp_path / "dir"), detail=False) == [str(target)]
    # memory: one store per filesystem
    mem = FsspecStore("memory")
    mem.pipe_file("memory://k/v", b"m")
    assert mem.cat_file("k/v") == b"m" and mem.find("k") == ["k/v"]
    assert isinstance(mem._construct_store(""), objstore.store.MemoryStore)
