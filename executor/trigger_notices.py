"""Tell the scheduler when executions end: `ExecutionEnded` on ``trigger-commands``.

Produced in the executor's transaction, with the snapshot that ends the execution, so each
end is reported exactly once:

- to the trigger that started the execution (it releases the schedule's lock, and applies
  ``stopAfter``), when the flow still declares that trigger;
- to every Flow trigger of a deployed flow the end may concern (its scheduler evaluates
  the conditions and preconditions and starts at most one downstream execution).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from orchestrator.models.execution import Execution
from orchestrator.models.flow import Flow
from orchestrator.models.state import StateType
from orchestrator.models.trigger_commands import ExecutionEnded
from orchestrator.models.triggers import FlowTrigger
from orchestrator.scheduler.flow_triggers import may_concern


class Flows(Protocol):
    """What the notifier needs of the executor's flow store (`executor.flows.FlowStore`)."""

    @property
    def version(self) -> int:
        """Grows whenever a flow record is taken in."""

    def latest(self) -> list[Flow]:
        """The latest revision of every deployed flow."""

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """A revision of a flow (the latest when ``revision`` is None)."""


class TriggerNotifier:
    """Finds who must hear of an execution's end, from the flows the executor follows."""

    def __init__(self, flows: Flows) -> None:
        """Use the executor's flow store (its latest revisions)."""
        self._flows = flows
        self._seen_version = -1
        self._listeners: list[tuple[Flow, FlowTrigger]] = []

    def _flow_triggers(self) -> list[tuple[Flow, FlowTrigger]]:
        if self._flows.version != self._seen_version:
            self._seen_version = self._flows.version
            self._listeners = [
                (flow, trigger)
                for flow in self._flows.latest()
                if not flow.disabled
                for trigger in flow.triggers
                if isinstance(trigger, FlowTrigger)
            ]
        return self._listeners

    def notices(self, before: Execution | None, after: Execution | None) -> list[ExecutionEnded]:
        """The notices of ``after``'s end (none unless this snapshot ends it).

        Deleting an execution that had not ended ends it too, as KILLED: its trigger must
        not stay locked to it (it unlocks it only, flow triggers are not told).
        """
        if after is None or (before is not None and before.state.current.is_terminated):
            return []
        if after.deleted:
            if before is None:
                return []
            return self._started_by(before, StateType.KILLED)
        if not after.state.current.is_terminated:
            return []
        state = after.state.current
        common = {
            "execution_id": after.id,
            "execution_namespace": after.namespace,
            "execution_flow_id": after.flow_id,
            "flow_revision": after.flow_revision,
            "state": state,
            "labels": after.labels,
            "outputs": after.outputs,
        }
        notices = self._started_by(after, state)
        for flow, trigger in self._flow_triggers():
            if may_concern(trigger, after.namespace, after.flow_id, state.value):
                notices.append(
                    ExecutionEnded(
                        namespace=flow.namespace,
                        flow_id=flow.id,
                        trigger_id=trigger.id,
                        **common,
                    )
                )
        return notices

    def _started_by(self, execution: Execution, state: StateType) -> list[ExecutionEnded]:
        """The notice to the trigger that started ``execution``, if its flow declares it."""
        started_by = execution.trigger.id if execution.trigger is not None else None
        own = self._flows.flow(execution.namespace, execution.flow_id)
        if not started_by or own is None or all(t.id != started_by for t in own.triggers):
            return []
        return [
            ExecutionEnded(
                namespace=execution.namespace,
                flow_id=execution.flow_id,
                trigger_id=started_by,
                started_by_trigger=True,
                execution_id=execution.id,
                execution_namespace=execution.namespace,
                execution_flow_id=execution.flow_id,
                flow_revision=execution.flow_revision,
                state=state,
                labels=execution.labels,
                outputs=execution.outputs,
            )
        ]

    def notify(
        self,
        before: Execution | None,
        after: Execution | None,
        send: Callable[[str, ExecutionEnded], None],
    ) -> None:
        """Send the notices of ``after``'s end with ``send(key, notice)``."""
        for notice in self.notices(before, after):
            send(f"{notice.namespace}/{notice.flow_id}/{notice.trigger_id}", notice)
