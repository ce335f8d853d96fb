"""``kestrel indexer rebuild``: re-create indices from the compacted topics, live.

Choice: **new physical indices behind the aliases, swapped atomically, with external
versions**, rather than a reindex inside Elasticsearch. Kafka is the source of truth, so the
rebuild reads the topics (never the possibly damaged index), and new mappings apply. Steps,
per source topic:

1. Create ``<alias>-<n+1>`` from the current template.
2. Read the topic from the beginning to its end and bulk-write into the new index, with the
   same external versions as the live indexer (snapshot ``seq``; record offset for flows,
   revisions and triggers).
3. Swap the alias to the new index in one atomic ``_aliases`` request: from then on the live
   indexer (which writes through the alias) writes there too.
4. Read again from where step 2 stopped to the new end: whatever the live indexer wrote into
   the old index between 2 and 3 is rewritten into the new one. Versions make the two writers'
   order irrelevant: the newest value wins.
5. Delete the old physical indices.

The live indexer never stops, and readers see the old index until the swap, then the complete
new one.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from elasticsearch import Elasticsearch

from indexer.batch import Batch
from indexer.bulk import purge_taskruns, send
from indexer.daystats import compute_day_stats, purge_summaries, touched_by
from indexer.errors import ElasticsearchUnavailableError, IndexerError
from indexer.es import call_elasticsearch
from indexer.retry import Backoff
from indexer.scan import extent, scan
from indexer.transform import Targets, Transformer
from orchestrator.kafka import TOPICS, Record, Topics, TopicSpec
from orchestrator.repository.admin import (
    create_index,
    delete_indices,
    ensure_templates,
    make_client,
    names_for,
    next_physical,
    swap_aliases,
)
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.settings import KestrelSettings

LOGGER = logging.getLogger("kestrel.indexer.rebuild")

_ResultT = TypeVar("_ResultT")

SOURCES: Mapping[str, tuple[TopicSpec[Any], tuple[IndexKind, ...]]] = {
    "flows": (TOPICS.flows, (IndexKind.FLOWS,)),
    "flow-revisions": (TOPICS.flow_revisions, (IndexKind.FLOW_REVISIONS,)),
    "executions": (
        TOPICS.executions,
        (IndexKind.EXECUTIONS, IndexKind.TASKRUNS, IndexKind.EXECUTION_STATS),
    ),
    "triggers": (TOPICS.triggers, (IndexKind.TRIGGERS,)),
}
"""Each rebuildable source topic and the indices built from it."""


class RebuildProgress(Protocol):
    """Receives the progress of a rebuild (the CLI draws a progress bar)."""

    def started(self, source: str, total: int) -> None:
        """Reading ``source`` begins; ``total`` records at most (compaction lowers it)."""

    def advanced(self, source: str, records: int) -> None:
        """``records`` more records of ``source`` were written."""

    def finished(self, source: str) -> None:
        """``source`` is rebuilt."""


@dataclass
class RebuildReport:
    """What a rebuild of one source did."""

    source: str
    indices: dict[IndexKind, str] = field(default_factory=dict)
    records: int = 0
    written: int = 0
    rejected: int = 0
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def sources_for(requested: Iterable[str] | None, names: IndexNames) -> list[str]:
    """Source topics to rebuild for ``--index`` values (a kind, with or without the prefix).

    ``taskruns`` rebuilds ``executions`` (task runs come from execution snapshots).

    Raises:
        IndexerError: A name that is no rebuildable index.
    """
    if not requested:
        return list(SOURCES)
    chosen: list[str] = []
    for raw in requested:
        name = raw.removeprefix(names.prefix)
        name = "executions" if name == IndexKind.TASKRUNS else name
        if name not in SOURCES:
            known = ", ".join([*SOURCES, str(IndexKind.TASKRUNS)])
            raise IndexerError(f"cannot rebuild {raw!r}: rebuildable indices are {known}")
        if name not in chosen:
            chosen.append(name)
    return chosen


class Rebuilder:
    """Rebuilds indices from topics while the live indexer keeps running."""

    def __init__(
        self,
        settings: KestrelSettings,
        *,
        client: Elasticsearch | None = None,
        progress: RebuildProgress | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Rebuild for ``settings`` through ``client`` (one is made when None)."""
        self._settings = settings
        self._client = client or make_client(settings, max_retries=0)
        self._names = names_for(settings)
        self._topics = Topics.from_settings(settings)
        self._progress = progress
        self._sleep = sleep

    def rebuild(self, requested: Iterable[str] | None = None) -> list[RebuildReport]:
        """Rebuild the indices of ``requested`` sources (all when None), one after another.

        Raises:
            IndexerError: An unknown name, or Elasticsearch refused a request.
            TopicError: A source topic does not exist.
        """
        return [self._rebuild(source) for source in sources_for(requested, self._names)]

    def _rebuild(self, source: str) -> RebuildReport:
        started = time.monotonic()
        spec, kinds = SOURCES[source]
        report = RebuildReport(source)
        self._es(lambda: ensure_templates(self._client, self._names, kinds))
        for kind in kinds:
            report.indices[kind] = self._new_index(kind)
        transformer = Transformer(self._topics, Targets(self._names, dict(report.indices)))
        if self._progress is not None:
            self._progress.started(source, extent(self._settings, spec).records)

        def write(records: list[Record]) -> None:
            self._write(transformer, records, report)
            if self._progress is not None:
                self._progress.advanced(source, len(records))

        resume = scan(self._settings, spec, write)
        former = self._es(lambda: swap_aliases(self._client, self._names, report.indices))
        scan(self._settings, spec, write, start=resume)
        new_indices = ",".join(report.indices.values())
        self._es(lambda: self._client.indices.refresh(index=new_indices))
        report.removed = sorted({old for olds in former.values() for old in olds})
        if report.removed:
            self._es(lambda: delete_indices(self._client, report.removed))
        report.seconds = time.monotonic() - started
        if self._progress is not None:
            self._progress.finished(source)
        LOGGER.info("rebuilt %s into %s", source, report.indices)
        return report

    def _new_index(self, kind: IndexKind) -> str:
        """Create the next physical index of ``kind`` (another process may take a number)."""
        while True:
            index = self._es(functools.partial(next_physical, self._client, self._names, kind))
            if self._es(functools.partial(create_index, self._client, index)):
                return index

    def _write(
        self, transformer: Transformer, records: list[Record], report: RebuildReport
    ) -> None:
        batch = Batch()
        for record in records:
            batch.add(record, transformer.transform(record), 0.0)
        report.records += len(records)
        report.rejected += len(batch.failures)
        pending = batch.actions
        while pending:
            outcome = self._es(functools.partial(send, self._client, pending))
            report.written += outcome.written + outcome.stale
            report.rejected += len(outcome.rejected)
            for action, reason in outcome.rejected[:3]:
                LOGGER.warning("document %s refused: %s", action.id, reason)
            pending = outcome.retry
            if pending:
                self._sleep(1.0)
        touched = touched_by(self._names, batch.actions)
        if batch.purges:
            taskruns = report.indices[IndexKind.TASKRUNS]
            self._es(
                functools.partial(purge_taskruns, self._client, taskruns, sorted(batch.purges))
            )
            purge = functools.partial(
                purge_summaries, self._client, self._names, sorted(batch.purges)
            )
            for day, flows in self._es(purge).items():
                touched.setdefault(day, set()).update(flows)
        stats = report.indices.get(IndexKind.EXECUTION_STATS)
        if touched and stats is not None:
            self._es(
                functools.partial(compute_day_stats, self._client, self._names, touched, stats)
            )

    def _es(self, call: Callable[[], _ResultT]) -> _ResultT:
        """Call Elasticsearch, waiting out unavailability like the live indexer does."""
        backoff = Backoff.from_settings(self._settings.indexer)
        while True:
            try:
                return call_elasticsearch(call)
            except ElasticsearchUnavailableError as exc:
                delay = backoff.next_delay(str(exc))
                LOGGER.warning("%s; trying again in %.1f s", exc, delay)
                self._sleep(delay)
