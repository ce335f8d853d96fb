"""Consumer lag per group and partition, for ``/metrics``.

Every group consumer of the process registers here when it is created; at each scrape the
collector asks each one, without a network round trip, how far its position is behind the
high watermark the broker last reported for each assigned partition.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector


@dataclass(frozen=True)
class PartitionLag:
    """How many records of one partition a group has not read yet."""

    group: str
    topic: str
    partition: int
    lag: int


class LagSource(Protocol):
    """A consumer that can tell its lag (``KafkaConsumer`` is one)."""

    def lag(self) -> list[PartitionLag]:
        """The lag of every assigned partition, from cached watermarks."""
        ...


class ConsumerLagCollector(Collector):
    """Collects ``kestrel_consumer_lag`` from every live registered consumer."""

    def __init__(self) -> None:
        """Start with no consumers."""
        self._lock = threading.Lock()
        self._sources: weakref.WeakSet[LagSource] = weakref.WeakSet()

    def register(self, source: LagSource) -> None:
        """Report ``source``'s lag while it lives."""
        with self._lock:
            self._sources.add(source)

    def unregister(self, source: LagSource) -> None:
        """Stop reporting ``source`` (it closed)."""
        with self._lock:
            self._sources.discard(source)

    def lags(self) -> list[PartitionLag]:
        """The lag of every partition of every registered consumer."""
        with self._lock:
            sources = list(self._sources)
        found: list[PartitionLag] = []
        for source in sources:
            try:
                found += source.lag()
            except Exception:  # a consumer closing meanwhile must not fail the scrape
                continue
        return found

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the lag gauge (Prometheus' collector interface)."""
        family = GaugeMetricFamily(
            "kestrel_consumer_lag",
            "Records not yet consumed, per consumer group and partition.",
            labels=["group", "topic", "partition"],
        )
        for each in _summed(self.lags()):
            family.add_metric([each.group, each.topic, str(each.partition)], each.lag)
        yield family


def _summed(lags: Iterable[PartitionLag]) -> list[PartitionLag]:
    """One sample per (group, topic, partition), even with several consumers of a group."""
    totals: dict[tuple[str, str, int], int] = {}
    for each in lags:
        key = (each.group, each.topic, each.partition)
        totals[key] = totals.get(key, 0) + each.lag
    return [
        PartitionLag(group, topic, partition, lag)
        for (group, topic, partition), lag in totals.items()
    ]


CONSUMER_LAG = ConsumerLagCollector()
"""The process' one lag collector, registered in Prometheus' default registry."""
REGISTRY.register(CONSUMER_LAG)

__all__ = ["CONSUMER_LAG", "ConsumerLagCollector", "LagSource", "PartitionLag"]
