"""Realtime triggers: a plugin interface, and the pure decision on the messages received.

A realtime trigger holds a long-lived subscription to a message source (a Kafka topic, an
AMQP queue...) and starts one execution per message, its ``trigger`` variables carrying
the message. A plugin subclasses `RealtimeTrigger` and implements `subscribe`, which
returns a `RealtimeSource`: `receive` waits for messages, `acknowledge` tells the source
the messages received so far are handled, `close` ends the subscription.

The scheduler (`subscriptions.py`) runs each source in a thread of its own, on the instance
that owns the trigger's partition only. It hands each batch received to the scheduler
loop, which creates the executions in its Kafka transaction; only once that transaction
is committed does the thread acknowledge the batch. A crash or a revocation in between
leaves the batch unacknowledged, and the source delivers it again to the next owner: no
message is lost, and one is duplicated only if the acknowledgement itself fails after the
commit (exactly-once-ish, like Kestra).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orchestrator.models.messages import TriggerState
from orchestrator.models.triggers import Trigger
from orchestrator.scheduler.decision import Decision, Firing, FlowRef, build_create, fired
from orchestrator.templating import TemplateRenderer

RECEIVE_TIMEOUT = 0.2
"""Seconds a `RealtimeSource.receive` call waits at most: how soon a stop is noticed."""


@dataclass(frozen=True)
class RealtimeContext:
    """What a subscription may use: the renderer and the flow it belongs to."""

    renderer: TemplateRenderer
    ref: FlowRef

    @property
    def variables(self) -> dict[str, Any]:
        """The variables the trigger's properties are rendered with."""
        return {"flow": {"namespace": self.ref.namespace, "id": self.ref.flow_id}}

    def render(self, trigger: Trigger, value: Any, property_path: str) -> Any:
        """Render one property of ``trigger`` (strings, dicts and lists)."""
        return self.renderer.render_recursive(
            value, self.variables, task_id=trigger.id, property_path=property_path
        )


class RealtimeSource(Protocol):
    """An open subscription; every call comes from the one thread that opened it."""

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        """Wait up to ``timeout`` seconds; return the messages received (as variables)."""

    def acknowledge(self) -> None:
        """Acknowledge every message `receive` returned so far (their executions exist)."""

    def close(self) -> None:
        """End the subscription; unacknowledged messages go back to the source."""


class RealtimeTrigger(Trigger):
    """Base class of realtime triggers: subclasses implement `subscribe`."""

    def subscribe(self, context: RealtimeContext) -> RealtimeSource:  # pragma: no cover
        """Connect and subscribe; return the open source.

        Raises:
            Exception: the source cannot be reached; the message names the trigger and the
                server, never a password. The scheduler logs it and tries again later.
        """
        raise NotImplementedError


def after_messages(
    trigger: RealtimeTrigger,
    state: TriggerState,
    ref: FlowRef,
    messages: list[dict[str, Any]],
    now: datetime,
    renderer: TemplateRenderer | None = None,
) -> Decision:
    """The executions the messages start (one each) and the trigger's state after them.

    A realtime trigger does not wait for the executions it starts to end (Kestra starts
    one per message as they come), so the state is never locked to one.
    """
    updated = state.model_copy(update={"trigger_type": trigger.type, "updated": now})
    firings = []
    for message in messages:
        create = build_create(
            ref, trigger, message, inputs=trigger.inputs, renderer=renderer, now=now
        )
        updated = fired(updated, create, now, lock=False)
        firings.append(Firing(create, now))
    return Decision(updated.model_copy(update={"last_date": now}), tuple(firings))


__all__ = [
    "RECEIVE_TIMEOUT",
    "RealtimeContext",
    "RealtimeSource",
    "RealtimeTrigger",
    "after_messages",
]
