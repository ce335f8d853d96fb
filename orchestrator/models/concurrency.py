"""Messages of a flow's global concurrency limit: admission serialised per flow.

Executions are partitioned by execution id, but a concurrency limit is about every
execution of a flow. So admission has its own owner: the ``concurrency-requests`` topic is
keyed ``namespace/flow`` and the executor instance owning that key's partition decides for
the whole flow (grant, queue, cancel or fail), keeping the flow's slots in the compacted
``concurrency-slots`` topic. Requests, decisions and slot state are written in the
executor's transactions, so a crash neither leaks nor double-grants a slot.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from orchestrator.models.flow import ConcurrencyBehavior
from orchestrator.models.messages import Message


def flow_key(namespace: str, flow_id: str) -> str:
    """The key of a flow's admission records: ``namespace/flow``."""
    return f"{namespace}/{flow_id}"


class SlotRequest(Message):
    """An execution asks for a running slot of its flow (at start, or at a restart)."""

    type: Literal["slot-request"] = "slot-request"
    namespace: str
    flow_id: str
    execution_id: str
    limit: int = Field(ge=1)
    behavior: ConcurrencyBehavior = ConcurrencyBehavior.QUEUE


class SlotRelease(Message):
    """An execution ended (or was deleted): its slot, or its place in the queue, is freed."""

    type: Literal["slot-release"] = "slot-release"
    namespace: str
    flow_id: str
    execution_id: str


ConcurrencyMessage = Annotated[SlotRequest | SlotRelease, Field(discriminator="type")]
"""Any message of ``concurrency-requests``."""


class FlowSlots(Message):
    """Who holds a flow's slots and who waits, in arrival order (``concurrency-slots``)."""

    type: Literal["flow-slots"] = "flow-slots"
    namespace: str
    flow_id: str
    limit: int = Field(ge=1)
    running: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()


__all__ = [
    "ConcurrencyMessage",
    "FlowSlots",
    "SlotRelease",
    "SlotRequest",
    "flow_key",
]
