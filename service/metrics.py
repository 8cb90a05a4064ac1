"""Prometheus metrics (``GET /metrics``, prometheus-client).

Counted in each process: HTTP requests and their latency (by route template, never by
raw path), write requests in progress (the append queue), anchoring runs by outcome,
and — once witnessing code reports one with :func:`witness_failure` — witness
failures. Read from the database at each scrape, so that every worker reports the
same: each log's entries (a counter: entries are never removed, so ``rate()`` is
appends per second), how far each log is ahead of its last anchor, and the last
anchoring run. With ``kakawari serve --workers N`` the per-process figures are summed
over the workers (prometheus-client's multiprocess mode, in
``PROMETHEUS_MULTIPROC_DIR``, which ``serve`` sets).

docs/operations.md says what each alert on these means.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter("kakawari_http_requests", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("kakawari_http_request_duration_seconds",
                    "Time to answer an HTTP request", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
WRITES_IN_PROGRESS = Gauge("kakawari_write_requests_in_progress",
                           "Write requests (POST, PUT, DELETE) being answered: the append "
                           "queue", multiprocess_mode="livesum")
ANCHOR_RUNS = Counter("kakawari_anchor_runs", "Anchoring runs of a region by outcome",
                      ["outcome"])

_witness: Counter | None = None
_witness_guard = threading.Lock()


def witness_failure(partner: str) -> None:
    """Count a failed witnessing of ``partner``'s log (a cosignature refused, a partner
    unreachable). The metric exists from the first call on: a server without witnesses
    exports none."""
    global _witness
    with _witness_guard:
        if _witness is None:
            _witness = Counter("kakawari_witness_failures",
                               "Failed witnessing of a partner region's log", ["partner"])
    _witness.labels(partner=partner).inc()


def observe_anchor(outcome: str) -> None:
    ANCHOR_RUNS.labels(outcome=outcome).inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


class LogCollector(Collector):
    """The figures read from the database at each scrape (the same from every worker)."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        from ledger.entry import origin_for

        from .scheduler import anchor_runs

        store = self.services.regions.store
        entries = CounterMetricFamily("kakawari_log_entries",
                                      "Entries in the region's log (rate: appends)",
                                      labels=["region"])
        refused = GaugeMetricFamily("kakawari_log_refused",
                                    "1 when the log failed its integrity check on open",
                                    labels=["region"])
        lag = GaugeMetricFamily("kakawari_anchor_lag_entries",
                                "Entries written since the tree of the last anchor",
                                labels=["region"])
        last = GaugeMetricFamily("kakawari_anchor_last_success_timestamp_seconds",
                                 "When a run last found the log anchored (unix time)",
                                 labels=["region"])
        failures = GaugeMetricFamily("kakawari_anchor_consecutive_failures",
                                     "Anchoring runs in a row that failed", labels=["region"])
        bad = store.refused()
        runs = anchor_runs(self.services.engine)
        for origin in store.logs():
            region = origin.removeprefix("kakawari/")
            refused.add_metric([region], 1.0 if origin in bad else 0.0)
            if origin in bad:
                continue
            size = store.log_info(origin_for(region)).size
            entries.add_metric([region], float(size))
            run = runs.get(region)
            if run is None:
                continue
            if run.size is not None:
                lag.add_metric([region], float(max(0, size - run.size)))
            if run.anchored_at is not None:
                last.add_metric([region], float(run.anchored_at))
            failures.add_metric([region], float(run.failures))
        yield from (entries, refused, lag, last, failures)


def exposition(services: Any) -> tuple[bytes, str]:
    """The text of ``/metrics`` and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    db = CollectorRegistry()
    db.register(LogCollector(services))
    return generate_latest(counted) + generate_latest(db), CONTENT_TYPE_LATEST
