from datetime import UTC, datetime, timedelta

from executor.store import ExecutionStore
from executor.workers import Attempt, WorkerLiveness
from orchestrator.models.execution import Execution, TaskRun, TaskRunAttempt
from orchestrator.models.messages import WorkerInstance
from orchestrator.models.state import State, StateType

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEAD_AFTER = timedelta(seconds=4)


def _beat(at: datetime, status: str = "RUNNING", worker_id: str = "w-1") -> WorkerInstance:
    return WorkerInstance(
        worker_id=worker_id,
        instance_id="w",
        hostname="h",
        pid=1,
        slots=1,
        started=T0,
        last_seen=at,
        status=status,  # type: ignore[arg-type]
    )


def _attempt(worker_id: str = "w-1", since: datetime = T0) -> Attempt:
    return Attempt("e-1", "run-1", 1, worker_id, since)


def test_a_silent_worker_is_dead_after_the_timeout() -> None:
    liveness = WorkerLiveness(DEAD_AFTER)
    liveness.observe("w-1", _beat(T0))
    assert not liveness.is_dead(_attempt(), T0 + timedelta(seconds=3))
    assert liveness.is_dead(_attempt(), T0 + timedelta(seconds=5))


def test_an_old_heartbeat_read_late_changes_nothing() -> None:
    liveness = WorkerLiveness(DEAD_AFTER)
    liveness.observe("w-1", _beat(T0 + timedelta(seconds=6)))
    liveness.observe("w-1", _beat(T0))  # e.g. replayed from the topic's beginning
    assert not liveness.is_dead(_attempt(), T0 + timedelta(seconds=9))


def test_a_stopped_worker_is_dead_at_once() -> None:
    liveness = WorkerLiveness(DEAD_AFTER)
    liveness.observe("w-1", _beat(T0, status="STOPPED"))
    assert liveness.is_dead(_attempt(), T0 + timedelta(seconds=1))


def test_a_worker_never_heard_of_is_judged_by_the_attempt_age() -> None:
    # It died before its first heartbeat was delivered: nothing else would ever tell.
    liveness = WorkerLiveness(DEAD_AFTER)
    attempt = _attempt("w-ghost", since=T0)
    assert not liveness.is_dead(attempt, T0 + timedelta(seconds=3))
    assert liveness.is_dead(attempt, T0 + timedelta(seconds=5))


def test_a_tombstone_forgets_a_worker() -> None:
    liveness = WorkerLiveness(DEAD_AFTER)
    liveness.observe("w-1", _beat(T0 + timedelta(seconds=60)))
    liveness.observe("w-1", None)
    assert liveness.is_dead(_attempt(since=T0), T0 + timedelta(seconds=5))


def _run(run_id: str, attempts: tuple[TaskRunAttempt, ...]) -> TaskRun:
    return TaskRun(
        id=run_id,
        execution_id="e-1",
        namespace="n",
        flow_id="f",
        task_id=run_id,
        attempts=attempts,
        state=State.of(StateType.RUNNING),
    )


def test_the_store_lists_attempts_taken_by_a_worker_and_not_finished() -> None:
    running = TaskRunAttempt(
        state=State.of(StateType.CREATED).with_state(StateType.RUNNING, T0), worker_id="w-1"
    )
    sent = TaskRunAttempt(state=State.of(StateType.CREATED))
    done = TaskRunAttempt(state=running.state.with_state(StateType.SUCCESS), worker_id="w-1")
    execution = Execution(
        id="e-1",
        namespace="n",
        flow_id="f",
        flow_revision=1,
        state=State.of(StateType.RUNNING),
        task_run_list=(
            _run("running", (running,)),
            _run("sent", (sent,)),
            _run("done", (done,)),
            _run("retried", (done, running)),
        ),
    )
    store = ExecutionStore()
    store.put(execution, 0)
    assert list(store.unfinished_attempts()) == [
        Attempt("e-1", "running", 1, "w-1", T0),
        Attempt("e-1", "retried", 2, "w-1", T0),
    ]
