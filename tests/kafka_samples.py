"""A realistic instance of every message Kestrel puts on Kafka, with its topic and key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.kafka import TOPICS, TopicSpec
from orchestrator.models import (
    Execution,
    ExecutionTrigger,
    KestrelModel,
    Label,
    ParentLink,
    State,
    StateType,
    TaskRun,
    TaskRunAttempt,
)
from orchestrator.models.concurrency import FlowSlots, SlotRelease, SlotRequest
from orchestrator.models.execution import TaskRunRecord
from orchestrator.models.kv import KvEntry, KvType
from orchestrator.models.messages import (
    ChildEnded,
    CreateExecution,
    DeadLetter,
    DeleteExecution,
    FlowRecord,
    KillExecution,
    KillNotice,
    LogEntry,
    MetricEntry,
    ReplayExecution,
    RestartExecution,
    ResumeExecution,
    RunningTaskRun,
    ServiceInstance,
    SetExecutionLabels,
    SlotDecision,
    SlotOutcome,
    TaskFailure,
    TimerFired,
    TriggerState,
    WorkerInstance,
    WorkerLost,
    WorkerTask,
    WorkerTaskResult,
)
from orchestrator.models.trigger_commands import StartBackfill
from orchestrator.tasks.base import LogLevel

T0 = datetime(2026, 11, 24, 9, 30, 0, 123000, tzinfo=UTC)
EXECUTION_ID = "4cP0oXbTdmrqVZ1lJ6sYqE"
TASK_RUN_ID = "1q2w3e4r5t6y7u8i9o0pAa"

FLOW_SOURCE = """id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "Héllo {{ inputs.name }} ✓"
"""


def _task_run() -> TaskRun:
    running = State.of(StateType.CREATED, T0).with_state(
        StateType.RUNNING, T0 + timedelta(seconds=1)
    )
    return TaskRun(
        id=TASK_RUN_ID,
        execution_id=EXECUTION_ID,
        namespace="company.team",
        flow_id="hello",
        task_id="say",
        attempts=(TaskRunAttempt(state=running, worker_id="worker-1"),),
        state=running,
    )


def _execution() -> Execution:
    return Execution(
        id=EXECUTION_ID,
        namespace="company.team",
        flow_id="hello",
        flow_revision=3,
        seq=7,
        state=State.of(StateType.CREATED, T0).with_state(StateType.RUNNING, T0),
        task_run_list=(_task_run(),),
        inputs={"name": "wörld", "count": 3, "tags": ["a", "b"]},
        outputs={"say": {"value": 1.5}},
        labels=(Label(key="team", value="data"),),
        trigger=ExecutionTrigger(id="daily", type="io.kestra.plugin.core.trigger.Schedule"),
        parent=ParentLink(
            execution_id="parentExec000000000001",
            task_run_id="parentTaskRun000000001",
            namespace="company",
            flow_id="parent",
        ),
        schedule_date=T0,
    )


def execution_commands() -> list[KestrelModel]:
    """One of each command of ``execution-commands``."""
    return [
        CreateExecution(
            execution_id=EXECUTION_ID,
            namespace="company.team",
            flow_id="hello",
            flow_revision=3,
            inputs={"name": "wörld"},
            labels={"team": "data"},
            created=T0,
        ),
        KillExecution(execution_id=EXECUTION_ID, reason="asked by alice"),
        ResumeExecution(execution_id=EXECUTION_ID, task_run_id=TASK_RUN_ID, inputs={"ok": True}),
        RestartExecution(execution_id=EXECUTION_ID),
        ReplayExecution(
            execution_id=EXECUTION_ID,
            task_run_id=TASK_RUN_ID,
            new_execution_id="newExec0000000000000001",
        ),
        DeleteExecution(execution_id=EXECUTION_ID),
        SetExecutionLabels(execution_id=EXECUTION_ID, labels=({"key": "team", "value": "a"},)),
        ChildEnded(
            execution_id=EXECUTION_ID,
            task_run_id=TASK_RUN_ID,
            child_execution_id="childExec0000000000001",
            state=StateType.SUCCESS,
            outputs={"rows": 42},
        ),
        TimerFired(execution_id=EXECUTION_ID, timer_id="retry-1", task_run_id=TASK_RUN_ID, due=T0),
        WorkerLost(
            execution_id=EXECUTION_ID, task_run_id=TASK_RUN_ID, attempt=1, worker_id="worker-a"
        ),
        SlotDecision(execution_id=EXECUTION_ID, outcome=SlotOutcome.QUEUED, limit=2),
    ]


def every_message() -> list[tuple[TopicSpec[Any], str, KestrelModel]]:
    """(topic, key, value) for every topic, every command type included."""
    flow = FlowRecord(
        namespace="company.team",
        id="hello",
        revision=3,
        source=FLOW_SOURCE,
        flow={"id": "hello", "namespace": "company.team", "tasks": [{"id": "say"}]},
        updated=T0,
    )
    samples: list[tuple[TopicSpec[Any], str, KestrelModel]] = [
        (TOPICS.flows, "company.team/hello", flow),
        (TOPICS.flow_revisions, "company.team/hello/3", flow),
        (TOPICS.executions, EXECUTION_ID, _execution()),
        (
            TOPICS.task_runs,
            f"{EXECUTION_ID}/{TASK_RUN_ID}",
            TaskRunRecord(
                execution_id=EXECUTION_ID, flow_revision=3, seq=7, position=0, task_run=_task_run()
            ),
        ),
        (
            TOPICS.worker_tasks,
            TASK_RUN_ID,
            WorkerTask(
                task_run=_task_run(),
                attempt=1,
                task={"id": "say", "type": "io.kestra.plugin.core.log.Log", "message": "hi"},
                flow_revision=3,
                context={"inputs": {"name": "wörld"}},
            ),
        ),
        (
            TOPICS.worker_results,
            EXECUTION_ID,
            WorkerTaskResult(
                execution_id=EXECUTION_ID,
                task_run_id=TASK_RUN_ID,
                attempt=2,
                state=StateType.FAILED,
                worker_id="worker-1",
                failure=TaskFailure(error_type="TimeoutError", message="took > 5s", retryable=True),
                at=T0,
            ),
        ),
        (
            TOPICS.worker_heartbeats,
            "worker-1",
            WorkerInstance(
                worker_id="worker-1",
                instance_id="worker-1-incarnation-9",
                hostname="node-a",
                pid=4242,
                slots=8,
                started=T0,
                last_seen=T0 + timedelta(seconds=30),
                running=[
                    RunningTaskRun(execution_id=EXECUTION_ID, task_run_id=TASK_RUN_ID, attempt=1)
                ],
            ),
        ),
        (
            TOPICS.instances,
            "executor/executor-0",
            ServiceInstance(
                role="executor",
                instance_id="executor-0",
                incarnation="3f2a9c1d4e5b",
                transactional_id="kestrel-executor-executor-0-3f2a9c1d4e5b",
                hostname="node-a",
                pid=4242,
                started=T0,
            ),
        ),
        (
            TOPICS.kills,
            EXECUTION_ID,
            KillNotice(execution_id=EXECUTION_ID, task_run_ids=[TASK_RUN_ID]),
        ),
        (
            TOPICS.triggers,
            "company.team/hello/daily",
            TriggerState(
                namespace="company.team",
                flow_id="hello",
                trigger_id="daily",
                flow_revision=3,
                next_date=T0 + timedelta(days=1),
                last_date=T0,
                execution_id=EXECUTION_ID,
                updated=T0,
            ),
        ),
        (
            TOPICS.trigger_commands,
            "company.team/hello/daily",
            StartBackfill(
                namespace="company.team",
                flow_id="hello",
                trigger_id="daily",
                start=T0 - timedelta(days=7),
                end=T0,
                inputs={"region": "eu"},
                at=T0,
            ),
        ),
        (
            TOPICS.kv,
            "company.team/last_run",
            KvEntry(
                namespace="company.team",
                key="last_run",
                value={"rows": 3, "ok": True},
                kv_type=KvType.JSON,
                expires=T0 + timedelta(days=30),
                updated=T0,
            ),
        ),
        (
            TOPICS.logs,
            EXECUTION_ID,
            LogEntry(
                execution_id=EXECUTION_ID,
                namespace="company.team",
                flow_id="hello",
                task_id="say",
                task_run_id=TASK_RUN_ID,
                attempt=1,
                level=LogLevel.WARN,
                message="Héllo wörld ✓\nsecond line",
                timestamp=T0,
            ),
        ),
        (
            TOPICS.metrics,
            EXECUTION_ID,
            MetricEntry(
                execution_id=EXECUTION_ID,
                namespace="company.team",
                flow_id="hello",
                task_id="say",
                name="rows",
                metric_type="timer",
                value=0.25,
                tags={"db": "main"},
                timestamp=T0,
            ),
        ),
        (
            TOPICS.dead_letters,
            EXECUTION_ID,
            DeadLetter(
                topic="kestrel.worker-results",
                partition=3,
                offset=1200,
                key=EXECUTION_ID,
                value="{not json",
                error="DeserializationError: bad",
                service="executor",
                failed_at=T0,
            ),
        ),
    ]
    samples += [
        (TOPICS.execution_commands, EXECUTION_ID, command) for command in execution_commands()
    ]
    flow_key = "company.team/hello"
    slot = {"namespace": "company.team", "flow_id": "hello", "execution_id": EXECUTION_ID}
    samples += [
        (TOPICS.concurrency_requests, flow_key, SlotRequest(**slot, limit=2)),
        (TOPICS.concurrency_requests, flow_key, SlotRelease(**slot)),
        (
            TOPICS.concurrency_slots,
            flow_key,
            FlowSlots(
                namespace="company.team",
                flow_id="hello",
                limit=2,
                running=(EXECUTION_ID, "otherExec000000000000001"),
                queued=("queuedExec00000000000001",),
            ),
        ),
    ]
    return samples
