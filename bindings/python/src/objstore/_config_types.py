"""The types of store configuration, as obstore names them: the config
keys of each store, the HTTP client options, the retry policy, and the
credentials a credential provider returns.

All are TypedDicts (``total=False``: every key optional) or Protocols, so
they describe plain dicts and callables; unlike obstore's, they can also be
imported at run time (``from objstore.store import S3Config``). Every key
listed here is accepted by the store it belongs to; values may also be
given as strings, which is how :attr:`ObjectStore.config` returns them.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypedDict, Union

__all__ = [
    "AzureAccessKey",
    "AzureBearerToken",
    "AzureConfig",
    "AzureCredential",
    "AzureCredentialProvider",
    "AzureSASToken",
    "BackoffConfig",
    "ClientConfig",
    "GCSConfig",
    "GCSCredential",
    "GCSCredentialProvider",
    "RetryConfig",
    "S3Config",
    "S3Credential",
    "S3CredentialProvider",
]

# ---- S3 -----------------------------------------------------------------------------------


class S3Config(TypedDict, total=False):
    """Settings of an :class:`~objstore.store.S3Store`. Each key also
    answers to its ``aws_``-prefixed name, in any case, and is read from the
    ``AWS_*`` environment variable of that name when not given."""

    access_key_id: str
    """Access key of the credentials (``AWS_ACCESS_KEY_ID``)."""
    secret_access_key: str
    """Secret key of the credentials (``AWS_SECRET_ACCESS_KEY``)."""
    session_token: str
    """Session token of temporary credentials (``AWS_SESSION_TOKEN``)."""
    bucket: str
    """The bucket, when not given as the first argument or in the URL."""
    region: str
    """The bucket's region; ``us-east-1`` unless set (``AWS_REGION``)."""
    default_region: str
    """The region used when ``region`` is not set (``AWS_DEFAULT_REGION``)."""
    endpoint: str
    """A custom endpoint (MinIO, R2, LocalStack...); plain ``http://`` needs
    the client option ``allow_http``."""
    aws_endpoint_url_s3: str
    """The S3-specific endpoint (``AWS_ENDPOINT_URL_S3``); wins over
    ``endpoint``. Shown as ``endpoint_url_s3`` in :attr:`config`."""
    endpoint_url_s3: str
    """The canonical name of ``aws_endpoint_url_s3``."""
    virtual_hosted_style_request: bool
    """Address the bucket as a host name (``https://BUCKET.host/key``)
    instead of a path segment (the default, ``https://host/BUCKET/key``)."""
    skip_signature: bool
    """Send unsigned, anonymous requests (public buckets)."""
    unsigned_payload: bool
    """Do not hash request bodies into the signature."""
    checksum_algorithm: Literal["SHA256", "sha256", "CRC64NVME", "crc64nvme"] | str
    """Checksum sent with uploads and checked by the service."""
    conditional_put: str
    """How create-only and update puts are made (``etag``, ``disabled``)."""
    copy_if_not_exists: Literal["multipart"] | str
    """How ``copy(..., overwrite=False)`` is made atomic."""
    disable_tagging: bool
    """Ignore ``tags`` on writes (for services without object tagging)."""
    disable_bulk_delete: bool
    """Delete one object per request instead of ``DeleteObjects`` batches."""
    request_payer: bool | Literal["requester", "REQUESTER"]
    """Accept the cost of requests on requester-pays buckets."""
    s3_express: bool
    """The bucket is an S3 Express One Zone directory bucket."""
    imdsv1_fallback: bool
    """Fall back to IMDSv1 for instance credentials when IMDSv2 is refused."""
    metadata_endpoint: str
    """The instance metadata endpoint (default ``http://169.254.169.254``)."""
    container_credentials_relative_uri: str
    """ECS task credentials path (``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI``)."""
    container_credentials_full_uri: str
    """Container credentials URL (``AWS_CONTAINER_CREDENTIALS_FULL_URI``)."""
    container_authorization_token_file: str
    """File holding the token for ``container_credentials_full_uri``."""
    web_identity_token_file: str
    """Web identity token for STS AssumeRoleWithWebIdentity."""
    role_arn: str
    """The role assumed with the web identity token."""
    role_session_name: str
    """The session name of the assumed role."""
    sts_endpoint: str
    """A custom STS endpoint."""
    server_side_encryption: Literal["AES256", "aws:kms", "aws:kms:dsse", "sse-c"] | str
    """Server-side encryption of written objects."""
    sse_kms_key_id: str
    """The KMS key of ``aws:kms`` encryption."""
    sse_bucket_key_enabled: bool
    """Use an S3 bucket key with KMS encryption."""
    sse_customer_key_base64: str
    """The customer key of ``sse-c`` encryption, base64."""


class _S3CredentialKeys(TypedDict):
    access_key_id: str
    """The access key."""
    secret_access_key: str
    """The secret key."""
    expires_at: datetime | None
    """When the credentials expire (timezone-aware), or None for never."""


class S3Credential(_S3CredentialKeys, total=False):
    """What an S3 credential provider returns."""

    token: str | None
    """The session token of temporary credentials (optional)."""


class S3CredentialProvider(Protocol):
    """A callable, sync or async, that returns :class:`S3Credential`."""

    def __call__(self) -> S3Credential | Coroutine[Any, Any, S3Credential]:
        """Fresh credentials."""
        ...


# ---- GCS ----------------------------------------------------------------------------------


class GCSConfig(TypedDict, total=False):
    """Settings of a :class:`~objstore.store.GCSStore`. Each key also answers
    to its ``google_``-prefixed name and is read from the ``GOOGLE_*``
    environment variable of that name when not given."""

    service_account: str
    """Path of a service account JSON key file."""
    service_account_key: str
    """A service account JSON key, as text."""
    application_credentials: str
    """Path of an application default credentials file."""
    bucket: str
    """The bucket, when not given as the first argument or in the URL."""
    base_url: str
    """A custom endpoint (an emulator such as fake-gcs-server)."""
    bearer_token: str
    """A fixed OAuth bearer token."""
    skip_signature: bool
    """Send anonymous requests (public buckets)."""


class GCSCredential(TypedDict):
    """What a GCS credential provider returns."""

    token: str
    """An OAuth bearer token."""
    expires_at: datetime | None
    """When the token expires (timezone-aware), or None for never."""


class GCSCredentialProvider(Protocol):
    """A callable, sync or async, that returns :class:`GCSCredential`."""

    def __call__(self) -> GCSCredential | Coroutine[Any, Any, GCSCredential]:
        """A fresh token."""
        ...


# ---- Azure --------------------------------------------------------------------------------


class AzureConfig(TypedDict, total=False):
    """Settings of an :class:`~objstore.store.AzureStore`. Each key also
    answers to its ``azure_`` / ``azure_storage_``-prefixed names and is read
    from the ``AZURE_*`` environment variables of those names."""

    account_name: str
    """The storage account."""
    account_key: str
    """The storage account's shared key (base64)."""
    client_id: str
    """Client id of a service principal or managed identity."""
    client_secret: str
    """Client secret of a service principal."""
    tenant_id: str
    """Tenant of the service principal."""
    authority_host: str
    """The Entra ID authority host."""
    credential_type: str
    """Which credential to use, when several could be."""
    sas_key: str
    """A shared access signature (query string)."""
    token: str
    """A fixed bearer token."""
    use_emulator: bool
    """Talk to the Azurite emulator (its default account unless given)."""
    use_fabric_endpoint: bool
    """Use Microsoft Fabric (OneLake) endpoints."""
    endpoint: str
    """A custom endpoint."""
    encryption_key: str
    """Customer-provided encryption key (base64)."""
    msi_endpoint: str
    """The managed identity endpoint."""
    object_id: str
    """Object id of a user-assigned managed identity."""
    msi_resource_id: str
    """Resource id of a user-assigned managed identity."""
    federated_token_file: str
    """File holding a federated (workload identity) token."""
    use_azure_cli: bool
    """Take credentials from the Azure CLI."""
    skip_signature: bool
    """Send anonymous requests (public containers)."""
    container_name: str
    """The container, when not given as the first argument or in the URL."""
    disable_tagging: bool
    """Ignore ``tags`` on writes."""
    fabric_token_service_url: str
    """Fabric token service URL."""
    fabric_workload_host: str
    """Fabric workload host."""
    fabric_session_token: str
    """Fabric session token."""
    fabric_cluster_identifier: str
    """Fabric cluster identifier."""


class AzureAccessKey(TypedDict):
    """A storage account key returned by an Azure credential provider."""

    access_key: str
    """The account key (base64)."""
    expires_at: datetime | None
    """When it expires (timezone-aware), or None for never."""


class AzureSASToken(TypedDict):
    """A shared access signature returned by an Azure credential provider."""

    sas_token: str | list[tuple[str, str]]
    """The signature, as a query string or as its (name, value) pairs."""
    expires_at: datetime | None
    """When it expires (timezone-aware), or None for never."""


class AzureBearerToken(TypedDict):
    """A bearer token returned by an Azure credential provider."""

    token: str
    """The OAuth bearer token."""
    expires_at: datetime | None
    """When it expires (timezone-aware), or None for never."""


AzureCredential = Union[AzureBearerToken, AzureSASToken, AzureAccessKey]
"""Any credential an Azure credential provider may return."""


class AzureCredentialProvider(Protocol):
    """A callable, sync or async, that returns an :data:`AzureCredential`."""

    def __call__(self) -> AzureCredential | Coroutine[Any, Any, AzureCredential]:
        """A fresh credential."""
        ...


# ---- every HTTP store ---------------------------------------------------------------------


class ClientConfig(TypedDict, total=False):
    """HTTP client options (``client_options=``) of the S3, GCS, Azure and
    HTTP stores. Durations are :class:`~datetime.timedelta` or strings
    (``"30s"``, ``"1m30s"``, a number of seconds)."""

    allow_http: bool
    """Allow plain ``http://`` endpoints."""
    allow_invalid_certificates: bool
    """Accept any TLS certificate (testing only: it trusts anyone)."""
    connect_timeout: str | timedelta
    """Bound on connecting (default 5 s)."""
    default_content_type: str
    """Content-Type of uploads that set none."""
    default_headers: dict[str, str] | dict[str, bytes]
    """Headers sent with every request (unless the request sets them)."""
    http1_only: bool
    """Use HTTP/1 only."""
    http2_keep_alive_interval: str
    """Interval of HTTP/2 keep-alive pings."""
    http2_keep_alive_timeout: str | timedelta
    """How long to wait for a keep-alive ping's answer."""
    http2_keep_alive_while_idle: str
    """Send keep-alive pings on idle connections."""
    http2_only: bool
    """Use HTTP/2 only."""
    pool_idle_timeout: str | timedelta
    """How long an idle connection is kept (default 90 s)."""
    pool_max_idle_per_host: str
    """Idle connections kept per host."""
    proxy_url: str
    """An HTTP(S) proxy for every request."""
    proxy_ca_certificate: str
    """PEM certificate of the CA that signed the proxy's certificate."""
    proxy_excludes: str
    """Hosts that bypass the proxy, comma-separated."""
    randomize_addresses: bool
    """Shuffle the addresses a host name resolves to."""
    read_timeout: str | timedelta
    """Bound on any wait for the next bytes of an answer."""
    root_certificate: str | bytes
    """PEM certificate(s) of CAs to trust in addition to the system's."""
    tracing: bool
    """Trace the store's operations with OpenTelemetry (default: only when
    ``OTEL_TRACES_EXPORTER=otlp``); every store takes it."""
    trace_paths: bool
    """Record paths in spans, not only their length."""
    timeout: str | timedelta
    """Bound on one request attempt (default 30 s)."""
    user_agent: str
    """The User-Agent header."""


class BackoffConfig(TypedDict, total=False):
    """Exponential backoff with jitter between retries."""

    init_backoff: timedelta
    """The first wait (default 100 ms)."""
    max_backoff: timedelta
    """The longest wait (default 15 s)."""
    base: int | float
    """Growth factor of the wait (default 2)."""


class RetryConfig(TypedDict, total=False):
    """How failed requests (5xx, dropped connections, timeouts of safe
    requests) are retried. A store's :attr:`retry_config` shows every
    field, defaults included."""

    backoff: BackoffConfig
    """The waits between attempts."""
    max_retries: int
    """Retries after the first attempt (default 10; 0 disables)."""
    retry_timeout: timedelta
    """No retry starts later than this after the first attempt (default 3 min)."""
