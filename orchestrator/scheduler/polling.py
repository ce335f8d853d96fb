"""Polling triggers: a plugin interface, and the pure decision on what a poll found.

A polling trigger is a `Trigger` subclass with an ``interval`` and an `evaluate` method
that looks at the outside world and returns zero or more `Poll` results, each becoming one
execution with its ``trigger`` variables. Third parties register theirs under the
``kestrel.triggers`` entry-point group (``name = "module:Class"``), like task types.

The scheduler calls `evaluate` in a thread pool, never in its loop, one evaluation of a
trigger at a time; the executions it finds are created in the same transaction as the
state that moves the trigger's next poll forward. Like schedules, a polling trigger waits
for the execution it started to end before it polls again (Kestra: one active run per
trigger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from orchestrator.models.duration import Duration
from orchestrator.models.messages import TriggerState
from orchestrator.models.triggers import Trigger
from orchestrator.scheduler.decision import Decision, Firing, FlowRef, build_create, fired
from orchestrator.templating import TemplateRenderer


@dataclass(frozen=True)
class PollContext:
    """What an evaluation may use: the renderer, the flow, and the time."""

    renderer: TemplateRenderer
    ref: FlowRef
    now: datetime
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Poll:
    """One execution a poll asks for, with its ``trigger`` variables."""

    variables: dict[str, Any]


class PollingTrigger(Trigger):
    """Base class of polling triggers: subclasses implement `evaluate`."""

    interval: Duration = Field(default=timedelta(seconds=60))

    def evaluate(self, context: PollContext) -> list[Poll]:  # pragma: no cover - abstract
        """Look at the outside world; return the executions to start (none: nothing new).

        Runs in a worker thread of the scheduler; it may block (network), but should
        finish within ``interval``. An exception is logged and the trigger polls again at
        its next interval.
        """
        raise NotImplementedError


def poll_due(state: TriggerState, now: datetime) -> bool:
    """Whether the trigger must be polled now (its next poll date passed, not locked)."""
    return (
        not state.disabled
        and state.execution_id is None
        and (state.next_date is None or state.next_date <= now)
    )


def after_poll(
    trigger: PollingTrigger,
    state: TriggerState,
    ref: FlowRef,
    polls: list[Poll],
    now: datetime,
    renderer: TemplateRenderer | None = None,
) -> Decision:
    """The state after a poll (next poll one interval later) and the executions it starts."""
    updated = state.model_copy(
        update={"next_date": now + trigger.interval, "updated": now, "trigger_type": trigger.type}
    )
    firings = []
    for index, poll in enumerate(polls):
        create = build_create(
            ref, trigger, poll.variables, inputs=trigger.inputs, renderer=renderer, now=now
        )
        # Locked to the last execution it starts: the next poll waits for its end.
        updated = fired(updated, create, now, lock=index == len(polls) - 1)
        updated = updated.model_copy(update={"last_date": now})
        firings.append(Firing(create, state.next_date or now))
    return Decision(updated, tuple(firings))
