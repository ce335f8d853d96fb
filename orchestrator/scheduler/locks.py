"""Locks that outlived their execution, found when a scheduler restores its triggers.

A schedule is locked to the execution of its last slot until the executor reports its end
(`ExecutionEnded`, sent in the executor's transaction). As a safety net, on restore the
scheduler reads the locked executions from the ``executions`` topic: one that is terminal
or gone must not keep its trigger locked forever (Kestra #14393, #8459).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from orchestrator.kafka import TOPICS, DeserializationError, KafkaError, Record, partition_for
from orchestrator.kafka import read_topic_to_end as _read
from orchestrator.models.messages import TriggerState
from orchestrator.models.trigger_commands import UnlockTrigger
from orchestrator.settings import KestrelSettings

log = logging.getLogger("kestrel.scheduler.locks")


def stale_locks(
    settings: KestrelSettings,
    states: Iterable[TriggerState],
    on_unreadable: Callable[[Record, DeserializationError], None],
) -> list[UnlockTrigger]:
    """Unlock commands for the states locked to an execution that is terminal or gone."""
    locked = [state for state in states if state.execution_id is not None]
    if not locked:
        return []
    partitions = TOPICS.executions.partitions_for(settings.kafka.partitions)
    wanted = {partition_for(state.execution_id or "", partitions) for state in locked}
    try:
        executions = _read(
            settings, TOPICS.executions, partitions=wanted, on_unreadable=on_unreadable
        )
    except KafkaError as exc:  # the executor's ExecutionEnded still unlocks them
        log.warning("could not check the locks of %d triggers: %s", len(locked), exc)
        return []
    unlocks = []
    for state in locked:
        execution = executions.get(state.execution_id or "")
        if execution is None or execution.state.current.is_terminated:
            log.info(
                "trigger %s/%s/%s was locked to execution %s, which %s: unlocked",
                state.namespace,
                state.flow_id,
                state.trigger_id,
                state.execution_id,
                "is gone" if execution is None else "has ended",
            )
            unlocks.append(
                UnlockTrigger(
                    namespace=state.namespace, flow_id=state.flow_id, trigger_id=state.trigger_id
                )
            )
    return unlocks
