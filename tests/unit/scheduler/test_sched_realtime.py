"""Realtime triggers without a broker: the decision on messages, and the subscriptions'
hand-over protocol (acknowledged only once committed) on an in-memory source."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from scheduler_harness import RENDERER, at

from orchestrator.models.flow import Flow
from orchestrator.models.messages import TriggerState
from orchestrator.scheduler.decision import FlowRef, new_state
from orchestrator.scheduler.definitions import TriggerDefinition
from orchestrator.scheduler.realtime import RealtimeContext, RealtimeTrigger, after_messages
from orchestrator.scheduler.subscriptions import Delivery, Subscriptions


class MemorySource:
    """Messages waiting in memory; acknowledged ones are removed, the others come back."""

    def __init__(self, waiting: list[str]) -> None:
        self.waiting = waiting
        self.handed: list[str] = []
        self.acknowledged: list[str] = []
        self.closed = threading.Event()

    def receive(self, timeout: float) -> list[dict[str, Any]]:
        if self.handed or not self.waiting:
            time.sleep(min(timeout, 0.01))  # a real source blocks up to timeout here
            return []
        self.handed = self.waiting[:2]
        return [{"data": each} for each in self.handed]

    def acknowledge(self) -> None:
        self.acknowledged += self.handed
        self.waiting = self.waiting[len(self.handed) :]
        self.handed = []

    def close(self) -> None:
        self.handed = []  # unacknowledged: delivered again on the next subscribe
        self.closed.set()


class MemoryTrigger(RealtimeTrigger):
    type_name: ClassVar[str] = "tests.MemoryTrigger"
    sources: ClassVar[dict[str, MemorySource]] = {}

    def subscribe(self, context: RealtimeContext) -> MemorySource:
        return self.sources[self.id]


FLOW = Flow.model_validate(
    {
        "id": "flow",
        "namespace": "tests.sched",
        "tasks": [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
    }
)


def definition(trigger_id: str, **extra: Any) -> TriggerDefinition:
    trigger = MemoryTrigger(id=trigger_id, type="tests.MemoryTrigger", **extra)
    return TriggerDefinition(f"tests.sched/flow/{trigger_id}", FlowRef(FLOW, 1), trigger)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
    return found


def test_after_messages_starts_one_unlocked_execution_per_message() -> None:
    each = definition("rt")
    assert isinstance(each.trigger, RealtimeTrigger)
    state = new_state(each.ref, each.trigger, at("2024-03-10T06:00"))
    messages = [{"data": "a"}, {"data": "b"}, {"data": "c"}]
    decision = after_messages(each.trigger, state, each.ref, messages, at("2024-03-10T06:01"))
    assert [f.create.trigger.variables for f in decision.firings if f.create.trigger] == messages
    assert decision.state is not None
    assert decision.state.fired == 3 and decision.state.execution_id is None
    assert decision.state.last_execution_id == decision.firings[-1].create.execution_id


def test_a_batch_is_acknowledged_only_once_committed() -> None:
    MemoryTrigger.sources["ack"] = source = MemorySource(["a", "b", "c"])
    each = definition("ack")
    subscriptions = Subscriptions(RENDERER)
    try:
        subscriptions.sync([each.key], {each.key: each}, lambda _: None, lambda _: True)
        (delivery,) = wait_for(subscriptions.take, "a delivery")
        assert [m["data"] for m in delivery.messages] == ["a", "b"]
        assert source.acknowledged == []
        delivery.settle(committed=True)
        wait_for(lambda: source.acknowledged == ["a", "b"], "the acknowledgement")
        (second,) = wait_for(subscriptions.take, "the next delivery")
        assert [m["data"] for m in second.messages] == ["c"]
    finally:
        subscriptions.close()


def test_a_dropped_batch_is_never_acknowledged_and_comes_again() -> None:
    MemoryTrigger.sources["drop"] = source = MemorySource(["a"])
    each = definition("drop")
    subscriptions = Subscriptions(RENDERER)
    try:
        subscriptions.sync([each.key], {each.key: each}, lambda _: None, lambda _: True)
        (first,) = wait_for(subscriptions.take, "a delivery")
        first.settle(committed=False)  # the transaction did not happen
        (again,) = wait_for(subscriptions.take, "the same message again")
        assert [m["data"] for m in again.messages] == ["a"] and source.acknowledged == []
    finally:
        subscriptions.close()


def test_a_revoked_or_disabled_trigger_is_unsubscribed() -> None:
    MemoryTrigger.sources["rev"] = source = MemorySource([])
    each = definition("rev")
    subscriptions = Subscriptions(RENDERER)
    definitions = {each.key: each}
    try:
        subscriptions.sync([each.key], definitions, lambda _: None, lambda _: True)
        assert subscriptions.subscribed() == {each.key}
        subscriptions.sync([each.key], definitions, lambda _: None, lambda _: False)
        assert subscriptions.subscribed() == set()
        wait_for(source.closed.is_set, "the source closed")
        disabled = TriggerState(
            namespace="tests.sched",
            flow_id="flow",
            trigger_id="rev",
            flow_revision=1,
            disabled=True,
        )
        subscriptions.sync([each.key], definitions, lambda _: disabled, lambda _: True)
        assert subscriptions.subscribed() == set()
    finally:
        subscriptions.close()


def test_deliveries_of_a_stopped_subscription_are_dropped() -> None:
    MemoryTrigger.sources["old"] = MemorySource(["a"])
    each = definition("old")
    subscriptions = Subscriptions(RENDERER)
    try:
        subscriptions.sync([each.key], {each.key: each}, lambda _: None, lambda _: True)
        delivery: Delivery = wait_for(lambda: subscriptions._outbox.qsize(), "a delivery") and (
            subscriptions._outbox.get_nowait()
        )
        subscriptions._outbox.put(delivery)
        subscriptions.stop([each.key])
        assert subscriptions.take() == []
        assert delivery.wait(0) and not delivery.committed
    finally:
        subscriptions.close()
