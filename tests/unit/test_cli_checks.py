"""`execution kill|resume|restart` say why a command cannot apply, from the snapshot."""

from datetime import UTC, datetime

import pytest

from orchestrator.cli.checks import Action, refusal
from orchestrator.models.execution import Execution, TaskRun
from orchestrator.models.state import State, StateType

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def execution(state: StateType, *runs: StateType) -> Execution:
    task_runs = tuple(
        TaskRun(
            id=f"run{index}",
            execution_id="e1",
            namespace="n",
            flow_id="f",
            task_id=f"t{index}",
            state=State.of(run, T0),
        )
        for index, run in enumerate(runs)
    )
    return Execution(
        id="e1",
        namespace="n",
        flow_id="f",
        flow_revision=1,
        state=State.of(state, T0),
        task_run_list=task_runs,
    )


@pytest.mark.parametrize("action", list(Action))
def test_an_unknown_execution_is_not_found(action: Action) -> None:
    assert refusal(action, "nope", None) == "execution nope not found"


@pytest.mark.parametrize(
    ("action", "snapshot", "expected"),
    [
        (Action.KILL, execution(StateType.RUNNING), None),
        (Action.KILL, execution(StateType.PAUSED), None),
        (Action.KILL, execution(StateType.SUCCESS), "execution e1 is SUCCESS; only an execution"),
        (Action.KILL, execution(StateType.KILLING), "is already being killed"),
        (Action.RESUME, execution(StateType.PAUSED), None),
        (Action.RESUME, execution(StateType.QUEUED), "is QUEUED: it starts when its flow's"),
        (Action.RESUME, execution(StateType.RUNNING), "is RUNNING; only a PAUSED execution"),
        (Action.RESTART, execution(StateType.FAILED, StateType.FAILED), None),
        (Action.RESTART, execution(StateType.RUNNING), "is RUNNING; only an ended or PAUSED"),
        (
            Action.RESTART,
            execution(StateType.SUCCESS, StateType.SUCCESS),
            "has no failed, killed or paused task run",
        ),
    ],
)
def test_refusal_follows_the_engine(
    action: Action, snapshot: Execution, expected: str | None
) -> None:
    reason = refusal(action, "e1", snapshot)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason
