"""Config documents: building them from Python arguments, canonical JSON,
redaction for repr. Pure Python: nothing here loads the library (checking
a document is the library's: ``_native.normalize``)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import PurePath
from typing import Any, Mapping

from . import exceptions as _exc

# Config keys whose names hold one of these words have secret values.
_SECRET_WORDS = ("secret", "key", "token", "password", "sas", "credential")
# What stands for a hidden value: the library's (core.RedactURL), so that a
# URL reads the same in a repr and in an error message.
REDACTED = "xxxxx"

DOC_FIELDS = ("kind", "bucket", "prefix", "url", "config", "client_options", "retry_config")


def duration_string(td: timedelta) -> str:
    """A timedelta as a Go duration string, exactly ("30s", "1500000us")."""
    micros = td // timedelta(microseconds=1)
    if micros < 0:
        raise ValueError(f"duration must not be negative, got {td!r}")
    if micros % 1_000_000 == 0:
        return f"{micros // 1_000_000}s"
    return f"{micros}us"


def option_value(section: str, key: str, value: Any) -> str:
    """A config / client option value in the document's string form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, timedelta):
        return duration_string(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, PurePath):
        return os.fspath(value)
    raise TypeError(
        f"{section} key {key!r}: value must be str, bool, int, float or timedelta, "
        f"not {type(value).__name__}"
    )


def options_section(section: str, given: Mapping[str, Any] | None, extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Merge a config mapping and keyword arguments into string values.

    The same key given in both is an error; aliases of one key (e.g.
    ``aws_region`` and ``region``) are detected by the library."""
    out: dict[str, str] = {}
    if given is not None:
        if not isinstance(given, Mapping):
            raise TypeError(f"{section} must be a dict, not {type(given).__name__}")
        for key, value in given.items():
            if not isinstance(key, str):
                raise TypeError(f"{section} keys must be str, not {type(key).__name__}")
            if value is None:
                continue
            out[key] = option_value(section, key, value)
    for key, value in (extra or {}).items():
        if value is None:
            continue
        if key in out:
            raise _exc.InvalidArgumentError(
                f"{section} key {key!r} is given twice (in config= and as a keyword argument)"
            )
        out[key] = option_value(section, key, value)
    return out


def retry_section(retry_config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """retry_config with timedeltas as duration strings; numbers stay numbers."""
    if retry_config is None:
        return None
    if not isinstance(retry_config, Mapping):
        raise TypeError(f"retry_config must be a dict, not {type(retry_config).__name__}")

    def convert(path: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: convert(f"{path}.{k}", v) for k, v in value.items() if v is not None}
        if isinstance(value, timedelta):
            return duration_string(value)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(
                f"retry_config {path}: value must be int, float, str or timedelta, not {type(value).__name__}"
            )
        return value

    return {k: convert(k, v) for k, v in retry_config.items() if v is not None}


def make_document(
    kind: str,
    *,
    bucket: str | None = None,
    prefix: str | None = None,
    url: str | None = None,
    config: dict[str, str] | None = None,
    client_options: dict[str, str] | None = None,
    retry_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A document with only the fields that are set (as the library's canonical form)."""
    fields = {"bucket": bucket, "prefix": prefix, "url": url, "config": config,
              "client_options": client_options, "retry_config": retry_config}
    return {"kind": kind, **{name: value for name, value in fields.items() if value}}


def canonical_json(doc: Mapping[str, Any]) -> str:
    """The canonical JSON text of a document: sorted keys, no spaces. Equal
    stores have equal canonical JSON (used for ==, hash and handle sharing)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_text(document: str | bytes | Mapping[str, Any]) -> str | bytes:
    """A document given as JSON text or a dict, as JSON text for the library
    (which parses it, rejecting a key given twice)."""
    if isinstance(document, (str, bytes)):
        return document
    if isinstance(document, Mapping):
        return canonical_json(document)
    raise TypeError(f"document must be a JSON str or a dict, not {type(document).__name__}")


# ---- redaction (for repr; the library's messages follow the same rule) ------------------


def is_secret_key(key: str) -> bool:
    k = key.lower()
    return any(word in k for word in _SECRET_WORDS)


def redacted(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Options with the values of secret keys hidden."""
    if options is None:
        return None
    return {k: (REDACTED if is_secret_key(k) else v) for k, v in options.items()}


def redact_url(url: str) -> str:
    """A URL as the library's error messages show it (core.RedactURL): the
    user info (a password, an access key), the query (SAS tokens,
    signatures) and the fragment are hidden."""
    rest, _, fragment = url.partition("#")
    rest, question_mark, query = rest.partition("?")
    scheme, colon, after = rest.partition(":")
    if colon and after.startswith("//"):
        authority, slash, path = after[2:].partition("/")
        if "@" in authority:
            authority = REDACTED + "@" + authority.rpartition("@")[2]
        rest = f"{scheme}://{authority}{slash}{path}"
    elif colon and "@" in after:  # an opaque URL (mailto:user@host)
        rest = f"{scheme}:{REDACTED}"
    if question_mark:
        rest += "?" + REDACTED
    if fragment:
        rest += "#" + REDACTED
    return rest
