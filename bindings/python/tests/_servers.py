"""Where the test servers are: buildscripts/with-servers.sh (run by `make
test`) starts them and exports OBJSTORE_TEST_* variables. A missing server
fails the test that needs it; nothing skips."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime

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


# Azurite's documented development account (public; not a secret).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_endpoint() -> str:
    """The Azurite server's blob endpoint (…/devstoreaccount1)."""
    ep = os.environ.get("OBJSTORE_TEST_AZURITE_ENDPOINT", "")
    if not ep:
        pytest.fail(
            "OBJSTORE_TEST_AZURITE_ENDPOINT not set: run via "
            "buildscripts/with-servers.sh azurite -- python3 -m pytest ..."
        )
    return ep


def create_container(endpoint: str, name: str) -> None:
    """Create Container, signed with the shared key (the library itself
    never creates containers)."""
    url = f"{endpoint}/{name}?restype=container"
    version = "2021-12-02"
    date = format_datetime(datetime.now(timezone.utc), usegmt=True)
    path = urllib.parse.urlparse(url).path
    ctype = "application/octet-stream"  # urllib would otherwise add a form type
    # Shared Key string-to-sign: verb, eleven standard headers (only
    # Content-Type set; a zero Content-Length is signed as empty), canonical
    # x-ms-* headers, canonical resource.
    standard = ["", "", "", "", ctype, "", "", "", "", "", ""]
    to_sign = "\n".join(
        ["PUT", *standard, f"x-ms-date:{date}", f"x-ms-version:{version}", f"/{ACCOUNT}{path}\nrestype:container"]
    )
    sig = base64.b64encode(hmac.new(base64.b64decode(ACCOUNT_KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    req = urllib.request.Request(url, method="PUT", data=b"")
    req.add_header("Content-Type", ctype)
    req.add_header("x-ms-date", date)
    req.add_header("x-ms-version", version)
    req.add_header("Authorization", f"SharedKey {ACCOUNT}:{sig}")
    # Azurite now and then leaves requests unanswered on a loaded machine,
    # once for a whole minute (right after the suite's heaviest MinIO test,
    # then it answered again): ask again until it answers, for up to three
    # minutes (a container the lost request made answers 409).
    deadline = time.monotonic() + 180
    first = True
    while True:
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                assert resp.status == 201
            return
        except TimeoutError:
            if time.monotonic() > deadline:
                raise
        except urllib.error.HTTPError as e:
            if e.code != 409 or first:
                raise
            return
        first = False
