"""Credential providers for GCS stores from google-auth
(obstore.auth.google)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import GCSCredential

# google-auth's own margin before expiry (its _helpers.REFRESH_THRESHOLD).
_REFRESH_THRESHOLD = timedelta(minutes=3, seconds=45)


def _utc(expiry: datetime | None) -> datetime | None:
    """google-auth's expiry is naive UTC."""
    if expiry is None:
        return None
    return expiry.replace(tzinfo=timezone.utc) if expiry.tzinfo is None else expiry


class GoogleCredentialProvider:
    """GCS bearer tokens from google-auth credentials (default: the
    application default credentials, ``google.auth.default()``), refreshed
    with a requests transport. ``refresh_threshold`` is how long before
    expiry the store asks for a new token."""

    request: Any
    credentials: Any

    def __init__(self, credentials: Any = None, *, request: Any = None,
                 refresh_threshold: timedelta = _REFRESH_THRESHOLD) -> None:
        from google.auth.transport.requests import Request

        if credentials is None:
            import google.auth

            credentials, _ = google.auth.default()
        self.credentials = credentials
        self.request = request or Request()
        self.refresh_threshold = refresh_threshold

    def __call__(self) -> GCSCredential:
        self.credentials.refresh(self.request)
        return {"token": self.credentials.token, "expires_at": _utc(self.credentials.expiry)}

    def __repr__(self) -> str:
        return f"GoogleCredentialProvider({type(self.credentials).__qualname__})"


class GoogleAsyncCredentialProvider:
    """As GoogleCredentialProvider, refreshing with google-auth's aiohttp
    transport on the binding's event loop."""

    async_request: Any
    credentials: Any

    def __init__(self, credentials: Any = None, *, request: Any = None,
                 refresh_threshold: timedelta = _REFRESH_THRESHOLD) -> None:
        if credentials is None:
            from google.auth._default_async import default_async

            credentials, _ = default_async()
        self.credentials = credentials
        self.async_request = request
        self.refresh_threshold = refresh_threshold

    async def __call__(self) -> GCSCredential:
        if self.async_request is None:  # made on the loop that uses it
            from google.auth.transport._aiohttp_requests import Request

            self.async_request = Request()
        await self.credentials.refresh(self.async_request)
        return {"token": self.credentials.token, "expires_at": _utc(self.credentials.expiry)}

    def __repr__(self) -> str:
        return f"GoogleAsyncCredentialProvider({type(self.credentials).__qualname__})"
