"""Metrics: each store counts its operations exactly (requests by operation
and outcome, bytes as bodies stream, in-flight back to 0), attempts and
retries are counted where the library sends them, a cache's second read
makes no request of its inner store, and the process totals and the
Prometheus forms carry the same numbers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import objstore as obs
from objstore.store import CachingStore, MemoryStore

from _servers import minio_store as _minio


def test_memory_counts_exactly():
    store = MemoryStore()
    obs.put(store, "a", b"x" * 1000)
    n = 40
    for _ in range(n):
        assert obs.get(store, "a").bytes() == b"x" * 1000
    obs.get_range(store, "a", start=10, end=110)
    with pytest.raises(FileNotFoundError):
        obs.head(store, "missing")
    m = store.metrics()
    assert m["kind"] == "memory" and m["enabled"] is True
    assert m["requests"] == {"put": {"ok": 1}, "get": {"ok": n}, "get_range": {"ok": 1}, "head": {"not_found": 1}}
    assert (m["bytes_in"], m["bytes_out"], m["in_flight"]) == (n * 1000 + 100, 1000, 0)
    assert m["ttfb_seconds"]["get"]["count"] == n and sum(m["duration_seconds"]["get"]["counts"]) == n
    assert m["attempts"] == 0  # no HTTP under a memory store


def test_streamed_read_is_in_flight_until_its_end():
    store = MemoryStore()
    obs.put(store, "big", b"y" * (3 << 20))
    result = obs.get(store, "big")
    stream = iter(result.stream(min_chunk_size=1 << 20))
    next(stream)
    assert store.metrics()["in_flight"] == 1
    rest = sum(len(chunk) for chunk in stream)
    assert rest == (3 << 20) - (1 << 20)
    m = store.metrics()
    assert m["in_flight"] == 0 and m["bytes_in"] == 3 << 20 and m["requests"]["get"] == {"ok": 1}


def test_minio_gets_are_requests_and_attempts():
    store = _minio()
    obs.put(store, "obj", b"0123456789")
    before = store.metrics()
    n = 30
    for _ in range(n):
        assert obs.get(store, "obj").bytes() == b"0123456789"
    after = store.metrics()
    gets = after["requests"]["get"]["ok"] - before["requests"].get("get", {}).get("ok", 0)
    assert gets == n
    assert after["attempts"] - before["attempts"] == n  # one HTTP request each, no retry
    assert after["retries"] == before["retries"]
    assert after["bytes_in"] - before["bytes_in"] == 10 * n
    assert after["in_flight"] == 0


def test_cache_second_read_makes_no_inner_request():
    inner = _minio()
    data = os.urandom(3 << 20)
    obs.put(inner, "cached", data)
    cache = CachingStore(inner, memory_bytes="64MiB")
    before = inner.metrics()
    assert obs.get(cache, "cached").bytes() == data
    middle = inner.metrics()
    assert obs.get(cache, "cached").bytes() == data
    after = inner.metrics()
    assert middle["attempts"] > before["attempts"]  # the first read filled the cache
    assert after["requests"] == middle["requests"] and after["attempts"] == middle["attempts"]
    assert cache.metrics()["requests"]["get"]["ok"] == 2
    assert cache.metrics()["bytes_in"] == 2 * len(data)


def test_process_totals_and_prometheus():
    store = MemoryStore()
    before = obs.metrics()["kinds"].get("memory", {}).get("requests", {}).get("put", {}).get("ok", 0)
    obs.put(store, "p", b"1")
    totals = obs.metrics()
    assert totals["enabled"] is True and totals["kinds"]["memory"]["requests"]["put"]["ok"] == before + 1
    text = store.metrics(format="prometheus")
    assert 'objstore_requests_total{bucket="",kind="memory",operation="put",outcome="ok"} 1\n' in text
    assert "# TYPE objstore_duration_seconds histogram" in text
    assert 'objstore_requests_total{kind="memory",operation="put"' in obs.metrics(format="prometheus")
    with pytest.raises(ValueError):
        store.metrics(format="xml")  # type: ignore[call-overload]


def test_prometheus_client_collector():
    from prometheus_client import CollectorRegistry, generate_latest

    from objstore.prometheus import Collector

    store = MemoryStore()
    obs.put(store, "c", b"abc")
    for _ in range(3):
        obs.get(store, "c").bytes()
    registry = CollectorRegistry()
    registry.register(Collector(store))
    text = generate_latest(registry).decode()
    assert 'objstore_requests_total{bucket="",kind="memory",operation="get",outcome="ok"} 3.0' in text
    assert 'objstore_read_bytes_total{bucket="",kind="memory"} 9.0' in text
    assert 'objstore_ttfb_seconds_count{bucket="",kind="memory",operation="get"} 3.0' in text
    process = CollectorRegistry()
    process.register(Collector())
    assert 'kind="memory"' in generate_latest(process).decode()


def test_collector_imports_prometheus_client_only_when_used():
    code = "import sys, objstore, objstore.prometheus; assert 'prometheus_client' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))


def test_metrics_off_for_the_process():
    code = (
        "import objstore as obs; from objstore.store import MemoryStore\n"
        "s = MemoryStore(); obs.put(s, 'a', b'1'); obs.get(s, 'a').bytes()\n"
        "m = s.metrics(); assert m['enabled'] is False and m['requests'] == {}, m\n"
        "assert obs.metrics()['enabled'] is False\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, OBJSTORE_METRICS="off"))
