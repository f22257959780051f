"""Metrics: what the library counted, as plain dicts or Prometheus text.

The counting and the rendering are the library's (``objstore_metrics_json``,
``objstore_metrics_prometheus``); this module only carries them over."""

from __future__ import annotations

import ctypes
import json
from typing import Any

from . import _events, _ffi

_FORMATS = {"dict": "objstore_metrics_json", "prometheus": "objstore_metrics_prometheus"}


def read(handle: _ffi.StoreHandle | None, format: str) -> Any:
    """The metrics of the store behind handle, or of the process for None:
    a dict (format "dict") or Prometheus text (format "prometheus")."""
    fn = _FORMATS.get(format) if isinstance(format, str) else None
    if fn is None:
        raise ValueError(f"format must be 'dict' or 'prometheus', not {format!r}")
    out = ctypes.c_void_p()
    err = _ffi.new_err()
    rc = getattr(_ffi.lib(), fn)(handle.ref if handle is not None else None, ctypes.byref(out), ctypes.byref(err))
    if rc:
        _ffi.raise_error(rc, err)
    text = _ffi.take_string(out) or ""
    return json.loads(text) if format == "dict" else text


def metrics(*, format: str = "dict") -> Any:
    """The process's metrics: for each store kind ("s3", "cache", ...), the
    totals of every store of that kind opened in this process.

    ``format="dict"`` (the default) returns ``{"enabled": bool, "kinds":
    {kind: counters}, "events_dropped": int}``; ``format="prometheus"`` the Prometheus text
    exposition, one series per kind (label ``kind``)."""
    doc = read(None, format)
    if format == "dict":
        doc["events_dropped"] += _events.dropped  # and those the binding's own queue dropped
    return doc
