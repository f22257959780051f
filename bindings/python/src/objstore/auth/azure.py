"""Credential providers for Azure stores from azure-identity
(obstore.auth.azure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import AzureCredential

DEFAULT_SCOPES = ("https://storage.azure.com/.default",)
"""The scope of Azure Storage tokens."""


def _bearer(token: Any) -> AzureCredential:
    return {"token": token.token, "expires_at": datetime.fromtimestamp(token.expires_on, timezone.utc)}


class AzureCredentialProvider:
    """Entra ID bearer tokens from an azure-identity credential (default:
    ``DefaultAzureCredential()``)."""

    def __init__(self, credential: Any = None, *, scopes: Iterable[str] = DEFAULT_SCOPES,
                 tenant_id: str | None = None) -> None:
        if credential is None:
            import azure.identity

            credential = azure.identity.DefaultAzureCredential()
        self._credential = credential
        self._scopes = tuple(scopes)
        self._tenant_id = tenant_id

    def __call__(self) -> AzureCredential:
        return _bearer(self._credential.get_token(*self._scopes, tenant_id=self._tenant_id))

    def __repr__(self) -> str:
        return f"AzureCredentialProvider({type(self._credential).__qualname__})"


class AzureAsyncCredentialProvider:
    """As AzureCredentialProvider, with an ``azure.identity.aio``
    credential awaited on the binding's event loop."""

    def __init__(self, credential: Any = None, *, scopes: Iterable[str] = DEFAULT_SCOPES,
                 tenant_id: str | None = None) -> None:
        if credential is None:
            import azure.identity.aio

            credential = azure.identity.aio.DefaultAzureCredential()
        self._credential = credential
        self._scopes = tuple(scopes)
        self._tenant_id = tenant_id

    async def __call__(self) -> AzureCredential:
        return _bearer(await self._credential.get_token(*self._scopes, tenant_id=self._tenant_id))

    def __repr__(self) -> str:
        return f"AzureAsyncCredentialProvider({type(self._credential).__qualname__})"
