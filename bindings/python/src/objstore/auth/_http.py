"""HTTP sessions for the providers that fetch credentials over HTTP."""

from __future__ import annotations

from typing import Any

# Retries of the token endpoints: transient statuses, exponential backoff.
RETRY_TOTAL = 10
RETRY_BACKOFF = 0.8
RETRY_STATUSES = (429, 500, 502, 503, 504)


def default_requests_session() -> Any:
    """A requests Session that retries the transient failures of token
    endpoints."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=RETRY_TOTAL, backoff_factor=RETRY_BACKOFF,
                                            status_forcelist=RETRY_STATUSES))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def default_aiohttp_session() -> Any:
    """An aiohttp session (made on the loop that uses it: the binding's)."""
    import aiohttp

    return aiohttp.ClientSession()


class PicklableSession:
    """Holds a session made by default (recreated after unpickling) or
    given by the user (which keeps its provider from pickling)."""

    def __init__(self, given: Any, make) -> None:
        self.given = given
        self.make = make
        self._made = None

    def get(self) -> Any:
        if self.given is not None:
            return self.given
        if self._made is None:
            self._made = self.make()
        return self._made

    def reset(self) -> Any:
        made, self._made = self._made, None
        return made

    def __getstate__(self):
        if self.given is not None:
            raise TypeError(f"a credential provider holding your {type(self.given).__qualname__} cannot be pickled: "
                            "build it without a session to pickle it")
        return {"given": None, "make": self.make, "_made": None}
