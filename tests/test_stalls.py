"""Stalls through the Python binding, end to end: a store with
client_options={"timeout": "3s"} and two retries reads a 4 MiB object
through tests/faultproxy, which relays the headers and half the body of
the first GET and then goes silent (later requests pass through). Every
read — get().bytes(), get_async, get_many, a stream — returns the exact
bytes after the read resumes; when every GET stalls, the read raises
RequestTimeoutError within timeout x (retries + 1) + 1 s. The Go tests
(tests/stalls) run the whole matrix; this proves the binding carries the
options and the errors through.

Run via: buildscripts/with-servers.sh minio fakegcs nginx -- python3 -m pytest tests/test_stalls.py
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import objstore
from objstore.exceptions import RequestTimeoutError
from objstore.store import GCSStore, HTTPStore, S3Store

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))
from _servers import minio_settings  # noqa: E402

SIZE = 4 << 20
TIMEOUT_S = 3
RETRIES = 2
BOUND_S = TIMEOUT_S * (RETRIES + 1) + 1
CLIENT = {"allow_http": True, "timeout": f"{TIMEOUT_S}s"}
RETRY = {"max_retries": RETRIES}
DATA = bytes((i * 7) & 0xFF for i in range(256)) * (SIZE // 256)


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} not set: run via buildscripts/with-servers.sh minio fakegcs nginx -- python3 -m pytest tests/test_stalls.py")
    return value


@pytest.fixture(scope="module")
def proxy_binary(tmp_path_factory) -> Path:
    """tests/faultproxy's command, built once for this module."""
    out = tmp_path_factory.mktemp("faultproxy") / "faultproxy"
    subprocess.run(["go", "build", "-o", str(out), "./tests/faultproxy/cmd/faultproxy"], cwd=REPO, check=True, timeout=300)
    return out


