"""The triggers of every deployed flow, followed from the compacted ``flows`` topic.

Every scheduler instance reads all partitions (no group), like the executor's flow store;
each instance then acts only on the trigger keys of its own partitions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError

from orchestrator.kafka import TOPICS, DeserializationError, Record, TopicTail
from orchestrator.models.flow import Flow
from orchestrator.models.messages import FlowRecord
from orchestrator.models.trigger_parts import trigger_key
from orchestrator.models.triggers import Trigger
from orchestrator.scheduler.decision import FlowRef
from orchestrator.settings import KestrelSettings

log = logging.getLogger("kestrel.scheduler.flows")


@dataclass(frozen=True)
class TriggerDefinition:
    """A trigger as declared in the latest revision of its flow."""

    key: str
    ref: FlowRef
    trigger: Trigger

    @property
    def active(self) -> bool:
        """Neither the trigger nor its flow is disabled in the YAML."""
        return not (self.trigger.disabled or self.ref.flow.disabled)


def definitions_of(record: FlowRecord) -> dict[str, TriggerDefinition]:
    """The trigger definitions of a flow record (none for a deleted or invalid flow).

    Raises:
        ValidationError: The stored flow is not a valid flow.
    """
    if record.deleted:
        return {}
    flow = Flow.model_validate(record.flow)
    ref = FlowRef(flow, record.revision)
    return {
        key: TriggerDefinition(key, ref, trigger)
        for trigger in flow.triggers
        if (key := trigger_key(flow.namespace, flow.id, trigger.id))
    }


class TriggerDefinitions:
    """Follows ``flows``; knows every trigger by key and which keys changed."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Start following ``flows`` from its beginning."""
        self._tail = TopicTail(settings, [TOPICS.flows])
        self._by_flow: dict[str, dict[str, TriggerDefinition]] = {}
        self.by_key: dict[str, TriggerDefinition] = {}

    def poll(self) -> set[str]:
        """Take in the flow records available now; return the trigger keys that changed."""
        return self._take_all(self._tail.poll(timeout=0.0))

    def catch_up(self, timeout: float = 30.0) -> tuple[bool, set[str]]:
        """Read ``flows`` to its end (at start: before acting on any trigger)."""
        reached, records = self._tail.catch_up(timeout)
        return reached, self._take_all(records)

    def _take_all(self, records: list[Record]) -> set[str]:
        changed: set[str] = set()
        for record in records:
            changed |= self._take(record)
        return changed

    def _take(self, record: Record) -> set[str]:
        flow_key = record.key_str or ""
        try:
            value = record.decoded(TOPICS.flows)
            found = definitions_of(value) if isinstance(value, FlowRecord) else {}
        except (DeserializationError, ValidationError) as exc:
            # The flow was valid when deployed; keep its previous triggers rather than
            # stopping them because of a record this version cannot read.
            log.error("ignoring an unreadable flow record %s: %s", flow_key, exc)
            return set()
        previous = self._by_flow.get(flow_key, {})
        for key in previous.keys() - found.keys():
            del self.by_key[key]
        self.by_key.update(found)
        if found:
            self._by_flow[flow_key] = found
        else:
            self._by_flow.pop(flow_key, None)
        return previous.keys() | found.keys()

    def close(self) -> None:
        """Stop following."""
        self._tail.close()
