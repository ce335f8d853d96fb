"""An execution's side of its flow's concurrency limit: ask for a slot, obey, give it back.

The decision itself belongs to the flow's admission owner (`executor.engine.admission`);
the execution only waits for its answer, in CREATED (a new one), QUEUED (told to wait) or
RESTARTED (a restart of an ended one).
"""

from __future__ import annotations

from executor.engine.work import Work
from orchestrator.models.concurrency import SlotRelease, SlotRequest
from orchestrator.models.messages import SlotDecision, SlotOutcome
from orchestrator.models.state import StateType
from orchestrator.tasks.base import LogLevel

WAITING = (StateType.CREATED, StateType.QUEUED, StateType.RESTARTED)
"""States of an execution waiting for its slot (the engine does not advance them)."""


def request_slot(work: Work) -> bool:
    """Ask for a slot when the flow has a concurrency limit; False when it has none."""
    limit = work.flow.concurrency
    if limit is None:
        return False
    work.admission.append(
        SlotRequest(
            namespace=work.original.namespace,
            flow_id=work.original.flow_id,
            execution_id=work.original.id,
            limit=limit.limit,
            behavior=limit.behavior,
        )
    )
    return True


def release_slot(work: Work) -> None:
    """Give back the slot (or the queue place) of an execution that ended or was deleted."""
    if work.flow.concurrency is None:
        return
    work.admission.append(
        SlotRelease(
            namespace=work.original.namespace,
            flow_id=work.original.flow_id,
            execution_id=work.original.id,
        )
    )


def apply_slot(work: Work, decision: SlotDecision) -> StateType | None:
    """Apply the owner's answer; return a final state to end the execution with, if any.

    A grant that reaches an execution no longer waiting (killed while queued) is handed
    back at once, so the slot is not held by an execution that will never run.
    """
    state = work.state.current
    outcome = decision.outcome
    if state not in WAITING:
        if state.is_terminated and outcome is SlotOutcome.GRANTED:
            release_slot(work)
        return None
    if outcome is SlotOutcome.GRANTED:
        work.set_state(StateType.RUNNING)
    elif outcome is SlotOutcome.QUEUED:
        work.set_state(StateType.QUEUED)
    elif outcome is SlotOutcome.CANCELLED:
        return StateType.CANCELLED
    else:
        work.log(LogLevel.ERROR, "Flow is FAILED due to concurrency limit exceeded")
        return StateType.FAILED
    return None


__all__ = ["WAITING", "apply_slot", "release_slot", "request_slot"]
