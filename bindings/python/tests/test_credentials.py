"""Credential providers (credential_provider=, objstore.auth) against MinIO
and Azurite: the library caches the credential, asks again before it
expires with one call in flight, and never runs the provider on a library
thread (it runs on the binding's objstore-asks thread)."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import sys
import sysconfig
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import objstore as obs
from objstore import _asks
from objstore.exceptions import ForkedError, RequestTimeoutError, UnauthenticatedError
from objstore.store import AzureStore, S3Store, from_url

from _servers import ACCOUNT, ACCOUNT_KEY, azurite_endpoint, create_container, minio_settings
from conftest import run_python
from test_gcs import bucket, endpoint  # noqa: F401 (fixtures)

sys.path.insert(0, str(Path(__file__).parent))
import _credential_providers as providers  # noqa: E402
import _spawn_worker  # noqa: E402


def minio_store(provider, *, timeout: str | None = None, prefix: str | None = None) -> S3Store:
    m = minio_settings()
    options = {"allow_http": True}
    if timeout:
        options["timeout"] = timeout
    return S3Store(m["BUCKET"], prefix=prefix or "creds-" + uuid.uuid4().hex, endpoint=m["ENDPOINT"],
                   region="us-east-1", client_options=options, credential_provider=provider)


def static_provider(life: float | None = 60) -> providers.StaticProvider:
    m = minio_settings()
    return providers.StaticProvider(m["ACCESS_KEY"], m["SECRET_KEY"], life)


def test_rotating_keys_2000_gets_over_a_minute():
    """2,000 GETs over a minute from eight threads, with STS keys declared to
    live 3 s and refused by the server past that: every GET succeeds (so
    each used a key current at its time), and the provider is asked about
    once per key life, not once per request."""
    m = minio_settings()
    p = providers.RotatingSTSProvider(m["ENDPOINT"], m["ACCESS_KEY"], m["SECRET_KEY"], life=3)
    store = minio_store(p)
    obs.put(store, "obj", b"rotating")
    per_thread, threads, duration = 250, 8, 60.0
    errors: list[BaseException] = []
    done = [0]
    lock = threading.Lock()
    start = time.monotonic()

    def run(i: int) -> None:
        for n in range(per_thread):
            # Paced so the GETs spread over the whole minute.
            wait = start + duration * (n + i / threads) / per_thread - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                assert obs.get(store, "obj").bytes() == b"rotating"
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
                return
            with lock:
                done[0] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - start
    assert not errors, errors[:3]
    assert done[0] == per_thread * threads
    calls = len(p.issued)
    # Replaced after 4/5 of a 3 s life: about one call per 2.4 s.
    assert duration / 3 - 2 <= calls <= elapsed / 2.4 + 3, (calls, elapsed)
    assert len({key for key, _ in p.issued}) == calls  # a new key every time
    print(f"\n{done[0]} GETs in {elapsed:.1f} s, {calls} provider calls")
    # The server-side check is live: a key used past its declared life
    # (plus the second of the server's clock) is refused.
    stale = p()
    time.sleep(p.life + 1.5)
    frozen = S3Store(m["BUCKET"], prefix=store.prefix, endpoint=m["ENDPOINT"], region="us-east-1",
                     client_options={"allow_http": True},
                     credential_provider=lambda: {**stale, "expires_at": None})
    with pytest.raises(PermissionError):
        obs.get(frozen, "obj")


def test_provider_that_raises_names_it():
    class Broken:
        def __call__(self):
            raise ValueError("no credentials today")

        def __repr__(self):
            return "Broken(provider)"

    store = minio_store(Broken())
    with pytest.raises(UnauthenticatedError) as e:
        obs.get(store, "x")
    assert "Broken(provider)" in str(e.value) and "ValueError" in str(e.value) and "no credentials today" in str(e.value)

    async def broken_async():
        raise KeyError("async too")

    with pytest.raises(UnauthenticatedError, match="broken_async.*KeyError"):
        asyncio.run(obs.get_async(minio_store(broken_async), "x"))


@pytest.mark.parametrize(
    "answer, why",
    [
        ({"access_key_id": "k", "expires_at": None}, "secret_access_key"),
        ({"access_key_id": "k", "secret_access_key": "s"}, "expires_at"),
        ({"access_key_id": "k", "secret_access_key": "s", "expires_at": datetime.now()}, "timezone"),
        ("not a dict", "dict"),
    ],
)
def test_unusable_answer_is_refused_clearly(answer, why):
    store = minio_store(lambda: answer)
    with pytest.raises(UnauthenticatedError, match=why):
        obs.head(store, "x")


def test_hanging_provider_is_a_timeout():
    release = threading.Event()

    def hangs():
        release.wait(30)
        return static_provider()()

    store = minio_store(hangs, timeout="1s")
    start = time.monotonic()
    with pytest.raises(RequestTimeoutError, match="hangs"):
        obs.head(store, "x")
    assert time.monotonic() - start < 10
    release.set()


def test_sync_async_threads_and_no_loop_share_one_call():
    """Sync calls from many threads, async calls from two event loops and a
    call with no loop at all are served by one provider call."""
    p = static_provider(life=300)
    store = minio_store(p)
    obs.put(store, "k", b"v")  # no event loop here
    results: list[bytes] = []

    def sync_worker():
        for _ in range(20):
            results.append(bytes(obs.get(store, "k").bytes()))

    async def async_worker():
        got = await asyncio.gather(*(obs.get_async(store, "k") for _ in range(20)))
        results.extend(bytes(r.bytes()) for r in got)

    ts = [threading.Thread(target=sync_worker) for _ in range(4)]
    ts += [threading.Thread(target=asyncio.run, args=(async_worker(),)) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [b"v"] * 120
    assert p.calls == 1


def test_async_provider_runs_on_the_binding_loop():
    seen = []

    async def provider():
        await asyncio.sleep(0.01)
        seen.append((threading.current_thread().name, asyncio.get_running_loop()))
        return static_provider()()

    async def main():
        store = minio_store(provider)
        await obs.put_async(store, "k", b"v")
        return asyncio.get_running_loop()

    user_loop = asyncio.run(main())
    (thread, loop), = seen
    assert thread == "objstore-asks" and loop is not user_loop
    # A sync provider runs on a thread of the binding, never a library thread.
    names = []

    def sync_provider():
        names.append(threading.current_thread().name)
        return static_provider()()

    with pytest.raises(FileNotFoundError):
        obs.head(minio_store(sync_provider), "missing")
    assert names == ["objstore-credential-provider"]


def test_expired_credential_is_asked_again():
    p = static_provider(life=1)
    store = minio_store(p)
    obs.put(store, "k", b"v")
    time.sleep(1.2)
    assert obs.get(store, "k").bytes() == b"v"
    assert p.calls == 2


def test_refresh_threshold_attribute_is_honoured():
    """obstore's refresh_threshold: with none (0), a 3 s credential is used
    to its end rather than replaced after 4/5 of its life."""
    p = static_provider(life=3)
    p.refresh_threshold = timedelta(0)
    store = minio_store(p)
    obs.put(store, "k", b"v")
    time.sleep(2.6)
    for _ in range(5):
        obs.get(store, "k")
        time.sleep(0.02)
    assert p.calls == 1
    time.sleep(0.6)
    obs.get(store, "k")
    assert p.calls == 2


def test_pickled_with_its_provider_into_a_spawned_process():
    p = static_provider()
    store = minio_store(p)
    obs.put(store, "dir/written-by-parent", b"parent data")
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store and clone.credential_provider == p
    assert clone != minio_store(static_provider(life=5), prefix=store.prefix)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        loaded_before_io, data, kind = pool.apply(_spawn_worker.read_object, (store, "dir/written-by-parent"))
    assert (loaded_before_io, data, kind) == (False, b"parent data", "S3Store")


def test_unpicklable_provider_is_a_clear_type_error():
    lock = threading.Lock()
    store = minio_store(lambda: (lock, static_provider()())[1])
    with pytest.raises(TypeError, match="credential_provider"):
        pickle.dumps(store)


def test_provider_config_passed_down_and_checked():
    class WithConfig:
        config = {"region": "eu-west-1", "aws_skip_signature": "false"}

        def __call__(self):
            return static_provider()()

    m = minio_settings()
    store = S3Store(m["BUCKET"], endpoint=m["ENDPOINT"], client_options={"allow_http": True},
                    credential_provider=WithConfig())
    assert store.config["region"] == "eu-west-1"
    # The store's own values win.
    store = S3Store(m["BUCKET"], endpoint=m["ENDPOINT"], region="us-east-1", credential_provider=WithConfig(),
                    client_options={"allow_http": True})
    assert store.config["region"] == "us-east-1"
    with pytest.raises(TypeError, match="callable"):
        S3Store("b", credential_provider="not callable")
    with pytest.raises(TypeError, match="S3, GCS and Azure"):
        from_url("memory:///", credential_provider=static_provider())
    store = from_url(f"s3://{m['BUCKET']}/from-url", endpoint=m["ENDPOINT"], region="us-east-1",
                     client_options={"allow_http": True}, credential_provider=static_provider())
    obs.put(store, "k", b"v")
    assert isinstance(store, S3Store) and store.credential_provider is not None


def test_fork_child_is_refused_and_the_thread_does_not_hang_it():
    import os

    store = minio_store(static_provider())
    obs.put(store, "k", b"v")
    assert _asks.thread_alive()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            try:
                obs.get(store, "k")
            except ForkedError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert obs.get(store, "k").bytes() == b"v"


def test_interpreter_exit_does_not_wait_for_a_hung_provider():
    m = minio_settings()
    r = run_python(
        "import threading, objstore\n"
        "from objstore.store import S3Store\n"
        "def hangs():\n"
        "    threading.Event().wait()\n"
        f"s = S3Store({m['BUCKET']!r}, endpoint={m['ENDPOINT']!r}, region='us-east-1',\n"
        "            client_options={'allow_http': True, 'timeout': '1s'}, credential_provider=hangs)\n"
        "try:\n"
        "    objstore.head(s, 'x')\n"
        "except TimeoutError:\n"
        "    print('timeout')\n",
        timeout=30,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "timeout"


@pytest.mark.skipif(not sysconfig.get_config_var("Py_GIL_DISABLED"), reason="free-threaded builds only")
def test_free_threaded_gil_stays_off():
    obs.put(minio_store(static_provider()), "k", b"v")

    async def provider():
        return static_provider()()

    asyncio.run(obs.put_async(minio_store(provider), "k", b"v"))
    assert not sys._is_gil_enabled()


# ---- objstore.auth against real servers ----------------------------------------------------


def test_boto3_provider_with_a_session_of_static_keys():
    import boto3

    from objstore.auth.boto3 import Boto3CredentialProvider

    m = minio_settings()
    session = boto3.Session(aws_access_key_id=m["ACCESS_KEY"], aws_secret_access_key=m["SECRET_KEY"],
                            region_name="us-east-1")
    p = Boto3CredentialProvider(session, ttl=timedelta(minutes=5))
    store = S3Store(m["BUCKET"], prefix="boto3-" + uuid.uuid4().hex, endpoint=m["ENDPOINT"],
                    client_options={"allow_http": True}, credential_provider=p)
    assert store.config["region"] == "us-east-1"  # the session's region, passed down
    obs.put(store, "k", b"boto3")
    assert obs.get(store, "k").bytes() == b"boto3"
    with pytest.raises(TypeError, match="session"):
        pickle.dumps(store)


def test_boto3_sts_provider_with_minio_assume_role(monkeypatch):
    import boto3

    from objstore.auth.boto3 import StsCredentialProvider

    m = minio_settings()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", m["ENDPOINT"])
    session = boto3.Session(aws_access_key_id=m["ACCESS_KEY"], aws_secret_access_key=m["SECRET_KEY"],
                            region_name="us-east-1")
    p = StsCredentialProvider(session, RoleArn="arn:minio:iam:::role/objstore", RoleSessionName="objstore",
                              DurationSeconds=900)
    answer = p()
    assert answer["access_key_id"] != m["ACCESS_KEY"] and answer["token"]
    assert answer["expires_at"] > datetime.now(timezone.utc) + timedelta(minutes=10)
    store = S3Store(m["BUCKET"], prefix="sts-" + uuid.uuid4().hex, endpoint=m["ENDPOINT"],
                    client_options={"allow_http": True}, credential_provider=p)
    obs.put(store, "k", b"sts")
    assert obs.get(store, "k").bytes() == b"sts"


def azurite_store(provider) -> AzureStore:
    container = "creds-" + uuid.uuid4().hex[:12]
    create_container(azurite_endpoint(), container)
    return AzureStore(container, account_name=ACCOUNT, endpoint=azurite_endpoint(),
                      client_options={"allow_http": True}, credential_provider=provider)


def test_azure_access_key_and_sas_from_a_provider_on_azurite():
    """Both shapes that Azurite can check for real: an account key (the
    library signs each request with it) and a SAS token (as a string and as
    obstore's list of pairs)."""
    def key_provider():
        return {"access_key": ACCOUNT_KEY, "expires_at": None}

    store = azurite_store(key_provider)
    obs.put(store, "dir/k", b"shared key")
    assert obs.get(store, "dir/k").bytes() == b"shared key"
    assert [m["path"] for m in obs.list(store, "dir").collect()] == ["dir/k"]
    assert obs.sign(store, "GET", "dir/k", timedelta(minutes=5)).startswith("http")

    sas = _account_sas()
    for shape in (sas, [tuple(p.split("=", 1)) for p in sas.split("&")]):
        store2 = AzureStore(store.container_name, account_name=ACCOUNT, endpoint=azurite_endpoint(),
                            client_options={"allow_http": True},
                            credential_provider=lambda s=shape: {"sas_token": s, "expires_at": None})
        assert obs.get(store2, "dir/k").bytes() == b"shared key"

    def wrong_key():
        return {"access_key": "d3Jvbmc=", "expires_at": None}

    with pytest.raises((UnauthenticatedError, PermissionError)):
        obs.get(azurite_store(wrong_key), "dir/k")


def _account_sas() -> str:
    """An account SAS for Azurite, signed with the development key."""
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote

    expiry = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"sv": "2021-12-02", "ss": "b", "srt": "sco", "sp": "rwdlacup", "se": expiry, "spr": "https,http"}
    to_sign = "\n".join([ACCOUNT, fields["sp"], fields["ss"], fields["srt"], "", expiry, "", fields["spr"],
                         fields["sv"], "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(ACCOUNT_KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    fields["sig"] = sig
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())


# ---- providers of services with no server here: their own fakes ---------------------------


def test_google_provider_with_fake_credentials():
    """google-auth's token endpoints cannot be served here: a google-auth
    Credentials subclass stands in for them; the provider's answer is what
    a GCS store reads."""
    import google.auth.credentials

    from objstore.auth.google import GoogleCredentialProvider

    class Fake(google.auth.credentials.Credentials):
        def refresh(self, request):
            self.token = "token-" + str(id(request))
            self.expiry = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)

    p = GoogleCredentialProvider(Fake())
    answer = p()
    assert answer["token"].startswith("token-") and answer["expires_at"].tzinfo is not None
    assert _asks.credential_struct("gcs", answer)[0].token == answer["token"].encode()


