"""Credential providers for S3 stores from boto3 (obstore.auth.boto3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NotRequired, Unpack

    from ..store import S3Config, S3Credential


class PolicyDescriptorTypeTypeDef(TypedDict, total=False):  # noqa: D101
    arn: str


class TagTypeDef(TypedDict):  # noqa: D101
    Key: str
    Value: str


class ProvidedContextTypeDef(TypedDict, total=False):  # noqa: D101
    ProviderArn: str
    ContextAssertion: str


class AssumeRoleRequestRequestTypeDef(TypedDict):
    """The arguments of STS AssumeRole."""

    RoleArn: str
    RoleSessionName: str
    PolicyArns: NotRequired[Sequence[PolicyDescriptorTypeTypeDef]]
    Policy: NotRequired[str]
    DurationSeconds: NotRequired[int]
    Tags: NotRequired[Sequence[TagTypeDef]]
    TransitiveTagKeys: NotRequired[Sequence[str]]
    ExternalId: NotRequired[str]
    SerialNumber: NotRequired[str]
    TokenCode: NotRequired[str]
    SourceIdentity: NotRequired[str]
    ProvidedContexts: NotRequired[Sequence[ProvidedContextTypeDef]]


def _region_config(session: Any) -> dict[str, str]:
    region = getattr(session, "region_name", None)
    return {"region": region} if region else {}


def _default_session() -> Any:
    import boto3

    return boto3.Session()


class Boto3CredentialProvider:
    """S3 credentials from a boto3 (or botocore) session: whatever that
    session resolves (environment, shared files, SSO, instance roles...).

    Each answer is the session's current frozen credentials, declared valid
    for ``ttl``. A session's region is passed down to the store. Built
    without a session, the provider pickles (the receiving process makes
    its own default session); with one, it does not.
    """

    credentials: Any
    config: S3Config
    ttl: timedelta

    def __init__(self, session: Any = None, *, ttl: timedelta = timedelta(minutes=30)) -> None:
        self._own_session = session is None
        if session is None:
            session = _default_session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ValueError("Received None from session.get_credentials: the session has no credentials")
        self.config = _region_config(session)
        self.credentials = credentials
        self.ttl = ttl

    def __call__(self) -> S3Credential:
        frozen = self.credentials.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            raise ValueError("the session's credentials have no access key or secret")
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": datetime.now(timezone.utc) + self.ttl,
        }

    def __repr__(self) -> str:
        return f"Boto3CredentialProvider(ttl={self.ttl!r})"

    def __getstate__(self):
        if not self._own_session:
            raise TypeError("Boto3CredentialProvider built from your session cannot be pickled: "
                            "build it without one (Boto3CredentialProvider()) to pickle it")
        return {"ttl": self.ttl}

    def __setstate__(self, state) -> None:
        self.__init__(ttl=state["ttl"])


class StsCredentialProvider:
    """S3 credentials from STS AssumeRole through a boto3 session; each
    answer expires when STS says. ``kwargs`` are AssumeRole's arguments."""

    config: S3Config
    session: Any

    def __init__(self, session: Any = None, **kwargs: Unpack[AssumeRoleRequestRequestTypeDef]) -> None:
        self._own_session = session is None
        if session is None:
            session = _default_session()
        self.config = _region_config(session)
        self.session = session
        self.kwargs = kwargs

    def __call__(self) -> S3Credential:
        answer = self.session.client("sts").assume_role(**self.kwargs)
        creds = answer["Credentials"]
        expires = creds["Expiration"]
        if expires.tzinfo is None:
            raise ValueError("expiration time in STS response did not contain timezone information")
        return {
            "access_key_id": creds["AccessKeyId"],
            "secret_access_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expires_at": expires,
        }

    def __repr__(self) -> str:
        return f"StsCredentialProvider(RoleArn={self.kwargs.get('RoleArn')!r})"

    def __getstate__(self):
        if not self._own_session:
            raise TypeError("StsCredentialProvider built from your session cannot be pickled: "
                            "build it without one to pickle it")
        return {"kwargs": self.kwargs}

    def __setstate__(self, state) -> None:
        self.__init__(**state["kwargs"])
