"""Deploy, delete, enable and disable flows: new revisions on the ``flows`` topics."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from orchestrator.control.errors import FlowNotFoundError, InvalidFlowError
from orchestrator.flows import FlowProblem, check_source
from orchestrator.kafka import TOPICS, KafkaProducer, read_topic_to_end
from orchestrator.models.flow import Flow
from orchestrator.models.messages import FlowRecord
from orchestrator.settings import KestrelSettings


class FlowSource(Protocol):
    """Where the control plane reads the deployed flows (latest record of each key)."""

    def records(self) -> dict[str, FlowRecord]:
        """Every flow's latest record by ``namespace/id``, deleted ones included."""
        ...

    def get(self, namespace: str, flow_id: str) -> FlowRecord | None:
        """One flow's latest record, deleted or not, or None."""
        ...

    def remember(self, record: FlowRecord) -> None:
        """Take in a record this process just published (read-your-writes)."""
        ...


class TopicFlows:
    """Reads the ``flows`` topic to its end on each question (the CLI: one question)."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Read through ``settings``' Kafka."""
        self._settings = settings
        self._written: dict[str, FlowRecord] = {}

    def records(self) -> dict[str, FlowRecord]:
        """Every flow's latest record, read now."""
        return {**read_topic_to_end(self._settings, TOPICS.flows), **self._written}

    def get(self, namespace: str, flow_id: str) -> FlowRecord | None:
        """One flow's latest record, read now."""
        return self.records().get(flow_key(namespace, flow_id))

    def remember(self, record: FlowRecord) -> None:
        """Keep ``record`` over what the topic says (it may not be readable yet)."""
        self._written[flow_key(record.namespace, record.id)] = record


def flow_key(namespace: str, flow_id: str) -> str:
    """The key of a flow on the ``flows`` topic."""
    return f"{namespace}/{flow_id}"


def live_flow(flows: FlowSource, namespace: str, flow_id: str) -> FlowRecord:
    """The latest record of a deployed flow.

    Raises:
        FlowNotFoundError: never deployed, or deleted.
    """
    record = flows.get(namespace, flow_id)
    if record is None or record.deleted:
        raise FlowNotFoundError(namespace, flow_id)
    return record


@dataclass(frozen=True)
class Deployed:
    """What deploying one source did."""

    name: str
    namespace: str
    flow_id: str
    revision: int
    changed: bool
    record: FlowRecord
    warnings: list[FlowProblem] = field(default_factory=list)


def check_sources(
    sources: Iterable[tuple[str, str]],
) -> list[tuple[str, str, Flow, list[FlowProblem]]]:
    """Check every ``(name, source)``; return each with its flow and warnings.

    Raises:
        InvalidFlowError: with the errors of every invalid source.
    """
    checked = []
    errors: list[FlowProblem] = []
    for name, source in sources:
        check = check_source(source, name)
        if check.flow is None:
            errors += check.errors
        else:
            checked.append((name, source, check.flow, check.warnings))
    if errors:
        raise InvalidFlowError(errors)
    return checked


def publish_flows(
    settings: KestrelSettings,
    flows: FlowSource,
    sources: Iterable[tuple[str, str]],
    *,
    producer: KafkaProducer | None = None,
) -> list[Deployed]:
    """Check every source, then publish a new revision of each that changed (all or nothing).

    Raises:
        InvalidFlowError: a source is not a valid flow (nothing is published).
    """
    checked = check_sources(sources)
    current = flows.records()
    results = []
    with _producer(settings, producer) as send:
        for name, source, flow, warnings in checked:
            key = flow_key(flow.namespace, flow.id)
            existing = current.get(key)
            if existing is not None and existing.source == source and not existing.deleted:
                results.append(
                    Deployed(
                        name, flow.namespace, flow.id, existing.revision, False, existing, warnings
                    )
                )
                continue
            record = _record(flow, source, existing)
            send.send(TOPICS.flows, key, record)
            send.send(TOPICS.flow_revisions, f"{key}/{record.revision}", record)
            current[key] = record
            results.append(
                Deployed(name, flow.namespace, flow.id, record.revision, True, record, warnings)
            )
        send.flush()
    for each in results:
        if each.changed:
            flows.remember(each.record)
    return results


def _record(flow: Flow, source: str, existing: FlowRecord | None) -> FlowRecord:
    revision = existing.revision + 1 if existing is not None else 1
    parsed = flow.model_copy(update={"revision": revision}).to_json_dict()
    return FlowRecord(
        namespace=flow.namespace, id=flow.id, revision=revision, source=source, flow=parsed
    )


def delete_flow(
    settings: KestrelSettings,
    flows: FlowSource,
    namespace: str,
    flow_id: str,
    *,
    producer: KafkaProducer | None = None,
) -> FlowRecord:
    """Mark a flow deleted (a new revision with ``deleted``); return that record.

    Raises:
        FlowNotFoundError: not deployed, or already deleted.
    """
    existing = live_flow(flows, namespace, flow_id)
    record = existing.model_copy(update={"revision": existing.revision + 1, "deleted": True})
    key = flow_key(namespace, flow_id)
    with _producer(settings, producer) as send:
        send.send(TOPICS.flows, key, record)
        send.send(TOPICS.flow_revisions, f"{key}/{record.revision}", record)
        send.flush()
    flows.remember(record)
    return record


_DISABLED_LINE = re.compile(r"^disabled:.*$", re.MULTILINE)


def with_disabled(source: str, disabled: bool) -> str:
    """``source`` with its top-level ``disabled`` property set, as Kestra edits the source."""
    line = f"disabled: {'true' if disabled else 'false'}"
    if _DISABLED_LINE.search(source):
        return _DISABLED_LINE.sub(line, source, count=1)
    return source.rstrip("\n") + "\n" + line + "\n"


def set_flow_disabled(
    settings: KestrelSettings,
    flows: FlowSource,
    namespace: str,
    flow_id: str,
    disabled: bool,
    *,
    producer: KafkaProducer | None = None,
) -> Deployed:
    """Enable or disable a flow: a new revision whose source says ``disabled``.

    Raises:
        FlowNotFoundError: not deployed.
    """
    existing = live_flow(flows, namespace, flow_id)
    source = with_disabled(existing.source, disabled)
    name = f"{namespace}.{flow_id}"
    (result,) = publish_flows(settings, flows, [(name, source)], producer=producer)
    return result


class _Borrowed:
    """A producer the caller owns: flushed here, never closed."""

    def __init__(self, producer: KafkaProducer) -> None:
        self.producer = producer

    def __enter__(self) -> KafkaProducer:
        return self.producer

    def __exit__(self, *exc_info: object) -> None:
        return None


def _producer(
    settings: KestrelSettings, producer: KafkaProducer | None
) -> _Borrowed | KafkaProducer:
    return _Borrowed(producer) if producer is not None else KafkaProducer(settings)