def test_azure_identity_provider_with_a_fake_credential():
    from azure.core.credentials import AccessToken

    from objstore.auth.azure import AzureAsyncCredentialProvider, AzureCredentialProvider

    class Fake:
        def get_token(self, *scopes, tenant_id=None):
            assert scopes == ("https://storage.azure.com/.default",)
            return AccessToken("bearer-token", int(time.time()) + 3600)

    class FakeAsync:
        async def get_token(self, *scopes, tenant_id=None):
            return AccessToken("async-token", int(time.time()) + 3600)

    answer = AzureCredentialProvider(Fake())()
    assert answer["token"] == "bearer-token" and answer["expires_at"] > datetime.now(timezone.utc)
    assert _asks.credential_struct("azure", answer)[0].token == b"bearer-token"
    assert asyncio.run(AzureAsyncCredentialProvider(FakeAsync())())["token"] == "async-token"


def test_auth_modules_import_nothing_until_used():
    r = run_python(
        "import sys, objstore.auth\n"
        "from objstore.auth import boto3, google, azure, earthdata, planetary_computer\n"
        "heavy = [m for m in ('boto3', 'botocore', 'google.auth', 'azure.identity', 'aiohttp', 'requests')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_planetary_computer_and_earthdata_parse_their_inputs():
    from objstore.auth.earthdata import NasaEarthdataCredentialProvider, _credential
    from objstore.auth.planetary_computer import PlanetaryComputerCredentialProvider, _sas

    p = PlanetaryComputerCredentialProvider("https://naipeuwest.blob.core.windows.net/naip/v002/mt/")
    assert p.config == {"account_name": "naipeuwest", "container_name": "naip"} and p.prefix == "v002/mt"
    store = AzureStore(credential_provider=p)
    assert store.container_name == "naip" and store.prefix == "v002/mt" and store.config["account_name"] == "naipeuwest"
    assert pickle.loads(pickle.dumps(p)).config == p.config
    sas = _sas({"token": "sv=1&sig=x", "msft:expiry": "2030-01-01T00:00:00Z"})
    assert sas["expires_at"].tzinfo is not None
    e = NasaEarthdataCredentialProvider("https://example.invalid/s3credentials", auth="token")
    assert e.config == {"region": "us-west-2"}
    c = _credential({"accessKeyId": "a", "secretAccessKey": "b", "sessionToken": "c",
                     "expiration": "2030-01-01 00:00:00+00:00"})
    assert _asks.credential_struct("s3", c)[0].session_token == b"c"


def test_gcs_store_with_google_provider_on_the_emulator(endpoint, bucket):
    """A GCS store authorizes with the provider's token; fake-gcs-server
    accepts any (the retry after a 401 is proven in Go, where a server that
    refuses stale tokens is in-repo: core/driver)."""
    import google.auth.credentials

    from objstore.auth.google import GoogleCredentialProvider
    from objstore.store import GCSStore

    class Fake(google.auth.credentials.Credentials):
        refreshed = 0

        def refresh(self, request):
            Fake.refreshed += 1
            self.token = f"token-{Fake.refreshed}"
            self.expiry = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)

    store = GCSStore(bucket, prefix="creds-" + uuid.uuid4().hex, base_url=endpoint,
                     client_options={"allow_http": True}, credential_provider=GoogleCredentialProvider(Fake()))
    obs.put(store, "k", b"gcs")
    assert obs.get(store, "k").bytes() == b"gcs"
    assert [m["path"] for m in obs.list(store).collect()] == ["k"]
    assert Fake.refreshed == 1
