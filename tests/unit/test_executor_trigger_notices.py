"""The executor's notices of execution ends to the scheduler (`executor/trigger_notices.py`)."""

from __future__ import annotations

from typing import Any

from executor.trigger_notices import TriggerNotifier
from orchestrator.models.execution import Execution, ExecutionTrigger
from orchestrator.models.flow import Flow
from orchestrator.models.state import State, StateType

TASKS = [{"id": "t", "type": "io.kestra.plugin.core.log.Log", "message": "x"}]


class FakeFlows:
    def __init__(self, *flows: dict[str, Any]) -> None:
        self.version = 1
        self._flows = [Flow.model_validate({"tasks": TASKS, **each}) for each in flows]

    def latest(self) -> list[Flow]:
        return self._flows

    def flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        del revision
        return next((f for f in self._flows if (f.namespace, f.id) == (namespace, flow_id)), None)


SCHEDULED = {
    "id": "up",
    "namespace": "company",
    "triggers": [
        {"id": "daily", "type": "io.kestra.plugin.core.trigger.Schedule", "cron": "@daily"}
    ],
}
LISTENER = {
    "id": "down",
    "namespace": "company",
    "triggers": [
        {
            "id": "on-up",
            "type": "io.kestra.plugin.core.trigger.Flow",
            "states": ["FAILED"],
            "conditions": [
                {
                    "type": "io.kestra.plugin.core.condition.ExecutionFlow",
                    "namespace": "company",
                    "flowId": "up",
                }
            ],
        }
    ],
}


def _execution(state: StateType, trigger: str | None = "daily") -> Execution:
    return Execution(
        id="e1",
        namespace="company",
        flow_id="up",
        flow_revision=1,
        state=State.of(state),
        trigger=ExecutionTrigger(id=trigger, type="schedule") if trigger else None,
    )


def test_an_end_is_reported_once_to_its_trigger_and_to_the_listening_flow_triggers() -> None:
    notifier = TriggerNotifier(FakeFlows(SCHEDULED, LISTENER))
    running, failed = _execution(StateType.RUNNING), _execution(StateType.FAILED)
    assert notifier.notices(None, running) == []
    notices = notifier.notices(running, failed)
    assert [(n.flow_id, n.trigger_id, n.started_by_trigger) for n in notices] == [
        ("up", "daily", True),
        ("down", "on-up", False),
    ]
    assert notifier.notices(failed, failed) == []  # already ended: nothing more


def test_the_prefilter_skips_triggers_the_end_cannot_concern() -> None:
    notifier = TriggerNotifier(FakeFlows(SCHEDULED, LISTENER))
    succeeded = _execution(StateType.SUCCESS, trigger=None)
    assert notifier.notices(_execution(StateType.RUNNING), succeeded) == []  # states: FAILED


def test_deleting_a_running_execution_unlocks_its_trigger() -> None:
    notifier = TriggerNotifier(FakeFlows(SCHEDULED, LISTENER))
    running = _execution(StateType.RUNNING)
    deleted = running.model_copy(update={"deleted": True})
    notices = notifier.notices(running, deleted)
    assert [(n.trigger_id, n.state, n.started_by_trigger) for n in notices] == [
        ("daily", StateType.KILLED, True)
    ]
