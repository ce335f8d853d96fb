"""Duplicates and stale events change nothing; each new snapshot has ``seq`` + 1; the engine
imports no I/O client."""

import json
import subprocess
import sys

from engine_harness import START, Harness, load, result_of, run_of

from orchestrator.models.messages import (
    ChildEnded,
    CreateExecution,
    DeleteExecution,
    ResumeExecution,
    TimerFired,
    WorkerTaskResult,
)
from orchestrator.models.state import StateType


def test_the_same_worker_result_twice_changes_nothing() -> None:
    harness = Harness(load("sequential"))
    execution_id = harness.create("sequential")
    task = harness.task_for("first")
    running = harness.running(task)
    ended = result_of(task, StateType.SUCCESS, {"value": "one"})

    assert harness.apply(running).execution is not None
    assert harness.apply(running).execution is None
    assert harness.apply(ended).execution is not None
    before = harness.execution(execution_id)
    again = harness.apply(ended)
    assert again.execution is None
    assert again.worker_tasks == []
    assert harness.apply(running).execution is None  # a late RUNNING after the end
    assert harness.execution(execution_id) == before


def test_a_result_for_an_older_attempt_changes_nothing() -> None:
    harness = Harness(load("retry-constant"))
    execution_id = harness.create("retry-constant")
    first = harness.task_for("flaky")
    harness.finish("flaky", StateType.FAILED)
    harness.fire_next_timer()
    assert harness.task_for("flaky").attempt == 2

    stale = result_of(first, StateType.SUCCESS)
    assert harness.apply(stale).execution is None
    assert run_of(harness.execution(execution_id), "flaky").state.current is StateType.CREATED


def test_a_result_for_an_ended_run_changes_nothing() -> None:
    harness = Harness(load("kill"))
    execution = harness.run("kill")
    left = next(
        event
        for event, _ in harness.applied
        if isinstance(event, WorkerTaskResult) and event.state is StateType.SUCCESS
    )

    late = left.model_copy(update={"state": StateType.FAILED})
    assert harness.apply(late).execution is None
    assert harness.execution(execution.id) == execution


def test_a_result_for_an_unknown_run_changes_nothing() -> None:
    harness = Harness(load("sequential"))
    execution_id = harness.create("sequential")
    stranger = WorkerTaskResult(
        execution_id=execution_id,
        task_run_id="unknown",
        attempt=1,
        state=StateType.SUCCESS,
        worker_id="w",
    )
    assert harness.apply(stranger).execution is None


def test_a_duplicate_create_changes_nothing() -> None:
    harness = Harness(load("sequential"))
    execution_id = harness.create("sequential")
    create = harness.applied[0][0]
    assert isinstance(create, CreateExecution)

    decision = harness.apply(create)
    assert decision.execution is None
    assert decision.worker_tasks == []
    assert harness.execution(execution_id).seq == 1


def test_a_timer_fired_twice_changes_nothing_the_second_time() -> None:
    harness = Harness(load("sleep"))
    execution_id = harness.create("sleep")
    (timer,) = harness.execution(execution_id).timers
    fired = TimerFired(execution_id=execution_id, timer_id=timer.id, due=timer.due)
    harness.now = timer.due

    assert harness.apply(fired).execution is not None
    again = harness.apply(fired)
    assert again.execution is None
    assert again.worker_tasks == []


def test_an_unknown_timer_changes_nothing() -> None:
    harness = Harness(load("sleep"))
    execution_id = harness.create("sleep")
    ghost = TimerFired(execution_id=execution_id, timer_id="nope", due=START)
    assert harness.apply(ghost).execution is None


def test_a_child_end_reported_twice_changes_nothing() -> None:
    harness = Harness(load("subflow-parent"), load("subflow-child"))
    parent_id = harness.create("subflow-parent", {})
    harness.settle()
    ended = next(event for event, _ in harness.applied if isinstance(event, ChildEnded))

    before = harness.execution(parent_id)
    assert before.state.current is StateType.SUCCESS
    assert harness.apply(ended).execution is None
    assert harness.apply(ended.model_copy(update={"child_execution_id": "other"})).execution is None
    assert harness.execution(parent_id) == before


def test_a_second_resume_changes_nothing() -> None:
    harness = Harness(load("pause-resume"))
    execution_id = harness.create("pause-resume")
    resume = ResumeExecution(execution_id=execution_id, inputs={"approved": "false"})

    assert harness.apply(resume).execution is not None
    again = harness.apply(resume)
    assert again.execution is None
    assert again.worker_tasks == []


def test_events_for_a_deleted_execution_change_nothing() -> None:
    harness = Harness(load("sequential"))
    execution_id = harness.create("sequential")
    task = harness.task_for("first")

    deleted = harness.apply(DeleteExecution(execution_id=execution_id))
    assert deleted.execution is not None and deleted.execution.deleted
    (notice,) = deleted.kills
    assert task.task_run.id in notice.task_run_ids
    assert harness.apply(result_of(task, StateType.SUCCESS)).execution is None
    assert harness.apply(DeleteExecution(execution_id=execution_id)).execution is None


def test_seq_grows_by_exactly_one_per_changed_snapshot() -> None:
    harness = Harness(load("retry-constant"))
    execution_id = harness.create("retry-constant")
    harness.settle()

    seqs = [
        decision.execution.seq
        for _, decision in harness.applied
        if decision.execution is not None and decision.execution.id == execution_id
    ]
    assert seqs == list(range(1, len(seqs) + 1))
    assert harness.execution(execution_id).seq == len(seqs)
    assert len(seqs) > 5


def test_the_engine_imports_no_kafka_elasticsearch_or_http_client() -> None:
    code = (
        "import json, sys\n"
        "import executor.engine\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('confluent_kafka', 'elasticsearch', 'aiohttp'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []
