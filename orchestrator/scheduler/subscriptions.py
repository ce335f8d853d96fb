"""The realtime triggers' subscriptions of one scheduler instance, one thread each.

Each thread opens its trigger's source, receives a batch of messages, hands it to the
scheduler loop as a `Delivery`, and waits: the loop creates the executions in its Kafka
transaction and, once that is committed, settles the delivery; only then does the thread
acknowledge the batch to the source and receive the next one. A delivery the loop drops
(the trigger was revoked or removed meanwhile) is never acknowledged: the thread closes its
source, which gives the messages back, and the next owner receives them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.models.messages import TriggerState
from orchestrator.scheduler.decision import FlowRef
from orchestrator.scheduler.definitions import TriggerDefinition
from orchestrator.scheduler.realtime import (
    RECEIVE_TIMEOUT,
    RealtimeContext,
    RealtimeSource,
    RealtimeTrigger,
)
from orchestrator.templating import TemplateRenderer

log = logging.getLogger("kestrel.scheduler.realtime")

RETRY_DELAY = 5.0
"""Seconds between two attempts to open a source that failed (server down, bad config)."""

JOIN_TIMEOUT = 5.0
"""Seconds `Subscriptions.close` waits for each thread to close its source."""


@dataclass
class Delivery:
    """A batch of messages of one trigger, waiting for its executions to be committed."""

    key: str
    ref: FlowRef
    trigger: RealtimeTrigger
    messages: list[dict[str, Any]]
    owner: object = None  # the `Subscription` that received it
    _settled: threading.Event = field(default_factory=threading.Event)
    committed: bool = False

    def settle(self, committed: bool) -> None:
        """Tell the subscription its executions are committed (True) or never will be."""
        self.committed = committed
        self._settled.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for `settle`; return whether it was called."""
        return self._settled.wait(timeout)


class Subscription:
    """One trigger's subscription, in a thread: receive, hand over, wait, acknowledge."""

    def __init__(
        self,
        definition: TriggerDefinition,
        renderer: TemplateRenderer,
        outbox: queue.Queue[Delivery],
    ) -> None:
        """Start the thread subscribing to ``definition``'s trigger."""
        assert isinstance(definition.trigger, RealtimeTrigger)
        self.key = definition.key
        self.trigger: RealtimeTrigger = definition.trigger
        self.ref = definition.ref
        self._context = RealtimeContext(renderer=renderer, ref=definition.ref)
        self._outbox = outbox
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"realtime-{self.key}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to close its source and end (without waiting)."""
        self.stopping.set()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the thread to end."""
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                source = self.trigger.subscribe(self._context)
            except Exception as exc:  # a plugin's failure: logged, retried later
                log.error("realtime trigger %s cannot subscribe: %s", self.key, exc)
                self.stopping.wait(RETRY_DELAY)
                continue
            log.info("realtime trigger %s subscribed", self.key)
            try:
                self._pump(source)
            except Exception as exc:
                log.error("realtime trigger %s lost its subscription: %s", self.key, exc)
                self.stopping.wait(RETRY_DELAY)
            finally:
                _close(self.key, source)

    def _pump(self, source: RealtimeSource) -> None:
        while not self.stopping.is_set():
            messages = source.receive(RECEIVE_TIMEOUT)
            if not messages:
                continue
            delivery = Delivery(self.key, self.ref, self.trigger, messages, owner=self)
            self._outbox.put(delivery)
            while not delivery.wait(RECEIVE_TIMEOUT):
                if self.stopping.is_set():
                    return  # not acknowledged: the source delivers the batch again
            if not delivery.committed:
                return  # dropped by the loop: reopen, so the source delivers it again
            source.acknowledge()


def _close(key: str, source: RealtimeSource) -> None:
    try:
        source.close()
    except Exception as exc:  # closing must not stop the thread from ending
        log.debug("realtime trigger %s: while closing: %s", key, exc)


class Subscriptions:
    """The subscriptions this instance runs, by trigger key, and their deliveries."""

    def __init__(self, renderer: TemplateRenderer | None) -> None:
        """Subscribe with ``renderer`` (none: realtime triggers cannot run, and say so)."""
        self._renderer = renderer
        self._running: dict[str, Subscription] = {}
        self._outbox: queue.Queue[Delivery] = queue.Queue()

    @property
    def any(self) -> bool:
        """Whether any subscription runs (the loop then looks for deliveries often)."""
        return bool(self._running)

    def subscribed(self) -> set[str]:
        """The triggers subscribed to."""
        return set(self._running)

    def sync(
        self,
        keys: Iterable[str],
        definitions: dict[str, TriggerDefinition],
        state_of: Callable[[str], TriggerState | None],
        owns: Callable[[str], bool],
    ) -> None:
        """Start, restart or stop the subscriptions of ``keys`` to match what is wanted.

        A trigger is subscribed to when this instance owns it, it is a realtime trigger,
        neither it nor its flow is disabled in the YAML, and its state is not disabled.
        A changed trigger definition restarts its subscription.
        """
        for key in keys:
            definition = definitions.get(key)
            state = state_of(key)
            wanted = (
                definition is not None
                and isinstance(definition.trigger, RealtimeTrigger)
                and definition.active
                and owns(key)
                and not (state is not None and state.disabled)
            )
            current = self._running.get(key)
            changed = definition is None or current is None or current.trigger != definition.trigger
            if current is not None and (not wanted or changed):
                self.stop([key])
                current = None
            if wanted and current is None and definition is not None:
                self._start(definition)

    def _start(self, definition: TriggerDefinition) -> None:
        if self._renderer is None:
            log.error("realtime trigger %s cannot run: no template renderer", definition.key)
            return
        self._running[definition.key] = Subscription(definition, self._renderer, self._outbox)

    def stop(self, keys: Iterable[str]) -> None:
        """Stop the subscriptions of ``keys`` (revoked, removed or disabled)."""
        for key in keys:
            subscription = self._running.pop(key, None)
            if subscription is not None:
                subscription.stop()
                log.info("realtime trigger %s unsubscribed", key)

    def take(self) -> list[Delivery]:
        """The deliveries waiting; those of stopped subscriptions are dropped (settled)."""
        taken: list[Delivery] = []
        while True:
            try:
                delivery = self._outbox.get_nowait()
            except queue.Empty:
                return taken
            current = self._running.get(delivery.key)
            if current is None or current is not delivery.owner:
                delivery.settle(committed=False)
            else:
                taken.append(delivery)

    def close(self) -> None:
        """Stop every subscription and wait (a little) for their sources to close."""
        running = list(self._running.values())
        self.stop(list(self._running))
        for subscription in running:
            subscription.join(JOIN_TIMEOUT)
        for delivery in self.take():
            delivery.settle(committed=False)


__all__ = ["Delivery", "Subscription", "Subscriptions"]
