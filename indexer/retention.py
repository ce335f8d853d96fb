"""``kestrel indexer purge``: delete daily log and metric indices older than a retention."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch

from indexer.es import call_elasticsearch
from orchestrator.repository.admin import daily_indices, delete_indices
from orchestrator.repository.indices import PURGED_KINDS, IndexKind, IndexNames


@dataclass(frozen=True)
class PurgePlan:
    """Daily indices whose whole day is older than the cut-off, and those kept."""

    cutoff: datetime
    expired: list[str]
    kept: list[str]


def plan_purge(
    client: Elasticsearch,
    names: IndexNames,
    older_than: timedelta,
    *,
    now: datetime | None = None,
    kinds: Iterable[IndexKind] = PURGED_KINDS,
) -> PurgePlan:
    """Find the daily indices that hold nothing newer than ``now - older_than``.

    The index of day D holds documents up to D+1 00:00 UTC: it expires once that is past
    the cut-off, so no document younger than ``older_than`` is ever deleted.

    Raises:
        ElasticsearchUnavailableError: Elasticsearch cannot be reached.
        ElasticsearchRefusedError: Elasticsearch refused to list the indices.
    """
    cutoff = (now or datetime.now(UTC)) - older_than
    expired: list[str] = []
    kept: list[str] = []
    for kind in kinds:
        for index, day in call_elasticsearch(functools.partial(daily_indices, client, names, kind)):
            end_of_day = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            (expired if end_of_day <= cutoff else kept).append(index)
    return PurgePlan(cutoff, expired, kept)


def purge(client: Elasticsearch, plan: PurgePlan) -> list[str]:
    """Delete the expired indices of ``plan`` (by exact name); return them."""
    if plan.expired:
        call_elasticsearch(lambda: delete_indices(client, plan.expired), "delete of old indices")
    return plan.expired
