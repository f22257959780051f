"""Security: LocalStore stays inside its root; secrets never show in repr,
str, error messages or the CLI's output; what a pickle carries."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import objstore
from objstore import exceptions as exc
from objstore.store import AzureStore, GCSStore, HTTPStore, LocalStore, S3Store, from_config, from_url

from _servers import minio_settings

SRC_DIR = Path(objstore.__file__).resolve().parent.parent


# ---- LocalStore confinement ------------------------------------------------------


@pytest.fixture
def jail(tmp_path):
    """A LocalStore root, with a secret file and directory next to it (outside)."""
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"TOP SECRET")
    (tmp_path / "sibling.txt").write_bytes(b"SIBLING")
    return LocalStore(root), root, tmp_path


def _files(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


@pytest.mark.parametrize("path", ["../sibling.txt", "a/../../sibling.txt", "..", "a/..", "./x", "a/./b"])
def test_dot_segments_are_refused(jail, path):
    store, root, top = jail
    before = _files(top)
    with pytest.raises(exc.InvalidPathError):
        objstore.get(store, path)
    with pytest.raises(exc.InvalidPathError):
        objstore.put(store, path, b"escaped")
    with pytest.raises(exc.InvalidPathError):
        objstore.copy(store, path, "copy")
    with pytest.raises(exc.InvalidPathError):
        objstore.rename(store, "x", path)
    assert _files(top) == before


def test_absolute_paths_stay_inside_the_root(jail):
    store, root, top = jail
    absolute = str(top / "sibling.txt")
    # A leading "/" is dropped by the path rules: the path is under the root.
    with pytest.raises(FileNotFoundError):
        objstore.get(store, absolute)
    objstore.put(store, absolute, b"inside")
    assert (root / absolute.lstrip("/")).read_bytes() == b"inside"
    assert (top / "sibling.txt").read_bytes() == b"SIBLING"


def test_encoded_dots_are_plain_names(jail):
    store, root, top = jail
    objstore.put(store, "%2e%2e/sibling.txt", b"literal")
    assert (root / "%2e%2e" / "sibling.txt").read_bytes() == b"literal"
    assert (top / "sibling.txt").read_bytes() == b"SIBLING"


def test_symlink_escapes_are_refused(jail):
    store, root, top = jail
    os.symlink(top / "outside", root / "link")
    os.symlink(top / "outside" / "secret.txt", root / "secret-link.txt")
    before = _files(top / "outside")
    for path in ["link/secret.txt", "secret-link.txt"]:
        with pytest.raises(exc.BaseError) as info:
            objstore.get(store, path).bytes()
        assert "TOP SECRET" not in str(info.value)
        with pytest.raises(exc.BaseError):
            objstore.head(store, path)
    with pytest.raises(exc.BaseError):
        objstore.put(store, "link/planted.txt", b"planted")
    with pytest.raises(exc.BaseError):
        objstore.copy(store, "link/secret.txt", "stolen.txt")
    assert _files(top / "outside") == before
    assert not (root / "stolen.txt").exists()
    # Listing over an escaping link refuses (it never lists what is outside).
    with pytest.raises(exc.PermissionDeniedError) as info:
        objstore.list(store).collect()
    assert "TOP SECRET" not in str(info.value)


# ---- secrets in repr, str and errors -----------------------------------------------

SECRET = "Zx9SuperSecretValue42"


def _assert_hidden(text: str, *secrets: str) -> None:
    for s in secrets:
        assert s not in text, f"secret {s!r} shown in: {text}"


@pytest.mark.parametrize(
    "make",
    [
        lambda: S3Store("b", access_key_id="AKIAEXAMPLE", secret_access_key=SECRET, session_token=SECRET + "tok"),
        lambda: S3Store("b", config={"aws_secret_access_key": SECRET, "aws_access_key_id": "AKIAEXAMPLE"}),
        lambda: GCSStore("b", service_account_key='{"private_key": "' + SECRET + '"}'),
        lambda: AzureStore("c", account_name="acct", account_key=SECRET),
        lambda: AzureStore("c", account_name="acct", sas_key="sv=2022&sig=" + SECRET),
        lambda: AzureStore("c", account_name="acct", bearer_token=SECRET),
        lambda: from_url("https://acct.blob.core.windows.net/c?sv=2022&sig=" + SECRET),
    ],
)
def test_repr_and_str_hide_secrets(make):
    try:
        store = make()
    except exc.BaseError as e:  # a refused document must not show it either
        _assert_hidden(str(e) + repr(e), SECRET)
        return
    _assert_hidden(repr(store) + str(store), SECRET)


@pytest.mark.parametrize(
    "url",
    [
        f"s3://AKIAEXAMPLE:{SECRET}@bucket/prefix",
        f"https://user:{SECRET}@example.com/dir/",
        f"http://user:{SECRET}@example.com/dir/?sig={SECRET}",
        f"https://acct.blob.core.windows.net/?sig={SECRET}",
        f"nosuchscheme://user:{SECRET}@host/?token={SECRET}",
        f"gs://?token={SECRET}",
    ],
)
def test_bad_urls_hide_secrets(url):
    try:
        store = from_url(url)
    except (exc.BaseError, ValueError, TypeError) as e:
        _assert_hidden(str(e) + repr(e), SECRET)
    else:
        _assert_hidden(repr(store) + str(store), SECRET)
    try:
        HTTPStore(url)
    except (exc.BaseError, ValueError, TypeError) as e:
        _assert_hidden(str(e) + repr(e), SECRET)


def test_wrong_credentials_error_hides_them():
    m = minio_settings()
    store = S3Store(
        m["BUCKET"], endpoint=m["ENDPOINT"], access_key_id=m["ACCESS_KEY"], secret_access_key=SECRET,
        region="us-east-1", client_options={"allow_http": True}, retry_config={"max_retries": 0},
    )
    with pytest.raises(exc.BaseError) as info:
        objstore.put(store, "x", b"x")
    assert isinstance(info.value, (exc.UnauthenticatedError, exc.PermissionDeniedError)), info.value
    text = str(info.value) + repr(info.value)
    _assert_hidden(text, SECRET, "Signature=", "Credential=")
    store = S3Store(
        m["BUCKET"], endpoint=m["ENDPOINT"], access_key_id="AKIAWRONGKEY", secret_access_key=SECRET,
        session_token=SECRET + "tok", region="us-east-1", client_options={"allow_http": True},
        retry_config={"max_retries": 0},
    )
    with pytest.raises(exc.BaseError) as info:
        objstore.get(store, "x")
    _assert_hidden(str(info.value) + repr(info.value), SECRET, "Signature=")


def _cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "objstore", *args], capture_output=True, text=True, timeout=60, env=env)


def test_cli_output_hides_secrets(tmp_path):
    m = minio_settings()
    url = f"s3://{m['BUCKET']}/security-{uuid.uuid4().hex}/"
    common = ["-o", f"endpoint={m['ENDPOINT']}", "-o", "region=us-east-1", "--client-option", "allow_http=true",
              "-o", f"access_key_id={m['ACCESS_KEY']}"]
    # wrong secret: a clean, typed failure without the secret
    r = _cli(*common, "-o", f"secret_access_key={SECRET}", "ls", url)
    assert r.returncode != 0
    _assert_hidden(r.stdout + r.stderr, SECRET, "Signature=")
    assert "Traceback" not in r.stderr, r.stderr
    # right secret: the real one is not echoed either
    (tmp_path / "f.txt").write_bytes(b"hi")
    for args in (["cp", str(tmp_path / "f.txt"), url + "f.txt"], ["ls", "-l", url], ["stat", url + "f.txt"]):
        r = _cli(*common, "-o", f"secret_access_key={m['SECRET_KEY']}", *args)
        assert r.returncode == 0, r.stderr
        _assert_hidden(r.stdout + r.stderr, m["SECRET_KEY"])
    # a URL with user info in it
    r = _cli("ls", f"s3://AKIAEXAMPLE:{SECRET}@bucket/")
    _assert_hidden(r.stdout + r.stderr, SECRET)


# ---- what a pickle carries (see docs/security.md) -------------------------------------


def test_pickle_carries_explicit_credentials_but_not_the_environment(monkeypatch):
    explicit = S3Store("b", access_key_id="AKIAEXAMPLE", secret_access_key=SECRET, region="us-east-1")
    assert SECRET.encode() in pickle.dumps(explicit)  # documented: treat such a pickle as a secret
    assert SECRET in explicit.config_document()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    from_env = S3Store("b", region="us-east-1")
    assert SECRET.encode() not in pickle.dumps(from_env)
    assert SECRET not in from_env.config_document()
    # the safe alternative: a document without credentials, rebuilt anywhere
    assert from_config(from_env.config_document()) == from_env
