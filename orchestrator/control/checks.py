"""Look an execution up before sending it a command, and say why a command cannot apply.

The executor ignores a kill, resume or restart that does not fit the execution's state (and
a command for an id nobody created), silently as far as the sender can tell. The control
plane reads the execution's latest snapshot first, so a kill of a finished or unknown
execution (from the CLI or the API) says so instead of answering "requested".
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.kafka import TOPICS, describe_topics, read_topic_to_end
from orchestrator.kafka.task_runs import complete
from orchestrator.kafka.topics import partition_for
from orchestrator.models.execution import Execution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

_RESTARTABLE_RUNS = (StateType.FAILED, StateType.KILLED, StateType.PAUSED)


class Action(StrEnum):
    """A command sent to an existing execution."""

    KILL = "kill"
    RESUME = "resume"
    RESTART = "restart"
    REPLAY = "replay"
    LABEL = "label"


def latest_execution(settings: KestrelSettings, execution_id: str) -> Execution | None:
    """Return the latest snapshot of ``execution_id`` on the ``executions`` topic, or None.

    Only the partition the id is keyed to is read; a long execution's task runs are put
    back from the same partition of ``task-runs``.

    Raises:
        BrokerUnreachableError: No broker answered.
        TopicError: The ``executions`` topic does not exist.
    """
    (description,) = describe_topics(settings, [TOPICS.executions])
    if not description.exists or not description.partitions:
        return None
    partition = partition_for(execution_id, description.partitions)
    snapshots = read_topic_to_end(
        settings,
        TOPICS.executions,
        partitions=[partition],
        on_unreadable=lambda record, error: None,  # another execution's problem, not ours
    )
    found = snapshots.get(execution_id)
    if found is None or found.deleted:
        return found
    return complete(settings, found, description.partitions)


def refusal(action: Action, execution_id: str, execution: Execution | None) -> str | None:
    """Return why ``action`` cannot apply to the execution (None when it can).

    The conditions are the engine's (``executor/engine/control.py``): a kill needs an
    execution that has not ended, a resume a PAUSED one (a QUEUED one
    starts only when its flow has a free slot), a restart an ended or
    PAUSED one with a failed, killed or paused task run.
    """
    if execution is None:
        return f"execution {execution_id} not found"
    state = execution.state.current
    if action is Action.KILL:
        if state is StateType.KILLING:
            return f"execution {execution_id} is already being killed (KILLING)"
        if state.is_terminated:
            return (
                f"execution {execution_id} is {state.value}; only an execution that has not "
                "ended (CREATED, QUEUED, RUNNING, PAUSED, RETRYING) can be killed"
            )
    elif action is Action.RESUME:
        if state is StateType.QUEUED:
            return (
                f"execution {execution_id} is QUEUED: it starts when its flow's concurrency "
                "limit leaves a slot free; only a PAUSED execution can be resumed"
            )
        if state is not StateType.PAUSED:
            return (
                f"execution {execution_id} is {state.value}; only a PAUSED execution can be resumed"
            )
    elif action in (Action.REPLAY, Action.LABEL):
        if not state.is_terminated:
            what = "replayed" if action is Action.REPLAY else "relabelled"
            return (
                f"execution {execution_id} is {state.value}; only an ended execution can be {what}"
            )
    elif not (state.is_terminated or state is StateType.PAUSED):
        return (
            f"execution {execution_id} is {state.value}; only an ended or PAUSED execution "
            "can be restarted"
        )
    elif not any(run.state.current in _RESTARTABLE_RUNS for run in execution.task_run_list):
        return (
            f"execution {execution_id} is {state.value} and has no failed, killed or paused "
            "task run to restart from"
        )
    return None
