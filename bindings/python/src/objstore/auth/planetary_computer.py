"""Credential providers for Microsoft Planetary Computer's Azure storage
(obstore.auth.planetary_computer): SAS tokens from its token API."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ._http import PicklableSession, default_aiohttp_session, default_requests_session

if TYPE_CHECKING:
    from typing import Self

    from ..store import AzureConfig, AzureSASToken

__all__ = ["PlanetaryComputerAsyncCredentialProvider", "PlanetaryComputerCredentialProvider"]

_BLOB_DOMAIN = ".blob.core.windows.net"
_SETTINGS_FILE = "~/.planetarycomputer/settings.env"
_DEFAULT_SAS_URL = "https://planetarycomputer.microsoft.com/api/sas/v1/token"


def _setting(key: str) -> str | None:
    """From the environment, else the SDK's settings file (python-dotenv)."""
    value = os.environ.get(key)
    if value is not None:
        return value
    path = Path(_SETTINGS_FILE).expanduser()
    if path.exists():
        try:
            import dotenv
        except ImportError as e:
            raise ImportError(f"python-dotenv is needed to read {_SETTINGS_FILE}") from e
        return dotenv.dotenv_values(path).get(key)
    return None


def _locate(url: str | None, account_name: str | None, container_name: str | None) -> tuple[str, str, str | None]:
    """(account, container, prefix) from a blob https URL, an abfs URL with
    account_name, or account_name and container_name."""
    if url is None:
        if account_name is None or container_name is None:
            raise ValueError("Must pass both container_name and account_name when url is not passed.")
        return account_name, container_name, None
    if container_name is not None:
        raise ValueError("Cannot pass container_name when passing url.")
    u = urlparse(url.rstrip("/"))
    if u.scheme == "abfs":
        if not account_name:
            raise ValueError("account_name must be passed for abfs urls.")
        return account_name, u.netloc, u.path.lstrip("/")
    if account_name is not None:
        raise ValueError("Cannot pass account_name when passing HTTPS blob storage url.")
    if not u.netloc.endswith(_BLOB_DOMAIN):
        raise ValueError(f"Invalid blob URL: {url}: the host should end with {_BLOB_DOMAIN}")
    container, _, prefix = u.path.lstrip("/").partition("/")
    return u.netloc.split(".")[0], container, prefix or None


def _asset_url(asset: Any) -> tuple[str, str | None]:
    d = asset if isinstance(asset, dict) else asset.__dict__
    extra = d.get("extra_fields") or {}
    options = extra.get("xarray:storage_options") or extra.get("table:storage_options") or {}
    return d["href"], options.get("account_name") if isinstance(options, dict) else None


def _sas(answer: dict[str, str]) -> AzureSASToken:
    return {"sas_token": answer["token"], "expires_at": datetime.fromisoformat(answer["msft:expiry"])}


class _Base:
    config: AzureConfig
    prefix: str | None

    def __init__(self, url: str | None, account_name: str | None, container_name: str | None, session: Any,
                 subscription_key: str | None, sas_url: str | None, make_session) -> None:
        self._subscription_key = subscription_key or _setting("PC_SDK_SUBSCRIPTION_KEY")
        self._sas_url = sas_url or _setting("PC_SDK_SAS_URL") or _DEFAULT_SAS_URL
        self._sessions = PicklableSession(session, make_session)
        self._account, self._container, self.prefix = _locate(url, account_name, container_name)
        self.config = {"account_name": self._account, "container_name": self._container}

    def _request(self) -> tuple[str, dict[str, str]]:
        headers = {"User-Agent": "objstore"}
        if self._subscription_key:
            headers["Ocp-Apim-Subscription-Key"] = self._subscription_key
        return f"{self._sas_url}/{self._account}/{self._container}", headers

    @classmethod
    def from_asset(cls, asset: Any, *, session: Any = None, subscription_key: str | None = None,
                   sas_url: str | None = None) -> Self:
        """From a Planetary Computer STAC asset (a pystac Asset or its dict)."""
        url, account_name = _asset_url(asset)
        return cls(url=url, account_name=account_name, session=session, subscription_key=subscription_key,
                   sas_url=sas_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account_name={self._account!r}, container_name={self._container!r})"


class PlanetaryComputerCredentialProvider(_Base):
    """SAS tokens for a Planetary Computer container, fetched with requests.
    The account, container and prefix are passed down to the store."""

    def __init__(self, url: str | None = None, *, account_name: str | None = None, container_name: str | None = None,
                 session: Any = None, subscription_key: str | None = None, sas_url: str | None = None) -> None:
        super().__init__(url, account_name, container_name, session, subscription_key, sas_url,
                         default_requests_session)

    def __call__(self) -> AzureSASToken:
        url, headers = self._request()
        r = self._sessions.get().get(url, headers=headers)
        r.raise_for_status()
        return _sas(r.json())


class PlanetaryComputerAsyncCredentialProvider(_Base):
    """As PlanetaryComputerCredentialProvider, with aiohttp on the
    binding's event loop."""

    def __init__(self, url: str | None = None, *, account_name: str | None = None, container_name: str | None = None,
                 session: Any = None, subscription_key: str | None = None, sas_url: str | None = None) -> None:
        super().__init__(url, account_name, container_name, session, subscription_key, sas_url,
                         default_aiohttp_session)

    async def __call__(self) -> AzureSASToken:
        url, headers = self._request()
        async with self._sessions.get().get(url, headers=headers) as r:
            r.raise_for_status()
            return _sas(await r.json())
