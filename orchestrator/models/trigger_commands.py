"""Messages of ``trigger-commands``, keyed by the trigger (``ns/flow/trigger``).

The scheduler instance owning the key's partition applies them inside its transaction:
the CLI (and the REST API) enable, disable, unlock and backfill triggers this way, and the
executor reports the end of executions a trigger started or listens to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from orchestrator.models.labels import Labels
from orchestrator.models.messages import Message
from orchestrator.models.state import StateType, utcnow


class _TriggerCommand(Message):
    namespace: str
    flow_id: str
    trigger_id: str
    at: datetime = Field(default_factory=utcnow)


class SetTriggerEnabled(_TriggerCommand):
    """Enable or disable a trigger (a re-enabled schedule recovers as its policy says)."""

    type: Literal["trigger-enabled"] = "trigger-enabled"
    enabled: bool


class UnlockTrigger(_TriggerCommand):
    """Forget the execution a trigger is locked to, so that its next slot may fire."""

    type: Literal["trigger-unlock"] = "trigger-unlock"


class StartBackfill(_TriggerCommand):
    """Fire a schedule's slots from ``start`` to ``end`` (now, when None)."""

    type: Literal["backfill-start"] = "backfill-start"
    start: datetime
    end: datetime | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: Labels = ()


class ChangeBackfill(_TriggerCommand):
    """Pause, resume or delete the running backfill of a schedule."""

    type: Literal["backfill-change"] = "backfill-change"
    action: Literal["pause", "resume", "delete"]


class ExecutionEnded(_TriggerCommand):
    """An execution ended (sent by the executor, in its transaction).

    It releases the lock of the trigger that started it, or it is an upstream execution
    for a flow trigger.
    """

    type: Literal["execution-ended"] = "execution-ended"
    execution_id: str
    execution_namespace: str
    execution_flow_id: str
    flow_revision: int
    state: StateType
    labels: Labels = ()
    outputs: dict[str, Any] = Field(default_factory=dict)
    started_by_trigger: bool = False
    ended: datetime = Field(default_factory=utcnow)


TriggerCommand = Annotated[
    SetTriggerEnabled | UnlockTrigger | StartBackfill | ChangeBackfill | ExecutionEnded,
    Field(discriminator="type"),
]
"""Any message of ``trigger-commands``."""
