"""Controlling triggers from outside the scheduler: the CLI's and the REST API's functions.

Each function checks that the trigger exists (a clear error otherwise), then produces one
command to ``trigger-commands``, keyed by the trigger; the scheduler owning the key applies
it in its next transaction. `list_triggers` reads the compacted ``triggers`` topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from orchestrator.kafka import TOPICS, partition_for, read_topic_to_end
from orchestrator.kafka import send_command as send_one
from orchestrator.models.flow import Flow
from orchestrator.models.labels import Label
from orchestrator.models.messages import FlowRecord, TriggerState
from orchestrator.models.trigger_commands import (
    ChangeBackfill,
    SetTriggerEnabled,
    StartBackfill,
    TriggerCommand,
    UnlockTrigger,
)
from orchestrator.models.trigger_parts import trigger_key
from orchestrator.models.triggers import Schedule, Trigger
from orchestrator.scheduler.errors import SchedulerError
from orchestrator.settings import KestrelSettings


class UnknownTriggerError(SchedulerError):
    """No deployed flow declares the trigger."""


def find_trigger(
    settings: KestrelSettings, namespace: str, flow_id: str, trigger_id: str
) -> Trigger:
    """The trigger as declared in the latest revision of its flow.

    Raises:
        UnknownTriggerError: The flow is not deployed, or does not declare the trigger.
    """
    flow_key = f"{namespace}/{flow_id}"
    partitions = TOPICS.flows.partitions_for(settings.kafka.partitions)
    records = read_topic_to_end(
        settings, TOPICS.flows, partitions=[partition_for(flow_key, partitions)]
    )
    record = records.get(flow_key)
    if not isinstance(record, FlowRecord) or record.deleted:
        raise UnknownTriggerError(f"flow {namespace}.{flow_id} is not deployed")
    flow = Flow.model_validate(record.flow)
    for trigger in flow.triggers:
        if trigger.id == trigger_id:
            return trigger
    declared = ", ".join(each.id for each in flow.triggers) or "none"
    raise UnknownTriggerError(
        f"flow {namespace}.{flow_id} has no trigger {trigger_id!r} (its triggers: {declared})"
    )


def send_command(settings: KestrelSettings, command: TriggerCommand) -> None:
    """Produce ``command`` to ``trigger-commands`` under its trigger's key."""
    key = trigger_key(command.namespace, command.flow_id, command.trigger_id)
    send_one(settings, TOPICS.trigger_commands, key, command)


def set_enabled(
    settings: KestrelSettings, namespace: str, flow_id: str, trigger_id: str, enabled: bool
) -> None:
    """Enable or disable a trigger."""
    find_trigger(settings, namespace, flow_id, trigger_id)
    send_command(
        settings,
        SetTriggerEnabled(
            namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, enabled=enabled
        ),
    )


def unlock(settings: KestrelSettings, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Release a trigger locked to an execution."""
    find_trigger(settings, namespace, flow_id, trigger_id)
    send_command(
        settings, UnlockTrigger(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id)
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def start_backfill(
    settings: KestrelSettings,
    namespace: str,
    flow_id: str,
    trigger_id: str,
    *,
    start: datetime,
    end: datetime | None = None,
    inputs: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> None:
    """Start a backfill of a Schedule trigger (naive dates are UTC).

    Raises:
        UnknownTriggerError: No such trigger.
        SchedulerError: The trigger is not a Schedule, or ``end`` is before ``start``.
    """
    trigger = find_trigger(settings, namespace, flow_id, trigger_id)
    if not isinstance(trigger, Schedule):
        raise SchedulerError(
            f"trigger {trigger_id!r} is a {trigger.type}: only a Schedule backfills"
        )
    start = _aware(start)
    end = _aware(end) if end is not None else None
    if end is not None and end < start:
        raise SchedulerError(f"--end {end.isoformat()} is before --start {start.isoformat()}")
    send_command(
        settings,
        StartBackfill(
            namespace=namespace,
            flow_id=flow_id,
            trigger_id=trigger_id,
            start=start,
            end=end,
            inputs=inputs or {},
            labels=tuple(Label(key=k, value=v) for k, v in (labels or {}).items()),
        ),
    )


def change_backfill(
    settings: KestrelSettings,
    namespace: str,
    flow_id: str,
    trigger_id: str,
    action: Literal["pause", "resume", "delete"],
) -> None:
    """Pause, resume or delete the backfill of a Schedule trigger."""
    find_trigger(settings, namespace, flow_id, trigger_id)
    send_command(
        settings,
        ChangeBackfill(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, action=action),
    )


def list_triggers(settings: KestrelSettings, namespace: str | None = None) -> list[TriggerState]:
    """Every trigger's state (of ``namespace`` and its children, when given), sorted by key."""
    states = read_topic_to_end(settings, TOPICS.triggers)
    found = [
        state
        for state in states.values()
        if namespace is None
        or state.namespace == namespace
        or state.namespace.startswith(f"{namespace}.")
    ]
    return sorted(found, key=lambda s: (s.namespace, s.flow_id, s.trigger_id))


__all__ = [
    "UnknownTriggerError",
    "change_backfill",
    "find_trigger",
    "list_triggers",
    "send_command",
    "set_enabled",
    "start_backfill",
    "unlock",
]
