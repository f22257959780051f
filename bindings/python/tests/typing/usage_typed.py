"""A typed program an obstore user could write, with objstore: mypy --strict
and pyright must accept it as it is (test_typing.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from arro3.core import RecordBatch, Table

import objstore as obs
from objstore import Bytes, GetOptions, GetResult, ListResult, ListStream, ObjectMeta, PutResult
from objstore.exceptions import AlreadyExistsError, JoinError, NotFoundError
from objstore.store import (
    AzureStore,
    CachingStore,
    LimitStore,
    PrefixStore,
    BackoffConfig,
    ClientConfig,
    GCSStore,
    HTTPStore,
    LocalStore,
    MemoryStore,
    ObjectStore,
    RetryConfig,
    S3Config,
    S3Credential,
    S3Store,
    from_url,
)


def configs() -> list[ObjectStore]:
    s3_config: S3Config = {"region": "eu-west-1", "virtual_hosted_style_request": False, "aws_endpoint_url_s3": "http://h"}
    client: ClientConfig = {
        "allow_http": True,
        "timeout": timedelta(seconds=30),
        "read_timeout": "10s",
        "root_certificate": b"-----BEGIN CERTIFICATE-----\n...",
        "default_headers": {"x-team": "data"},
    }
    backoff: BackoffConfig = {"init_backoff": timedelta(milliseconds=50), "base": 2}
    retry: RetryConfig = {"max_retries": 3, "backoff": backoff, "retry_timeout": timedelta(minutes=1)}
    credential: S3Credential = {"access_key_id": "a", "secret_access_key": "s", "token": None, "expires_at": None}
    assert credential["access_key_id"]
    stores: list[ObjectStore] = [
        S3Store("bucket", prefix="p", config=s3_config, client_options=client, retry_config=retry, skip_signature=True),
        S3Store.from_url("s3://bucket/prefix", region="us-east-1"),
        GCSStore("bucket", base_url="http://127.0.0.1:4443"),
        AzureStore("container", account_name="acct", use_emulator=True),
        HTTPStore("https://example.com/data"),
        LocalStore(Path("/tmp"), mkdir=True),
        LocalStore.from_url("file:///tmp", automatic_cleanup=True),
        MemoryStore(),
        from_url("memory:///"),
        CachingStore(S3Store("b"), memory_bytes="64MiB", disk_dir=Path("/tmp/c"), ttl=timedelta(minutes=5)),
        LimitStore(MemoryStore(), max_in_flight=8, requests_per_second=50.5, bytes_per_second=20 << 20),
        PrefixStore(CachingStore(LocalStore()), "a/b"),
    ]
    inner: ObjectStore = PrefixStore(MemoryStore(), "p").inner
    s3 = S3Store("b")
    region: str | None = s3.config.get("region")
    prefix: Path | None = LocalStore().prefix
    url: str = HTTPStore("https://example.com").url
    retry_out: RetryConfig | None = s3.retry_config
    print(region, prefix, url, retry_out, inner)
    return stores


def sync_use(store: ObjectStore) -> None:
    result: PutResult = obs.put(store, "a/b.txt", b"hello", mode="create", attributes={"Content-Type": "text/plain"})
    store.put("a/c.txt", Path("/etc/hostname"), use_multipart=False)
    options: GetOptions = {"range": (0, 2), "if_none_match": result["e_tag"]}
    got: GetResult = obs.get(store, "a/b.txt", options=options)
    meta: ObjectMeta = got.meta
    body: Bytes = got.bytes()
    first: int = body[0]
    doubled: Bytes = body * 2
    chunks: list[Bytes] = [chunk for chunk in store.get("a/b.txt").stream(min_chunk_size=0)]
    ranges: list[Bytes] = obs.get_ranges(store, "a/b.txt", starts=[0, 2], lengths=[1, 1], coalesce=0)
    stream: ListStream[Sequence[ObjectMeta]] = obs.list(store, "a", chunk_size=10)
    everything: Sequence[ObjectMeta] = stream.collect()
    arrow: ListStream[RecordBatch] = store.list(return_arrow=True)
    level: ListResult[Sequence[ObjectMeta]] = store.list_with_delimiter("a")
    table_level: ListResult[Table] = obs.list_with_delimiter(store, return_arrow=True)
    whole: RecordBatch = obs.list(store, "a", chunk_size=100, return_arrow=True).collect()
    rows: int = whole.num_rows + sum(batch.num_rows for batch in obs.list(store, return_arrow=True))
    prefixes: Sequence[str] = table_level["common_prefixes"]
    print(rows, prefixes, table_level["objects"].num_rows)
    one_url: str = obs.sign(S3Store("b"), "GET", "k", timedelta(hours=1))
    many_urls: Sequence[str] = S3Store("b").sign("PUT", ["k1", "k2"], timedelta(hours=1))
    with obs.open_writer(store, "w.bin", buffer_size=5 * 1024 * 1024) as writer:
        writer.write(b"data")
    with obs.open_reader(store, "w.bin") as reader:
        data: Bytes = reader.read(2)
    try:
        store.copy("a/b.txt", "a/c.txt", overwrite=False)
    except AlreadyExistsError:
        pass
    except (NotFoundError, JoinError):
        raise
    store.rename("a/c.txt", "a/d.txt")
    store.delete(["a/b.txt", "a/d.txt"])
    print(meta["last_modified"].isoformat(), first, doubled, chunks, ranges, everything, arrow, level, table_level,
          one_url, many_urls, data, obs.parse_scheme("s3://b"))


async def async_use(store: ObjectStore) -> None:
    await obs.put_async(store, "x", b"1")
    got = await store.get_async("x")
    body: Bytes = await got.buffer_async()
    async for chunk in got:
        print(chunk)
    listed: Sequence[ObjectMeta] = await store.list_async().collect_async()
    async for page in store.list_async("x"):
        print(page[0]["path"])
    meta: ObjectMeta = await obs.head_async(store, "x")
    part: Bytes = await store.get_range_async("x", start=0, length=1)
    level = await store.list_with_delimiter_async()
    arrow_level: ListResult[Table] = await obs.list_with_delimiter_async(store, "x", return_arrow=True)
    arrow_all: RecordBatch = await obs.list(store, return_arrow=True).collect_async()
    async for batch in obs.list(store, chunk_size=10, return_arrow=True):
        print(batch.num_rows, arrow_level["objects"], arrow_all)
    reader = await obs.open_reader_async(store, "x")
    line: Bytes = await reader.readline()
    async with obs.open_writer_async(store, "y") as writer:
        await writer.write(b"2")
    urls: str = await obs.sign_async(S3Store("b"), "GET", "k", timedelta(minutes=5))
    print(body, listed, meta, part, level["common_prefixes"], line, urls)


if __name__ == "__main__":
    for s in configs():
        print(s)
    sync_use(MemoryStore())
    asyncio.run(async_use(MemoryStore()))


def metrics_usage(store: MemoryStore) -> int:
    counted: obs.StoreMetrics = store.metrics()
    process: obs.ProcessMetrics = obs.metrics()
    text: str = obs.metrics(format="prometheus") + store.metrics(format="prometheus")
    gets = counted["requests"].get("get", {}).get("ok", 0)
    return gets + process["kinds"]["memory"]["bytes_in"] + counted["ttfb_seconds"]["get"]["count"] + len(text)
