"""What a scheduler decision is, and the pieces every trigger type builds one from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestrator.models.execution import ExecutionTrigger, new_id
from orchestrator.models.flow import Flow
from orchestrator.models.labels import Label, Labels
from orchestrator.models.messages import CreateExecution, TriggerState
from orchestrator.models.triggers import Trigger
from orchestrator.templating import TemplateError, TemplateRenderer


@dataclass(frozen=True)
class FlowRef:
    """The flow revision a trigger belongs to."""

    flow: Flow
    revision: int

    @property
    def namespace(self) -> str:
        """The flow's namespace."""
        return self.flow.namespace

    @property
    def flow_id(self) -> str:
        """The flow's id."""
        return self.flow.id


@dataclass(frozen=True)
class Firing:
    """One execution a trigger starts, and the date it was due (for the delay metric)."""

    create: CreateExecution
    due: datetime


@dataclass(frozen=True)
class Decision:
    """The outcome of evaluating a trigger or applying a command to it.

    Attributes:
        state: The new state to write; None when nothing changed.
        firings: The executions to create, in the same transaction as ``state``.
        problem: Why a command could not be applied (it goes to dead-letters).
    """

    state: TriggerState | None = None
    firings: tuple[Firing, ...] = ()
    problem: str | None = None


def new_state(ref: FlowRef, trigger: Trigger, now: datetime) -> TriggerState:
    """The first state of a trigger."""
    return TriggerState(
        namespace=ref.namespace,
        flow_id=ref.flow_id,
        trigger_id=trigger.id,
        flow_revision=ref.revision,
        trigger_type=trigger.type,
        updated=now,
    )


def merge_labels(*groups: Labels) -> tuple[Label, ...]:
    """Labels of several sources; a later source wins for a key."""
    merged: dict[str, Label] = {}
    for group in groups:
        for label in group:
            merged[label.key] = label
    return tuple(merged.values())


def build_create(
    ref: FlowRef,
    trigger: Trigger,
    variables: dict[str, Any],
    *,
    inputs: dict[str, Any],
    labels: Labels = (),
    schedule_date: datetime | None = None,
    renderer: TemplateRenderer | None = None,
    now: datetime,
) -> CreateExecution:
    """The Create command of an execution started by ``trigger``.

    Inputs are rendered with the trigger's variables (``{{ trigger.outputs.x }}``); an input
    that cannot be rendered is passed as written, and the flow's input validation names it.
    """
    rendered = inputs
    if renderer is not None and inputs:
        try:
            rendered = renderer.render_recursive(
                inputs, {"trigger": variables}, task_id=trigger.id, property_path="inputs"
            )
        except TemplateError:
            rendered = inputs
    return CreateExecution(
        execution_id=new_id(),
        namespace=ref.namespace,
        flow_id=ref.flow_id,
        flow_revision=ref.revision,
        inputs=dict(rendered),
        labels=merge_labels(ref.flow.labels, trigger.labels, labels),
        trigger=ExecutionTrigger(id=trigger.id, type=trigger.type, variables=variables),
        schedule_date=schedule_date,
        created=now,
    )


def fired(state: TriggerState, create: CreateExecution, now: datetime, lock: bool) -> TriggerState:
    """``state`` after starting ``create`` (locked to it when ``lock``)."""
    return state.model_copy(
        update={
            "execution_id": create.execution_id if lock else state.execution_id,
            "last_execution_id": create.execution_id,
            "fired": state.fired + 1,
            "updated": now,
        }
    )
