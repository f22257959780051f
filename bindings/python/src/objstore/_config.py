"""Config documents: building them from Python arguments, canonical JSON,
redaction for repr. Pure Python: nothing here loads the library (checking
a document is the library's: ``_native.normalize``)."""

from __future__ import annotations

import json
import os
import re
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
    if isinstance(value, (bytes, bytearray)):  # root_certificate as PEM bytes
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{section} key {key!r}: bytes must be UTF-8 text (PEM)") from None
    if isinstance(value, Mapping):  # default_headers: kept as its JSON text
        return canonical_json({str(k): option_value(section, f"{key}[{k!r}]", v) for k, v in value.items()})
    raise TypeError(
        f"{section} key {key!r}: value must be str, bytes, bool, int, float, timedelta or "
        f"(default_headers) a dict, not {type(value).__name__}"
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
                f"Duplicate key {key!r}: {section} key given twice (in {section}= and as a keyword argument)"
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


def client_options_out(options: Mapping[str, str] | None) -> dict[str, Any] | None:
    """A document's client options for Python: default_headers as a dict."""
    if not options:
        return None
    out: dict[str, Any] = dict(options)
    if "default_headers" in out:
        out["default_headers"] = json.loads(out["default_headers"])
    return out


# A Go duration as the library writes it: "1h2m3.5s", "100ms", "1.5µs".
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> timedelta:
    """A Go duration string (the library's form of a duration) as a timedelta."""
    if text in ("0", "0s"):
        return timedelta(0)
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=sum(float(n) * _GO_DURATION_UNIT[u] for n, u in parts))


def retry_config_out(retry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A document's retry policy (complete: the library writes out every
    default) for Python: durations as timedeltas."""
    if not retry:
        return None

    def convert(key: str, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: convert(k, v) for k, v in value.items()}
        if key == "base":
            return float(value)
        return parse_duration(value) if isinstance(value, str) else value

    return convert("", retry)


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
