"""Within one poll, only the last snapshot of an execution is turned into documents."""

from __future__ import annotations

from kafka_samples import EXECUTION_ID

from indexer.transform import Targets, Transformer
from orchestrator.kafka import Record, Topics, encode, encode_key
from orchestrator.models.execution import Execution
from orchestrator.repository.indices import IndexNames

TOPICS = Topics("kestrel.")


def _record(offset: int, value: bytes) -> Record:
    return Record(TOPICS.executions, 0, offset, encode_key(EXECUTION_ID), value)


def test_check_reads_without_building_documents() -> None:
    transformer = Transformer(TOPICS, Targets(IndexNames()))
    snapshot = Execution(id=EXECUTION_ID, namespace="n", flow_id="f", flow_revision=1, seq=3)
    checked = transformer.check(_record(1, encode(snapshot)))
    assert checked.failure is None and checked.actions == ()
    assert transformer.transform(_record(1, encode(snapshot))).actions  # the full path builds
    broken = transformer.check(_record(2, b"{not json"))
    assert broken.failure  # a malformed superseded record still goes to dead letters
