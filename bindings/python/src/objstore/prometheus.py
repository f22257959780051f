"""A ``prometheus_client`` collector of the library's metrics.

``prometheus_client`` is imported only here, when a collector is made::

    from prometheus_client import REGISTRY
    from objstore.prometheus import Collector

    REGISTRY.register(Collector())            # every store kind, process-wide
    REGISTRY.register(Collector(store))       # or one store (labels kind, bucket)

Each scrape reads the counters afresh (``objstore.metrics()`` /
``store.metrics()``); nothing is kept between scrapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _metrics

_COUNTERS = {
    "bytes_in": ("objstore_read_bytes", "Bytes read from the store."),
    "bytes_out": ("objstore_written_bytes", "Bytes written to the store."),
    "attempts": ("objstore_attempts", "HTTP requests sent."),
    "retries": ("objstore_retries", "Requests sent again after a failed attempt."),
    "throttled": ("objstore_throttled", "Throttling answers (429, 503)."),
    "resumes": ("objstore_resumes", "Broken or stalled bodies read on from where they stopped."),
    "checksum_failures": ("objstore_checksum_failures", "Bodies that did not match the service's checksum."),
}
_HISTOGRAMS = {
    "ttfb_seconds": ("objstore_ttfb_seconds", "Time to the first byte of a read's answer."),
    "duration_seconds": ("objstore_duration_seconds", "Time until an operation ends (a read: its body's end)."),
}


class Collector:
    """Collects the metrics of one store, or of every store kind in the
    process (``store=None``), for a ``prometheus_client`` registry."""

    def __init__(self, store: Any = None) -> None:
        import prometheus_client.core  # noqa: F401  (fail here, not at the first scrape)

        self._store = store

    def _series(self) -> list[tuple[dict[str, str], dict[str, Any]]]:
        if self._store is None:
            doc = _metrics.metrics()
            return [({"kind": kind}, counters) for kind, counters in sorted(doc["kinds"].items())]
        doc = self._store.metrics()
        return [({"kind": doc["kind"], "bucket": doc.get("bucket", "")}, doc)]

    def describe(self) -> list[Any]:
        return []  # unchecked collector: the label sets depend on what ran

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        series = self._series()
        names = sorted({k for labels, _ in series for k in labels})
        requests = CounterMetricFamily(
            "objstore_requests", "Operations finished, by operation and outcome.", labels=[*names, "operation", "outcome"]
        )
        in_flight = GaugeMetricFamily("objstore_in_flight", "Operations in progress.", labels=names)
        counters = {key: CounterMetricFamily(name, help, labels=names) for key, (name, help) in _COUNTERS.items()}
        histograms = {
            key: HistogramMetricFamily(name, help, labels=[*names, "operation"]) for key, (name, help) in _HISTOGRAMS.items()
        }
        for labels, doc in series:
            values = [labels.get(n, "") for n in names]
            for op, outcomes in sorted(doc["requests"].items()):
                for outcome, n in sorted(outcomes.items()):
                    requests.add_metric([*values, op, outcome], n)
            in_flight.add_metric(values, doc["in_flight"])
            for key, family in counters.items():
                family.add_metric(values, doc[key])
            for key, family in histograms.items():
                for op, h in sorted(doc[key].items()):
                    buckets, total = [], 0
                    for bound, count in zip([*map(str, h["bounds"]), "+Inf"], h["counts"]):
                        total += count
                        buckets.append((bound, total))
                    family.add_metric([*values, op], buckets, h["sum"])
        yield requests
        yield in_flight
        yield from counters.values()
        yield from histograms.values()
