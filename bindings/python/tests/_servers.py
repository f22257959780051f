"""Where the test servers are: buildscripts/with-servers.sh (run by `make
test`) starts them and exports OBJSTORE_TEST_* variables. A missing server
fails the test that needs it; nothing skips."""

from __future__ import annotations

import os
import uuid

import pytest

from objstore.store import S3Store


def minio_settings() -> dict[str, str]:
    """ENDPOINT, ACCESS_KEY, SECRET_KEY and BUCKET of the MinIO server."""
    names = ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET")
    values = {n: os.environ.get("OBJSTORE_TEST_MINIO_" + n, "") for n in names}
    missing = [n for n, v in values.items() if not v]
    if missing:
        pytest.fail(
            "OBJSTORE_TEST_MINIO_" + "/".join(missing) + " not set: run the tests via "
            "buildscripts/with-servers.sh minio -- python3 -m pytest ... (make test does)"
        )
    return values


def minio_store(prefix: str | None = None) -> S3Store:
    """An S3Store on the MinIO test server, under a fresh prefix unless one is given."""
    m = minio_settings()
    return S3Store(
        m["BUCKET"],
        prefix=prefix or ("pytest-" + uuid.uuid4().hex),
        endpoint=m["ENDPOINT"],
        access_key_id=m["ACCESS_KEY"],
        secret_access_key=m["SECRET_KEY"],
        region="us-east-1",
        client_options={"allow_http": True},
    )
