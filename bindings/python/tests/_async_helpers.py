"""Helpers of the async, get_many and stream tests."""

from __future__ import annotations

import gc
import socket
import time

import objstore
from objstore.store import HTTPStore

from _servers import minio_store  # noqa: F401  (re-exported for the async tests)


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
