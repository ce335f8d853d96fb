"""Execution snapshots are indexed once per flush: the latest one of each execution."""

from __future__ import annotations

from kafka_samples import EXECUTION_ID

from indexer.batch import Batch
from indexer.transform import Targets, Transformer
from orchestrator.kafka import Record, Topics, encode, encode_key
from orchestrator.models.execution import Execution
from orchestrator.repository.indices import IndexNames

TOPICS = Topics("kestrel.")
TRANSFORMER = Transformer(TOPICS, Targets(IndexNames()))


def _record(offset: int, value: bytes | None) -> Record:
    return Record(TOPICS.executions, 0, offset, encode_key(EXECUTION_ID), value)


def _snapshot(seq: int) -> bytes:
    return encode(Execution(id=EXECUTION_ID, namespace="n", flow_id="f", flow_revision=1, seq=seq))


def test_check_reads_without_building_documents() -> None:
    checked = TRANSFORMER.check(_record(1, _snapshot(3)))
    assert checked.failure is None and checked.actions == ()
    assert TRANSFORMER.check(_record(2, b"{not json")).failure  # still a dead letter


def test_only_the_latest_deferred_snapshot_becomes_documents() -> None:
    batch = Batch()
    for offset, seq in enumerate((1, 2, 3)):
        batch.defer(_record(offset, _snapshot(seq)), now=0.0)
    assert len(batch) == 1 and batch.commit_offsets()[0].offset == 3
    batch.build(TRANSFORMER.transform)
    versions = {a.version for a in batch.actions if a.target[0].endswith("executions")}
    assert versions == {3}


def test_a_tombstone_after_a_deferred_snapshot_wins() -> None:
    batch = Batch()
    batch.defer(_record(0, _snapshot(5)), now=0.0)
    batch.forget_snapshot(_record(1, None))
    batch.add(_record(1, None), TRANSFORMER.transform(_record(1, None)), now=0.0)
    batch.build(TRANSFORMER.transform)
    kinds = {a.op for a in batch.actions if a.target[0].endswith("executions")}
    assert kinds == {"delete"}
