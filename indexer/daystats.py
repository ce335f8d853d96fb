"""Keep the per-day, per-flow execution statistics in step with the summaries.

After each flush the indexer knows which (day, flow) pairs its summaries touched. For each
touched day it reads that day's summaries of those flows (one small daily index, not the
whole history) and writes their statistics documents again (``day_statistics``). Nothing is
incremented: a replayed record, a crash between the summary write and this step (the next
instance indexes the same records and computes again), or two indexers computing the same
day all end with the figures of the summaries as they are. The external version is the
time the computation started (microseconds): when two indexers race on one day, the one
that read last wins, and it read everything the other had written.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from indexer.bulk import send
from indexer.errors import ElasticsearchUnavailableError
from indexer.es import translate
from indexer.transform import Action
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.summaries import STATS_READ_FIELDS, day_statistics, stats_id

LOGGER = logging.getLogger("kestrel.indexer")

Touched = dict[date, set[str]]
"""Flow keys whose statistics must be computed again, per day."""

_PAGE = 5000


def touched_by(names: IndexNames, actions: Iterable[Action]) -> Touched:
    """The (day, flow) pairs the summaries among ``actions`` wrote."""
    touched: Touched = defaultdict(set)
    for action in actions:
        day = names.day_of(IndexKind.EXECUTION_SUMMARIES, action.index)
        if day is not None and action.source is not None:
            touched[day].add(str(action.source["flowKey"]))
    return dict(touched)


def purge_summaries(
    client: Elasticsearch, names: IndexNames, execution_ids: Sequence[str]
) -> Touched:
    """Delete the summaries of deleted executions; return the (day, flow) pairs they counted in.

    Raises:
        ElasticsearchUnavailableError: Try again later.
        ElasticsearchRefusedError: Refused for good.
    """
    pattern = names.pattern(IndexKind.EXECUTION_SUMMARIES)
    query = {"terms": {"id": list(execution_ids)}}
    touched: Touched = defaultdict(set)
    try:
        client.indices.refresh(index=pattern, ignore_unavailable=True, allow_no_indices=True)
        response = client.search(
            index=pattern,
            query=query,
            size=len(execution_ids),
            source_includes=["flowKey"],
            ignore_unavailable=True,
            allow_no_indices=True,
        ).body
        for hit in response.get("hits", {}).get("hits", []):
            day = names.day_of(IndexKind.EXECUTION_SUMMARIES, hit["_index"])
            if day is not None:
                touched[day].add(str(hit["_source"]["flowKey"]))
        client.delete_by_query(
            index=pattern,
            query=query,
            conflicts="proceed",
            refresh=True,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
    except (ApiError, TransportError) as exc:
        raise translate(exc, "delete of execution summaries") from exc
    return dict(touched)


def _summaries(
    client: Elasticsearch, index: str, flows: Sequence[str]
) -> Iterable[Mapping[str, Any]]:
    after: list[Any] | None = None
    while True:
        response = client.search(
            index=index,
            query={"terms": {"flowKey": list(flows)}},
            sort=[{"id": "asc"}],
            size=_PAGE,
            search_after=after,
            source_includes=[*STATS_READ_FIELDS, "durationMs", "deleted"],
            ignore_unavailable=True,
        ).body
        hits = response.get("hits", {}).get("hits", [])
        yield from (hit["_source"] for hit in hits)
        if len(hits) < _PAGE:
            return
        after = list(hits[-1]["sort"])


def compute_day_stats(
    client: Elasticsearch,
    names: IndexNames,
    touched: Mapping[date, set[str]],
    target: str | None = None,
) -> int:
    """Compute and write the statistics of every touched (day, flow); return documents written.

    ``target`` is the physical index a rebuild fills; None writes through the alias.

    Raises:
        ElasticsearchUnavailableError: Try again later (the whole step is idempotent).
        ElasticsearchRefusedError: Refused for good.
    """
    if not touched:
        return 0
    kind = IndexKind.EXECUTION_SUMMARIES
    version = time.time_ns() // 1000
    index = target or names.alias(IndexKind.EXECUTION_STATS)
    actions: list[Action] = []
    try:
        days = ",".join(names.daily(kind, day) for day in sorted(touched))
        client.indices.refresh(index=days, ignore_unavailable=True, allow_no_indices=True)
        for day, flows in sorted(touched.items()):
            keys = sorted(flows)
            summaries = _summaries(client, names.daily(kind, day), keys)
            for document in day_statistics(day, summaries, keys):
                doc_id = stats_id(day, document["flowKey"])
                actions.append(
                    Action("index", index, doc_id, document, version, require_alias=not target)
                )
    except (ApiError, TransportError) as exc:
        raise translate(exc, "computing day statistics") from exc
    outcome = send(client, actions)
    if outcome.retry:  # busy, or the alias is gone: the whole step again, later
        raise ElasticsearchUnavailableError(f"{len(outcome.retry)} day statistics not taken")
    for action, reason in outcome.rejected:  # derived figures: say so, do not stop indexing
        LOGGER.error("day statistics %s refused: %s", action.id, reason)
    return outcome.written
