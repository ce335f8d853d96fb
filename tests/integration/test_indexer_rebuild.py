from __future__ import annotations

import pytest
from indexer_samples import flow_record, quick, running, snapshots, trigger_state
from indexer_samples import wait_until as wait

from indexer.rebuild import Rebuilder, RebuildReport
from indexer.service import Indexer
from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics
from orchestrator.models.state import StateType
from orchestrator.repository import ALIASED_KINDS, IndexKind, Repositories
from orchestrator.repository.admin import alias_targets, physical_indices
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []

    def started(self, source: str, total: int) -> None:
        self.events.append(("started", source, total))

    def advanced(self, source: str, records: int) -> None:
        self.events.append(("advanced", source, records))

    def finished(self, source: str) -> None:
        self.events.append(("finished", source, 0))


def counts(repos: Repositories) -> dict[IndexKind, int]:
    return {
        kind: int(
            repos.client.count(index=repos.names.alias(kind), ignore_unavailable=True).body["count"]
        )
        for kind in ALIASED_KINDS
    }


def test_rebuild_after_deleting_the_indices_restores_the_same_counts(
    settings: KestrelSettings,
) -> None:
    settings = quick(settings)
    ensure_topics(settings)
    with KafkaProducer(settings) as producer:
        for n in range(6):
            final = StateType.FAILED if n % 3 == 0 else StateType.SUCCESS
            for snapshot in snapshots(f"exec-{n}", final, flow_id=f"flow-{n % 2}"):
                producer.send(TOPICS.executions, snapshot.id, snapshot)
        producer.send(TOPICS.executions, "exec-5", None)  # deleted: stays deleted
        for flow_id in ("a", "b", "c"):
            for revision in (1, 2):
                record = flow_record("company", flow_id, revision)
                producer.send(TOPICS.flows, f"company/{flow_id}", record)
                producer.send(TOPICS.flow_revisions, f"company/{flow_id}/{revision}", record)
        producer.send(TOPICS.flows, "company/c", None)
        for trigger_id in ("hourly", "daily"):
            state = trigger_state("company", "a", trigger_id)
            producer.send(TOPICS.triggers, f"company/a/{trigger_id}", state)
    expected = {
        IndexKind.FLOWS: 2,
        IndexKind.FLOW_REVISIONS: 6,
        IndexKind.EXECUTIONS: 5,
        IndexKind.TASKRUNS: 10,
        IndexKind.TRIGGERS: 2,
        IndexKind.EXECUTION_STATS: 2,  # one day, two flows
    }
    indexer = Indexer(settings)
    with running(indexer), Repositories.from_settings(settings) as repos:
        wait(lambda: counts(repos) == expected, what=f"indexed {expected}")
        before = {item.id: item.state for item in repos.executions.find(size=100).items}

        # Lose every index while the indexer runs, then rebuild from the topics.
        doomed = [
            i for kind in ALIASED_KINDS for i in physical_indices(repos.client, repos.names, kind)
        ]
        repos.client.indices.delete(index=",".join(doomed))
        assert counts(repos) == dict.fromkeys(ALIASED_KINDS, 0)
        progress = Recorder()
        reports = Rebuilder(settings, progress=progress).rebuild()

        assert counts(repos) == expected
        after = {item.id: item.state for item in repos.executions.find(size=100).items}
        assert after == before
        assert {report.source for report in reports} == {
            "flows",
            "flow-revisions",
            "executions",
            "triggers",
        }
        executions = next(report for report in reports if report.source == "executions")
        assert executions.records == 19 and executions.rejected == 0
        assert ("finished", "executions", 0) in progress.events
        assert sum(n for kind, source, n in progress.events if kind == "advanced") == sum(
            report.records for report in reports
        )
        for kind in ALIASED_KINDS:
            assert alias_targets(repos.client, repos.names, kind) == [reports_index(reports, kind)]
        # External versions survive a rebuild: the document's version is the snapshot seq.
        document = repos.client.get(index=repos.names.alias(IndexKind.EXECUTIONS), id="exec-1")
        assert document.body["_version"] == 3

        # The live indexer keeps writing through the swapped aliases.
        with KafkaProducer(settings) as producer:
            for snapshot in snapshots("exec-after", StateType.WARNING):
                producer.send(TOPICS.executions, snapshot.id, snapshot)
        wait(lambda: counts(repos)[IndexKind.EXECUTIONS] == 6, what="new execution indexed")
        again = Rebuilder(settings).rebuild(["taskruns"])
        assert [report.source for report in again] == ["executions"]
        assert counts(repos)[IndexKind.TASKRUNS] == 12
        assert len(physical_indices(repos.client, repos.names, IndexKind.EXECUTIONS)) == 1


def reports_index(reports: list[RebuildReport], kind: IndexKind) -> str:
    return next(report.indices[kind] for report in reports if kind in report.indices)
