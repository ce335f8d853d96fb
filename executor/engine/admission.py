"""The admission owner of a flow with a concurrency limit: a pure function of its slots.

One executor instance owns a flow's key on ``concurrency-requests``; it applies each
request and release here, in arrival order, and emits the new slots and its answers. A slot
is held from its grant until its execution is terminal (PAUSED holds it too); queued
executions get free slots first come, first served.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.models.concurrency import FlowSlots, SlotRelease, SlotRequest
from orchestrator.models.flow import ConcurrencyBehavior
from orchestrator.models.messages import SlotDecision, SlotOutcome

_DENIED = {
    ConcurrencyBehavior.CANCEL: SlotOutcome.CANCELLED,
    ConcurrencyBehavior.FAIL: SlotOutcome.FAILED,
}


@dataclass
class Admission:
    """What one request or release changed: the new slots (None: unchanged) and answers."""

    slots: FlowSlots | None = None
    decisions: list[SlotDecision] = field(default_factory=list)


def admit_request(slots: FlowSlots | None, request: SlotRequest) -> Admission:
    """Grant, queue, cancel or fail ``request`` against the flow's current ``slots``.

    A repeated request (a redelivery, or an execution that asks again) gets the answer it got
    before, and changes nothing.
    """
    current = slots or FlowSlots(
        namespace=request.namespace, flow_id=request.flow_id, limit=request.limit
    )
    execution_id = request.execution_id
    if execution_id in current.running:
        return Admission(decisions=[_answer(execution_id, SlotOutcome.GRANTED, current)])
    if execution_id in current.queued:
        return Admission(decisions=[_answer(execution_id, SlotOutcome.QUEUED, current)])
    # The limit of the latest request wins: a redeployed flow may have changed it.
    current = current.model_copy(update={"limit": request.limit})
    if len(current.running) < current.limit and not current.queued:
        granted = current.model_copy(update={"running": (*current.running, execution_id)})
        return Admission(granted, [_answer(execution_id, SlotOutcome.GRANTED, granted)])
    denied = _DENIED.get(request.behavior)
    if denied is not None:
        return Admission(decisions=[_answer(execution_id, denied, current)])
    queued = current.model_copy(update={"queued": (*current.queued, execution_id)})
    admission = _fill(queued)
    admission.decisions.insert(0, _answer(execution_id, SlotOutcome.QUEUED, queued))
    return admission


def release(slots: FlowSlots | None, released: SlotRelease) -> Admission:
    """Free the slot (or the queue place) of an ended execution; start who waits longest."""
    if slots is None:
        return Admission()
    execution_id = released.execution_id
    if execution_id not in slots.running and execution_id not in slots.queued:
        return Admission()  # never held one (cancelled, failed) or released already
    freed = slots.model_copy(
        update={
            "running": tuple(each for each in slots.running if each != execution_id),
            "queued": tuple(each for each in slots.queued if each != execution_id),
        }
    )
    return _fill(freed)


def _fill(slots: FlowSlots) -> Admission:
    """Grant free slots to queued executions, oldest first."""
    running, queued = list(slots.running), list(slots.queued)
    started: list[str] = []
    while queued and len(running) < slots.limit:
        started.append(queued.pop(0))
        running.append(started[-1])
    updated = slots.model_copy(update={"running": tuple(running), "queued": tuple(queued)})
    return Admission(updated, [_answer(each, SlotOutcome.GRANTED, updated) for each in started])


def _answer(execution_id: str, outcome: SlotOutcome, slots: FlowSlots) -> SlotDecision:
    return SlotDecision(execution_id=execution_id, outcome=outcome, limit=slots.limit)


__all__ = ["Admission", "admit_request", "release"]
