"""Helpers of the async, get_many and stream tests."""

from __future__ import annotations

import gc
import os
import socket
import time
import uuid

import pytest

import objstore
from objstore.store import HTTPStore, S3Store


def minio_store(prefix: str | None = None) -> S3Store:
    """An S3Store on the MinIO test server under a fresh prefix; fails (never
    skips) when the server's variables are missing."""
    names = ["ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET"]
    values = {n: os.environ.get("OBJSTORE_TEST_MINIO_" + n, "") for n in names}
    missing = [n for n, v in values.items() if not v]
    if missing:
        pytest.fail(
            "OBJSTORE_TEST_MINIO_" + "/".join(missing) + " not set: run via "
            "buildscripts/with-servers.sh minio -- python3 -m pytest bindings/python/tests"
        )
    return S3Store(
        values["BUCKET"],
        prefix=prefix or ("pytest-async-" + uuid.uuid4().hex),
        endpoint=values["ENDPOINT"],
        access_key_id=values["ACCESS_KEY"],
        secret_access_key=values["SECRET_KEY"],
        region="us-east-1",
        client_options={"allow_http": True},
    )


class SilentServer:
    """A TCP listener on loopback that accepts connections and never
    answers: requests to it stay in flight until cancelled."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]

    def store(self) -> HTTPStore:
        return HTTPStore(f"http://127.0.0.1:{self.port}/", client_options={"allow_http": True})

    def close(self) -> None:
        self.sock.close()


def settle(predicate, timeout: float = 10.0) -> bool:
    """Wait (collecting garbage) until predicate() holds; False on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def leak_free(base: dict[str, int], slack_goroutines: int = 4):
    """A predicate: the library holds no more than at `base`."""

    def check() -> bool:
        now = objstore.debug_stats()
        return (
            now["requests_in_flight"] == 0
            and now["completions_queued"] == 0
            and now["buffers"] <= base["buffers"]
            and now["buffer_bytes"] <= base["buffer_bytes"]
            and now["readers"] <= base["readers"]
            and now["meta_lists"] <= base["meta_lists"]
            and now["errors"] <= base["errors"]
            and now["goroutines"] <= base["goroutines"] + slack_goroutines
        )

    return check
