"""Credential providers for NASA Earthdata's S3 buckets
(obstore.auth.earthdata): temporary S3 keys from a DAAC's s3credentials
endpoint, authenticated with an Earthdata Login token or user and
password (from the arguments, EARTHDATA_TOKEN, EARTHDATA_USERNAME and
EARTHDATA_PASSWORD, or netrc)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ._http import PicklableSession, default_aiohttp_session, default_requests_session

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..store import S3Config, S3Credential

DEFAULT_EARTHDATA_HOST = "urs.earthdata.nasa.gov"
"""Earthdata Login's operational host."""

__all__ = ["DEFAULT_EARTHDATA_HOST", "NasaEarthdataAsyncCredentialProvider", "NasaEarthdataCredentialProvider"]


def _auth_from_env() -> str | tuple[str, str] | None:
    if token := os.environ.get("EARTHDATA_TOKEN"):
        return token
    user, password = os.environ.get("EARTHDATA_USERNAME"), os.environ.get("EARTHDATA_PASSWORD")
    return (user, password) if user and password else None


def _host_from_env() -> str:
    return os.environ.get("EARTHDATA_HOST", DEFAULT_EARTHDATA_HOST)


def _credential(answer: Mapping[str, str]) -> S3Credential:
    return {
        "access_key_id": answer["accessKeyId"],
        "secret_access_key": answer["secretAccessKey"],
        "token": answer["sessionToken"],
        "expires_at": datetime.fromisoformat(answer["expiration"]),
    }


class _Unauthorized(PermissionError):
    """Earthdata Login refused the token or the user and password."""


class _Base:
    config: S3Config

    def __init__(self, credentials_url: str, host: str | None, auth: str | tuple[str, str] | None, session: Any,
                 make_session: Any) -> None:
        self.config = {"region": "us-west-2"}
        self._sessions = PicklableSession(session, make_session)
        self._closed = False
        self._auth = auth or _auth_from_env()
        self._credentials_url = credentials_url
        self._host = host or _host_from_env()

    @property
    def session(self) -> Any:
        """The HTTP session (yours, or the one made by default on first use)."""
        if self._closed:
            raise ValueError("credential provider was closed")
        return self._sessions.get()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._credentials_url!r})"


class NasaEarthdataCredentialProvider(_Base):
    """Temporary S3 credentials for NASA Earthdata (region us-west-2,
    passed down to the store), fetched with requests."""

    def __init__(self, credentials_url: str, *, host: str | None = None,
                 auth: str | tuple[str, str] | None = None, session: Any = None) -> None:
        super().__init__(credentials_url, host, auth, session, default_requests_session)

    def __call__(self) -> S3Credential:
        s = self.session
        if isinstance(self._auth, str):
            with s.get(self._credentials_url, allow_redirects=False,
                       headers={"Authorization": f"Bearer {self._auth}"}) as r:
                r.raise_for_status()
                if r.is_redirect:
                    raise _Unauthorized("Earthdata Login refused the token")
                return _credential(r.json())
        with s.get(self._credentials_url, allow_redirects=False) as r:
            r.raise_for_status()
            location = s.get_redirect_target(r)
            if location is None:  # a session that is still logged in
                return _credential(r.json())
        auth = self._auth if urlparse(location).hostname == self._host else None
        with s.get(location, auth=auth) as r:
            r.raise_for_status()
            try:
                return _credential(r.json())
            except ValueError:
                raise _Unauthorized("Earthdata Login refused the user and password") from None

    def close(self) -> None:
        """Close the session made by default (yours stays yours)."""
        made = self._sessions.reset()
        self._closed = True
        if made is not None:
            made.close()



class NasaEarthdataAsyncCredentialProvider(_Base):
    """As NasaEarthdataCredentialProvider, with aiohttp on the binding's
    event loop (its session made there, on first use)."""

    def __init__(self, credentials_url: str, *, host: str | None = None,
                 auth: str | tuple[str, str] | None = None, session: Any = None) -> None:
        super().__init__(credentials_url, host, auth, session, default_aiohttp_session)

    async def __call__(self) -> S3Credential:
        import aiohttp

        s = self.session
        if isinstance(self._auth, str):
            async with s.get(self._credentials_url, allow_redirects=False,
                             headers={"Authorization": f"Bearer {self._auth}"}) as r:
                r.raise_for_status()
                if r.status in (301, 302, 303, 307, 308):
                    raise _Unauthorized("Earthdata Login refused the token")
                return _credential(await r.json(content_type=None))
        async with s.get(self._credentials_url, allow_redirects=False) as r:
            r.raise_for_status()
            location = r.headers.get("location")
            if location is None:
                return _credential(await r.json(content_type=None))
        auth = aiohttp.BasicAuth(*self._auth) if self._auth and urlparse(location).hostname == self._host else None
        async with s.get(location, auth=auth) as r:
            r.raise_for_status()
            try:
                return _credential(await r.json(content_type=None))
            except ValueError:
                raise _Unauthorized("Earthdata Login refused the user and password") from None

    async def close(self) -> None:
        """Close the session made by default (yours stays yours)."""
        made = self._sessions.reset()
        self._closed = True
        if made is not None:
            await made.close()