class Proxy:
    """One faultproxy process in front of host:port; it stalls `times`
    object reads (0: all) and passes everything else through."""

    def __init__(self, binary: Path, upstream: str, times: int) -> None:
        self.proc = subprocess.Popen(
            [str(binary), "-upstream", upstream, "-fault", "stall", "-times", str(times)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), f"faultproxy did not start: {self.url!r}"

    def close(self) -> None:
        self.proc.stdin.close()  # the proxy exits when its stdin closes
        self.proc.wait(timeout=10)


def _s3(base: str, prefix: str):
    m = minio_settings()
    return S3Store(m["BUCKET"], prefix=prefix, endpoint=base, access_key_id=m["ACCESS_KEY"],
                   secret_access_key=m["SECRET_KEY"], region="us-east-1", client_options=CLIENT, retry_config=RETRY)


def _gcs(base: str, prefix: str):
    return GCSStore(_env("OBJSTORE_TEST_GCS_BUCKET"), prefix=prefix, base_url=base, client_options=CLIENT, retry_config=RETRY)


def _http(base: str, prefix: str):
    return HTTPStore(base + urlsplit(_env("OBJSTORE_TEST_WEBDAV_URL")).path + prefix + "/", client_options=CLIENT, retry_config=RETRY)


BACKENDS = {
    "s3": ("OBJSTORE_TEST_MINIO_ENDPOINT", _s3),
    "gcs": ("OBJSTORE_TEST_GCS_ENDPOINT", _gcs),
    "http": ("OBJSTORE_TEST_WEBDAV_URL", _http),
}


def _stream(store, path: str) -> bytes:
    return b"".join(bytes(c) for c in objstore.get(store, path).stream(min_chunk_size=512 << 10))


def _get_many(store, path: str) -> bytes:
    (got,) = objstore.get_many(store, [path], raise_on_error=True)
    return bytes(got)


async def _get_async(store, path: str) -> bytes:
    result = await objstore.get_async(store, path)
    return bytes(await result.bytes_async())


READS = {
    "get().bytes()": lambda store, path: bytes(objstore.get(store, path).bytes()),
    "get_many": _get_many,
    "stream": _stream,
    "get_async": lambda store, path: asyncio.run(_get_async(store, path)),
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_stalled_reads_resume_with_exact_bytes(backend, proxy_binary):
    server_var, make = BACKENDS[backend]
    parts = urlsplit(_env(server_var))
    upstream = parts.netloc
    prefix = "stalls-" + uuid.uuid4().hex[:12]
    clean = make(f"{parts.scheme}://{upstream}", prefix)
    objstore.put(clean, "object.bin", DATA)
    if backend == "http":
        # nginx's ETags have whole seconds: a read resumes only once the
        # object is older than the second it is read in.
        time.sleep(1.1)
    try:
        # Each read gets its own proxy, whose first object read stalls; the
        # reads run at once, so the test takes one stall, not four.
        proxies = {name: Proxy(proxy_binary, upstream, times=1) for name in READS}
        try:
            def run(name):
                store = make(proxies[name].url, prefix)
                start = time.monotonic()
                got = READS[name](store, "object.bin")
                return name, got, time.monotonic() - start

            with ThreadPoolExecutor(len(READS)) as pool:
                results = list(pool.map(run, READS))
        finally:
            for p in proxies.values():
                p.close()
        for name, got, elapsed in results:
            assert got == DATA, f"{backend} {name}: {len(got)} bytes, not the object's"
            assert elapsed < BOUND_S, f"{backend} {name}: took {elapsed:.1f}s"
            # It did stall: the read waited out at least one timeout.
            assert elapsed >= TIMEOUT_S * 0.9, f"{backend} {name}: {elapsed:.1f}s, the stall did not happen"
    finally:
        objstore.delete(clean, "object.bin")


@contextlib.contextmanager
def _stalling_minio(proxy_binary, times: int):
    """The test object on MinIO and a proxy in front that stalls `times`
    reads (0: all); yields the prefix and the proxy."""
    parts = urlsplit(_env("OBJSTORE_TEST_MINIO_ENDPOINT"))
    prefix = "stalls-" + uuid.uuid4().hex[:12]
    clean = _s3(f"{parts.scheme}://{parts.netloc}", prefix)
    objstore.put(clean, "object.bin", DATA)
    proxy = Proxy(proxy_binary, parts.netloc, times=times)
    try:
        yield prefix, proxy
    finally:
        proxy.close()
        objstore.delete(clean, "object.bin")


def test_endless_stall_raises_timeout_within_bound(proxy_binary):
    with _stalling_minio(proxy_binary, times=0) as (prefix, proxy):
        store = _s3(proxy.url, prefix)
        start = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            objstore.get(store, "object.bin").bytes()
        elapsed = time.monotonic() - start
        assert TIMEOUT_S * (RETRIES + 1) * 0.9 <= elapsed < BOUND_S, f"raised after {elapsed:.1f}s"
        assert isinstance(info.value, TimeoutError)


def test_read_timeout_is_a_client_option(proxy_binary):
    """read_timeout passes through client_options and bounds each gap:
    with timeout 30 s, a stall is noticed after 1 s."""
    with _stalling_minio(proxy_binary, times=1) as (prefix, proxy):
        m = minio_settings()
        store = S3Store(m["BUCKET"], prefix=prefix, endpoint=proxy.url, access_key_id=m["ACCESS_KEY"],
                        secret_access_key=m["SECRET_KEY"], region="us-east-1",
                        client_options={"allow_http": True, "timeout": "30s", "read_timeout": "1s"}, retry_config=RETRY)
        start = time.monotonic()
        chunks = list(objstore.get(store, "object.bin").stream(min_chunk_size=256 << 10))
        elapsed = time.monotonic() - start
        assert b"".join(bytes(c) for c in chunks) == DATA
        assert 0.9 <= elapsed < 3, f"took {elapsed:.1f}s"
